"""The ids dronekit-path alerts carry: a real dronekit ``Vehicle`` (dronekit2) on a loopback vehicle."""

from __future__ import annotations

import time

import pytest
from loopback_vehicle import LoopbackVehicle, free_udp_port

from onboard.alerts import MavlinkAlerter
from onboard.telemetry.dronekit_adapter import DronekitTelemetry
from skyinspect.pose import Pose
from skyinspect.segmentation import CRACK, Instance


def _wait(what: str, done, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_dronekit_alerts_go_out_as_a_component_of_the_vehicles_system() -> None:
    # send_mavlink packs with dronekit's own ids (255/0): QGroundControl drops every message whose system
    # id is not its vehicle's, so no STATUSTEXT from the dronekit path reached the operator's console.
    dronekit = pytest.importorskip("dronekit", reason="dronekit2 (onboard extra) not installed")
    port = free_udp_port()
    # _initialize=False: the loopback vehicle sends no HEARTBEAT, which connect()'s initialize waits for
    vehicle = dronekit.connect(f"udpin:127.0.0.1:{port}", _initialize=False)
    vehicle._handler.start()  # the receive and send threads initialize() would start
    loop = LoopbackVehicle(port, duration_s=4.0)
    adapter = DronekitTelemetry(vehicle).start()
    loop.start()
    try:
        _wait("vehicle not followed", lambda: adapter.peers.system is not None)
        alerter = MavlinkAlerter(adapter.send)
        pose = Pose(1.7e9, 47.1, 8.2, 500.0, 20.0, 0.0, 0.0, 90.0, fix_type=3)
        for k in range(2):
            alerter.alert(k, Instance(CRACK, 0.9, [[0, 0], [30, 0], [30, 30]], 900.0), pose)
            alerter.tick(force=True)
        _wait("alerts not received", lambda: sum(m.get_type() == "NAMED_VALUE_INT" for m in loop.received) >= 2)
        _wait("no TIMESYNC request", lambda: sum(m.get_type() == "TIMESYNC" for m in loop.received) >= 2)
    finally:
        adapter.stop()
        loop.stop_flag.set()
        loop.join(5)
        vehicle.close()
    alerts = [m for m in loop.received if m.get_type() in ("STATUSTEXT", "NAMED_VALUE_INT")]
    assert len(alerts) >= 3
    assert {(m.get_srcSystem(), m.get_srcComponent()) for m in alerts} == {(1, 191)}
    seqs = [m.get_seq() for m in alerts]  # their own sequence, with no gap (a GCS counts gaps as lost)
    assert all((b - a) % 256 == 1 for a, b in zip(seqs, seqs[1:])), seqs
    # dronekit's own traffic (our TIMESYNC requests go through send_mavlink) keeps its ids and sequence
    own = [m for m in loop.received if m.get_type() not in ("STATUSTEXT", "NAMED_VALUE_INT")]
    assert own and {(m.get_srcSystem(), m.get_srcComponent()) for m in own} == {(255, 0)}
    own_seqs = [m.get_seq() for m in own]
    assert all((b - a) % 256 == 1 for a, b in zip(own_seqs, own_seqs[1:])), own_seqs
