"""Which MAVLink ids the live alerts carry: a ground station shows only its vehicle's messages."""

from __future__ import annotations

import time

from loopback_vehicle import LoopbackVehicle, free_udp_port
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.alerts import MavlinkAlerter
from onboard.telemetry.link_peers import VehicleLock
from onboard.telemetry.live import LiveMavlink
from skyinspect.pose import Pose
from skyinspect.segmentation import CRACK, Instance


def test_alerts_go_out_as_a_component_of_the_vehicles_system() -> None:
    # QGroundControl's Vehicle drops every message whose system id is not its vehicle's: the alerts went
    # out as system 255 (pymavlink's default source), so no STATUSTEXT reached the operator's console,
    # while our heartbeat already went as (vehicle, 191).
    port = free_udp_port()
    live = LiveMavlink(f"udpin:127.0.0.1:{port}")
    live.start()
    vehicle = LoopbackVehicle(port, duration_s=4.0)
    vehicle.start()
    try:
        assert live.wait_connected(5.0)
        deadline = time.monotonic() + 3.0
        while live.peers.system is None and time.monotonic() < deadline:
            time.sleep(0.02)
        alerter = MavlinkAlerter(live.send)
        pose = Pose(1.7e9, 47.1, 8.2, 500.0, 20.0, 0.0, 0.0, 90.0, fix_type=3)
        alerter.alert(3, Instance(CRACK, 0.9, [[0, 0], [30, 0], [30, 30]], 900.0), pose)
        alerter.tick(force=True)
        deadline = time.monotonic() + 3.0
        while not {"STATUSTEXT", "NAMED_VALUE_INT"} <= {m.get_type() for m in vehicle.received}:
            assert time.monotonic() < deadline, "alerts not received"
            time.sleep(0.02)
        time.sleep(1.1)  # one more heartbeat after the alerts
    finally:
        vehicle.stop_flag.set()
        vehicle.join(5)
        live.stop()
    ours = [m for m in vehicle.received if m.get_type() in ("HEARTBEAT", "STATUSTEXT", "NAMED_VALUE_INT")]
    assert {(m.get_type(), m.get_srcSystem(), m.get_srcComponent()) for m in ours} == {
        ("HEARTBEAT", 1, 191), ("STATUSTEXT", 1, 191), ("NAMED_VALUE_INT", 1, 191)}
    seqs = [m.get_seq() for m in ours]  # one sequence over heartbeats and alerts (no 'lost' packets)
    assert all((b - a) % 256 == 1 for a, b in zip(seqs, seqs[1:])), seqs


def test_our_alert_echoed_back_is_not_the_vehicles_telemetry() -> None:
    # A router echoing our STATUSTEXT (now sent as the vehicle's component) must not keep a silent
    # vehicle's link up.
    lock = VehicleLock("test", (255, 191), system_id=1)
    echo = mavlink.MAVLink_statustext_message(4, b"SI crack", 0, 0)
    echo.pack(mavlink.MAVLink(None, srcSystem=1, srcComponent=191))
    vehicle = mavlink.MAVLink_attitude_message(1, 0, 0, 0, 0, 0, 0)
    vehicle.pack(mavlink.MAVLink(None, srcSystem=1, srcComponent=1))
    assert not lock.from_vehicle(echo) and lock.from_vehicle(vehicle)


def test_a_named_value_name_longer_than_mavlink_carries_is_refused() -> None:
    # NAMED_VALUE_INT.name is char[10]: 'SI_SEVERE_CRACKS' went out as 'SI_SEVERE_' without a word.
    import pytest

    from skyinspect.errors import InputError

    with pytest.raises(InputError, match="1 to 10 ASCII characters"):
        MavlinkAlerter(lambda m: True, name="SI_SEVERE_CRACKS")
    sent: list = []
    alerter = MavlinkAlerter(lambda m: sent.append(m) or True, name="SI_CRACKS1")  # 10: fits
    alerter.alert(1, Instance(CRACK, 0.9, [[0, 0], [30, 0], [30, 30]], 900.0), Pose.untagged(1.7e9, "test"))
    (value,) = [m for m in sent if m.get_type() == "NAMED_VALUE_INT"]
    packed = value.pack(mavlink.MAVLink(None, 1, 191))
    assert mavlink.MAVLink(None).parse_buffer(packed)[0].name == "SI_CRACKS1"
