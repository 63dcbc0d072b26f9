"""A STATUSTEXT longer than one message's 50 bytes goes out in MAVLink 2 chunks (id, chunk_seq), as ArduPilot
sends them and QGroundControl reassembles them, instead of being cut at 50 characters."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.telemetry.dronekit_adapter import DronekitTelemetry


class _Vehicle:
    def __init__(self) -> None:
        self.sent: list = []
        self.message_factory = mavlink.MAVLink(None)

    def add_message_listener(self, name: str, fn) -> None:
        pass

    def remove_message_listener(self, name: str, fn) -> None:
        pass

    def send_mavlink(self, msg) -> None:
        self.sent.append(msg)


def _on_the_wire(messages: list) -> list:
    """Each message packed and decoded again, as the GCS gets it."""
    enc, dec = mavlink.MAVLink(None, 1, 191), mavlink.MAVLink(None)
    return [dec.decode(bytearray(m.pack(enc))) for m in messages]


def test_a_long_text_is_sent_in_chunks_that_reassemble_to_it() -> None:
    # Before: 'SI corrosion f1234 0.93 47.12345,8.12345 area 5400 px near pier 3' went out as its first 50
    # characters ('... near pier 3' lost) in one STATUSTEXT with id 0.
    vehicle = _Vehicle()
    adapter = DronekitTelemetry(vehicle)
    text = "SI corrosion f1234 0.93 47.12345,8.12345 area 5400 px near pier 3 (west face)"
    assert adapter.statustext(text, severity=mavlink.MAV_SEVERITY_CRITICAL)
    got = _on_the_wire(vehicle.sent)
    assert len(got) == 2 and {m.id for m in got} != {0} and len({m.id for m in got}) == 1
    assert [m.chunk_seq for m in got] == [0, 1] and all(m.severity == mavlink.MAV_SEVERITY_CRITICAL for m in got)
    assert "".join(m.text for m in got) == text
    assert adapter.statustext(text) and len({m.id for m in _on_the_wire(vehicle.sent[2:])} - {got[0].id}) == 1


def test_a_text_of_exactly_100_bytes_ends_with_an_empty_chunk_and_a_short_one_is_one_message() -> None:
    vehicle = _Vehicle()
    adapter = DronekitTelemetry(vehicle)
    assert adapter.statustext("x" * 100)
    got = _on_the_wire(vehicle.sent)
    # a chunk of 50 bytes has no NUL, so the GCS waits for more: the end is an empty chunk (as ArduPilot does)
    assert [len(m.text) for m in got] == [50, 50, 0] and [m.chunk_seq for m in got] == [0, 1, 2]
    vehicle.sent.clear()
    assert adapter.statustext("SI crack f1")
    (one,) = _on_the_wire(vehicle.sent)
    assert one.text == "SI crack f1" and one.id == 0 and one.chunk_seq == 0


def test_a_vehicle_speaking_mavlink_1_still_gets_its_text_cut_at_50() -> None:
    # dronekit's message_factory is the dialect mavutil loaded: MAVLink 1 in a shell without MAVLINK20, whose
    # statustext_encode takes no id/chunk_seq. 5e741fa passed them to every text, a short one too: TypeError.
    from pymavlink.dialects.v10 import ardupilotmega as mavlink1

    vehicle = _Vehicle()
    vehicle.message_factory = mavlink1.MAVLink(None)
    adapter = DronekitTelemetry(vehicle)
    assert adapter.statustext("SI crack f1")
    text = "SI corrosion f1234 0.93 47.12345,8.12345 area 5400 px near pier 3 (west face)"
    assert adapter.statustext(text)
    assert [m.text for m in vehicle.sent] == ["SI crack f1", text[:50]]
