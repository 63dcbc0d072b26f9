"""Who is on a live link: the vehicle, a ground station, a second vehicle, our own messages echoed back."""

from __future__ import annotations

import logging
import random
import threading
import time

from loopback_vehicle import LoopbackVehicle, free_udp_port
from pymavlink.dialects.v20 import ardupilotmega as mav

from onboard.telemetry import convert
from onboard.telemetry.live import LiveMavlink


def test_two_vehicles_on_one_link_the_first_heard_is_followed(caplog) -> None:
    # Before: the buffer took the system with the most GLOBAL_POSITION_INT in the window; two vehicles
    # at 10 Hz with 10 % radio loss each swapped it 20 times in 20 s: frames tagged 111 km away.
    rng = random.Random(1)
    live = LiveMavlink("udpin:127.0.0.1:14550")
    host0 = time.time() - 30.0
    encoders = {s: mav.MAVLink(None, srcSystem=s, srcComponent=1) for s in (1, 2)}
    chosen = []
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        for k in range(200):
            for system, lat in ((1, 47.0), (2, 46.0)):
                if rng.random() < 0.1:
                    continue
                t = host0 + k * 0.1 + 0.01 * system
                msgs = [convert.global_position(100 + k * 0.1, lat, 8.0, 500.0, 20.0),
                        convert.attitude(100 + k * 0.1, 0.0, 0.0, 90.0)]
                msgs += [convert.system_time(100 + k * 0.1, t)] if k % 10 == 0 else []
                for m in msgs:
                    m.pack(encoders[system])  # sets the source ids
                    live.add(t, m)
                buffer = live.buffer()
                if buffer is not None:
                    chosen.append(buffer.system_id)
    assert set(chosen) == {1}, f"{chosen.count(2)} builds followed system 2"
    said = [r.getMessage() for r in caplog.records if "system 2" in r.getMessage()]
    assert len(said) == 1 and "system 1" in said[0]


def test_a_ground_stations_heartbeats_do_not_hide_a_silent_vehicle(caplog) -> None:
    # A companion behind mavlink-router hears the GCS's heartbeats (255/190) and its own messages
    # echoed back (255/191, and its heartbeat as the vehicle's component 1/191). Before: they kept the link 'up' while the vehicle was silent for 3 s:
    # no 'link lost', no reconnect counted.
    port = free_udp_port()
    # TIMESYNC only in the first second: the loopback vehicle answers requests even while 'silent'
    live = LiveMavlink(f"udpin:127.0.0.1:{port}", link_timeout_s=1.0, backoff_s=0.1, max_backoff_s=0.2,
                       timesync_interval_s=60.0)
    vehicle = LoopbackVehicle(port, silent=(1.5, 4.5), duration_s=6.5)
    stop = threading.Event()

    def ground_station() -> None:
        from pymavlink import mavutil

        out = mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}")
        gcs, echo = mav.MAVLink(None, srcSystem=255, srcComponent=190), mav.MAVLink(None, srcSystem=255, srcComponent=191)
        ours = mav.MAVLink(None, srcSystem=1, srcComponent=191)  # our heartbeat, sent as the vehicle's component
        while not stop.is_set():
            out.write(mav.MAVLink_heartbeat_message(mav.MAV_TYPE_GCS, mav.MAV_AUTOPILOT_INVALID, 0, 0, 0, 3).pack(gcs))
            for enc in (echo, ours):
                out.write(mav.MAVLink_heartbeat_message(mav.MAV_TYPE_ONBOARD_CONTROLLER, mav.MAV_AUTOPILOT_INVALID,
                                                        0, 0, 0, 3).pack(enc))
            time.sleep(0.25)
        out.close()

    gcs = threading.Thread(target=ground_station, daemon=True)
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        live.start()
        gcs.start()
        vehicle.start()
        try:
            vehicle.join(15)
            time.sleep(0.3)
        finally:
            stop.set()
            gcs.join(5)
            live.stop()
    assert live.reconnects == 1
    assert any("link lost" in r.getMessage() for r in caplog.records)


def test_a_vehicle_heard_but_not_streaming_position_is_said_once(caplog) -> None:
    # An autopilot whose port streams nothing but HEARTBEAT (SRn_POSITION = 0, no SET_MESSAGE_INTERVAL):
    # before, the whole flight was recorded untagged ('no telemetry yet') without a word in the log.
    live = LiveMavlink("udpin:127.0.0.1:14550")
    enc = mav.MAVLink(None, srcSystem=1, srcComponent=1)
    host0 = time.time() - 30.0
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        for k in range(80):  # 8 s of heartbeats at 10 Hz, a frame tagged after each
            hb = mav.MAVLink_heartbeat_message(mav.MAV_TYPE_QUADROTOR, mav.MAV_AUTOPILOT_ARDUPILOTMEGA, 0, 0, 4, 3)
            hb.pack(enc)
            live.add(host0 + k * 0.1, hb)
            assert live.buffer() is None
    said = [r.getMessage() for r in caplog.records if "GLOBAL_POSITION_INT" in r.getMessage()]
    assert len(said) == 1 and "SRn_POSITION" in said[0] and "untagged" in said[0]


def test_udpout_to_a_server_endpoint_gets_telemetry_because_we_heartbeat() -> None:
    # mavlink-router's 'Mode = Server' UDP endpoint (and any router) sends only to peers it has heard
    # from. Before: the companion wrote nothing until telemetry arrived, so with --mavlink udpout:...
    # nothing ever did. Now it makes itself heard from the moment it opens (TIMESYNC, then HEARTBEAT).
    import socket

    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(0.05)
    enc = mav.MAVLink(None, srcSystem=1, srcComponent=1)
    heard: list = []
    stop = threading.Event()

    def endpoint() -> None:
        parser, k = mav.MAVLink(None), 0
        while not stop.is_set():
            try:
                data, addr = server.recvfrom(2048)
                heard.extend((addr, m) for m in parser.parse_buffer(data) or [])
            except socket.timeout:
                pass
            for addr in {a for a, _ in heard}:
                server.sendto(convert.attitude(100 + k * 0.05, 0.0, 0.0, 90.0).pack(enc), addr)
            k += 1

    thread = threading.Thread(target=endpoint, daemon=True)
    thread.start()
    live = LiveMavlink(f"udpout:127.0.0.1:{server.getsockname()[1]}", link_timeout_s=1.0).start()
    try:
        assert live.wait_connected(5.0)
        time.sleep(1.2)  # a heartbeat once the vehicle is known
    finally:
        live.stop()
        stop.set()
        thread.join(2)
        server.close()
    # Once the vehicle is known, heartbeats as a component of its system, never as 255 (ArduPilot's
    # SYSID_MYGCS: a heartbeat from 255 counts as the GCS alive and would mask a GCS-loss failsafe).
    beats = [m for _, m in heard if m.get_type() == "HEARTBEAT"]
    assert beats and all(m.type == mav.MAV_TYPE_ONBOARD_CONTROLLER for m in beats)
    assert {(m.get_srcSystem(), m.get_srcComponent()) for m in beats} == {(1, mav.MAV_COMP_ID_ONBOARD_COMPUTER)}


def test_the_vehicle_to_follow_can_be_named(tmp_path, caplog) -> None:
    # The first vehicle heard may be the wrong one: the warning names the way to choose, and
    # --vehicle-system-id reaches the link (before: no way to choose; the warning named none).
    import inspect

    from onboard.runtime import run_onboard
    from skyinspect.cli.onboard_live import onboard_command

    live = LiveMavlink("udpin:127.0.0.1:14550", system_id=2)
    host0 = time.time() - 10.0
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        for k in range(30):
            for system, lat in ((1, 47.0), (2, 46.0)):
                for m in (convert.global_position(100 + k * 0.1, lat, 8.0, 500.0, 20.0),
                          convert.attitude(100 + k * 0.1, 0.0, 0.0, 90.0)):
                    m.pack(mav.MAVLink(None, srcSystem=system, srcComponent=1))
                    live.add(host0 + k * 0.1, m)
    assert live.buffer().system_id == 2  # type: ignore[union-attr]
    said = [r.getMessage() for r in caplog.records if "system 1" in r.getMessage()]
    assert len(said) == 1 and "--vehicle-system-id" in said[0]
    assert "vehicle_system_id" in inspect.signature(run_onboard).parameters
    assert "vehicle_system_id" in inspect.signature(onboard_command).parameters


def test_a_stream_as_slow_as_the_gap_threshold_is_said_once(caplog) -> None:
    # GLOBAL_POSITION_INT at 1 Hz (SRn_POSITION 1) with ±30 ms of radio jitter against the 1 s gap
    # threshold: 154 of 300 frames 'untagged: telemetry gap 1.01 s', and not a word why. Now one warning.
    def run(position_hz: float) -> list[str]:
        rng, live = random.Random(0), LiveMavlink("udpin:127.0.0.1:14550")
        host0 = time.time() - 60.0
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
            for k in range(300):
                boot, host = 100.0 + k * 0.1, host0 + k * 0.1 + 0.05
                if k % round(10 / position_hz) == 0:
                    jitter = rng.uniform(-0.03, 0.03)
                    live.add(host + jitter, convert.global_position(boot + jitter, 47 + k * 1e-6, 8.0, 500.0, 20.0))
                live.add(host, convert.attitude(boot, 0.0, 0.0, 90.0))
                if k % 10 == 0:
                    live.add(host, convert.system_time(boot, host - 0.05))
                live.buffer()
        return [r.getMessage() for r in caplog.records if "gap threshold" in r.getMessage()]

    assert run(5.0) == []
    said = run(1.0)
    assert len(said) == 1 and "GLOBAL_POSITION_INT" in said[0] and "SRn_POSITION" in said[0], said


def test_the_companion_heartbeat_numbers_its_packets() -> None:
    # A receiver counts lost packets by the sequence number of each (system, component): every heartbeat
    # went out as seq 0 (packing does not advance it, sending does), which mavlink-router and a GCS's link
    # statistics read as 255 packets lost between two heartbeats.
    from onboard.telemetry.link_peers import CompanionHeartbeat

    beat, parser = CompanionHeartbeat(191), mav.MAVLink(None)
    seqs = [parser.parse_char(beat.pack(1)).get_seq() for _ in range(258)]
    assert seqs[:3] == [0, 1, 2] and seqs[255:] == [255, 0, 1]
    assert parser.parse_char(beat.pack(2)).get_srcSystem() == 2


def test_a_vehicle_waiting_for_its_gnss_fix_is_said_so_not_told_to_replay_a_log(caplog) -> None:
    # On the ground before the first fix ArduPilot streams GLOBAL_POSITION_INT at lat = lon = 0. The live
    # link said, once the vehicle had been heard 5 s: 'GLOBAL_POSITION_INT messages all have lat = lon = 0
    # (no GNSS fix during the log). Replay a log recorded with a position fix; frames are recorded untagged
    # until it arrives': advice for a replay, given to an operator whose vehicle is still acquiring its fix.
    from onboard.telemetry import convert

    live = LiveMavlink("udpin:127.0.0.1:14550")
    host0 = time.time() - 30.0
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        for k in range(80):  # 8 s at 10 Hz, no fix yet
            live.add(host0 + k * 0.1, convert.global_position(100.0 + k * 0.1, 0.0, 0.0, 0.0, 0.0))
            live.add(host0 + k * 0.1, convert.attitude(100.0 + k * 0.1, 0.0, 0.0, 0.0))
            assert live.buffer() is None
    said = [r.getMessage() for r in caplog.records if "lat = lon = 0" in r.getMessage()]
    assert len(said) == 1 and "Replay" not in said[0] and "fix" in said[0] and "untagged" in said[0], said
