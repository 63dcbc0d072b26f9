"""TIMESYNC: the receiver ↔ vehicle boot clock offset, from logs and from a live loopback vehicle."""

from __future__ import annotations

import logging
import statistics
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from loopback_vehicle import M_PER_DEG_LAT, LoopbackVehicle, free_udp_port
from onboard_helpers import FACADE_TLOG
from onboard_synth import BOOT_UTC_S, flight_records, timesync_records, write_tlog
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.frames import Frame
from onboard.runtime import LiveTagger
from onboard.telemetry import TelemetryBuffer
from onboard.telemetry.live import LiveMavlink
from onboard.telemetry import timesync
from onboard.telemetry.timesync import RoundTrip, TimesyncRequester, estimate, round_trips
from onboard.telemetry.tlog import read_tlog

TLOG_MINUS_BOOT_S = BOOT_UTC_S + 0.2  # the synthetic .tlog clock − the synthetic vehicle's boot clock


def _reply(tc1_ns: int, ts1_ns: int, component: int = 1) -> mavlink.MAVLink_message:
    msg = mavlink.MAVLink_timesync_message(tc1_ns, ts1_ns)
    msg.pack(mavlink.MAVLink(None, srcSystem=1, srcComponent=component))  # sets the source ids
    return msg


# --- the arithmetic ---------------------------------------------------------------------------------
def test_round_trip_units_and_filtering() -> None:
    # requester clock 1000.000 s out, vehicle boot 5.004 s on arrival, reply back at 1000.010 s
    records = [(1000.010, _reply(5_004_000_000, 1_000_000_000_000)),
               (1000.5, _reply(6_000_000_000, 999_000_000_000)),  # ts1 1.5 s before arrival: another clock
               (1000.6, _reply(0, 1_000_600_000_000)),  # a request, not a reply
               (1000.7, _reply(6_700_000_000, 1_000_690_000_000, component=100))]  # a camera's clock
    (trip,) = round_trips(records, system_id=1, component_id=1)
    assert trip.rtt_s == pytest.approx(0.010) and trip.offset_s == pytest.approx(1000.005 - 5.004)
    assert len(round_trips(records, system_id=1)) == 2 and round_trips(records, system_id=2) == []


def test_estimate_prefers_short_round_trips_and_follows_drift() -> None:
    """A congested request leg (exponential, mean 30 ms) and a clean reply leg (mean 2 ms) bias every
    midpoint; the short round trips are the least biased. The vehicle clock runs 100 ppm slow."""
    rng = np.random.default_rng(0)
    drift = 100e-6
    trips = []
    for i in range(300):
        mid = 5000.0 + i
        up, down = 0.001 + rng.exponential(0.03), 0.001 + rng.exponential(0.002)
        trips.append(RoundTrip(mid - up, mid + down, mid - 4000.0 - drift * i))  # stamped on arrival
    true = [4000.0 + drift * i for i in range(300)]

    def worst_s(sync) -> float:
        return max(abs(sync.offset_at(5000.0 + i) - true[i]) for i in range(20, 280))

    sync, plain = estimate(trips), estimate(trips, best_fraction=1.0)  # plain: median of every round trip
    assert worst_s(sync) < 0.007 and worst_s(plain) > 2.5 * worst_s(sync)
    assert sync.drift_ppm == pytest.approx(-100, abs=10)
    constant = statistics.median(t.offset_s for t in trips)  # one offset for the whole span
    assert max(abs(constant - x) for x in true[20:280]) > 0.01  # the drift alone: 26 ms over the span
    assert estimate(trips[:2]) is None


def test_requester_paces_and_recognises_its_replies() -> None:
    req = TimesyncRequester(interval_s=1.0, burst=3, burst_interval_s=0.1, keep=4)
    sent = []
    t = 100.0
    while t < 103.0:
        if req.due(t):
            sent.append(req.request(t))
        t = round(t + 0.05, 2)
    times = [m.ts1 * 1e-9 for m in sent]
    assert all(m.tc1 == 0 for m in sent) and np.diff(times)[:2] == pytest.approx([0.1, 0.1])
    assert np.diff(times)[2:] == pytest.approx([1.0] * (len(times) - 3))
    assert req.is_reply_to_us(_reply(5, sent[-1].ts1)) and not req.is_reply_to_us(_reply(0, sent[-1].ts1))
    assert not req.is_reply_to_us(_reply(5, sent[-1].ts1 + 1))
    assert not req.is_reply_to_us(_reply(5, sent[0].ts1))  # only the last ``keep`` are remembered
    assert not TimesyncRequester(interval_s=0).due(1e9)


# --- logs ---------------------------------------------------------------------------------------------
def test_facade_tlog_timesync_matches_verification() -> None:
    """verification.txt (its own script): 202 replies to the GCS's 1 Hz requests, RTT median 5.79 ms,
    GCS wall − vehicle boot median 1795429311294.6 ms; GCS wall − vehicle UTC = 467.1 ms."""
    messages, _ = read_tlog(FACADE_TLOG)
    trips = round_trips(messages, system_id=1, component_id=1)
    assert len(trips) == 202
    assert statistics.median(t.rtt_s for t in trips) == pytest.approx(0.00579, abs=5e-5)
    assert statistics.median(t.offset_s for t in trips) == pytest.approx(1795429311.2946, abs=2e-4)
    buffer = TelemetryBuffer(messages, FACADE_TLOG)
    info = buffer.describe_time_base()["timesync"]
    assert info["consistent"] and info["receiver_minus_utc_s"] == pytest.approx(0.4671, abs=0.002)
    # SITL's clock runs ~50 ppm slow against the host's: the estimate follows it (10 ms over the log)
    sync = buffer.clock_sync
    assert sync.offsets_s[-1] - sync.offsets_s[0] == pytest.approx(0.010, abs=0.002)
    best = sorted(trips, key=lambda t: t.rtt_s)[:50]
    assert statistics.median(abs(t.offset_s - sync.offset_at(t.received_s)) for t in best) < 0.001


def _tlog(tmp_path: Path, name: str, records: list) -> Path:
    return write_tlog(tmp_path / name, sorted(records, key=lambda r: r[0]))


def test_tlog_without_system_time_uses_timesync_not_arrival(tmp_path: Path) -> None:
    """No SYSTEM_TIME, telemetry 80 ms late: TIMESYNC puts boot stamps on the .tlog clock exactly;
    arrival times would be 80 ms late (0.4 m at 5 m/s)."""
    flight = flight_records(system_time=False, latency_s=0.08)
    sync = timesync_records(100.0, 110.0, jitter=(0.0, 0.05, 0.2, 0.01))
    with_ts = TelemetryBuffer.from_tlog(_tlog(tmp_path, "ts.tlog", flight + sync))
    arrival = TelemetryBuffer.from_tlog(_tlog(tmp_path, "plain.tlog", flight))
    assert with_ts.time_base == arrival.time_base == "tlog"
    assert with_ts.span_utc_s[0] == pytest.approx(100.0 + TLOG_MINUS_BOOT_S, abs=1e-3)
    assert arrival.span_utc_s[0] == pytest.approx(100.08 + TLOG_MINUS_BOOT_S, abs=1e-3)
    info = with_ts.describe_time_base()["timesync"]
    assert info["consistent"] and info["link_latency_s"] == pytest.approx(0.08, abs=2e-3)
    assert arrival.describe_time_base()["timesync"] is None


def test_inconsistent_timesync_is_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Replies whose tc1 is 0.5 s behind the boot clock of time_boot_ms would make telemetry arrive
    before it was stamped: warned about and not used."""
    flight = flight_records(system_time=False, latency_s=0.03)
    sync = timesync_records(100.0, 110.0, remote_error_s=-0.5)
    with caplog.at_level(logging.WARNING):
        buffer = TelemetryBuffer.from_tlog(_tlog(tmp_path, "bad.tlog", flight + sync))
    assert buffer.clock_sync is None and "TIMESYNC" in caplog.text
    assert buffer.describe_time_base()["timesync"]["consistent"] is False
    assert buffer.span_utc_s[0] == pytest.approx(100.03 + TLOG_MINUS_BOOT_S, abs=1e-3)  # arrival times


# --- live: the companion against a loopback vehicle ----------------------------------------------
def test_live_offset_and_frame_times_against_loopback_vehicle() -> None:
    """The vehicle's boot clock is host − ``boot_host_s`` and its UTC host + 0.5 s; a camera
    component answers TIMESYNC with a clock 7 s off. The companion must measure host − boot within
    a few ms and tag a host-stamped frame at UTC = host + 0.5 s."""
    port = free_udp_port()
    live = LiveMavlink(f"udpin:127.0.0.1:{port}", link_timeout_s=1.0)
    vehicle = LoopbackVehicle(port, duration_s=8.0, utc_error_s=0.5, camera_clock_s=7.0)
    live.start()
    vehicle.start()
    try:
        assert live.wait_connected(5.0)
        time.sleep(3.0)  # the 10 Hz burst, then 1 Hz
        frame_host_s = time.time() - 0.3  # a frame the telemetry already brackets
        buffer = live.buffer()
        # Feedback pairing off: the vehicle's 2 Hz CAMERA_FEEDBACK lands within the 50 ms pairing window of
        # a frame at an arbitrary time 1 run in 5, and its pose is then the photo's, not this instant's.
        tagger = LiveTagger(live, feedback_tolerance_s=0.0)
        pose = tagger(Frame(1, np.zeros((4, 4, 3), np.uint8), Path("cam"), frame_host_s))
    finally:
        vehicle.stop_flag.set()
        vehicle.join(5)
        live.stop()
    assert buffer is not None and buffer.time_base == "system_time" and buffer.clock_sync is not None
    sync = buffer.clock_sync
    error_s = sync.offset_at(frame_host_s) - vehicle.boot_host_s
    print(f"TIMESYNC offset error {error_s * 1e3:+.3f} ms, rtt {sync.rtt_s * 1e3:.3f} ms, "
          f"{sync.round_trips} round trips, {live.timesync.requests} requests")
    assert abs(error_s) < 0.003
    assert sync.round_trips >= 8 and vehicle.timesync_answered >= sync.round_trips
    # the camera's replies (same ts1, compid 100) and the vehicle's own requests were not used
    kept = [m for _, m in live.records() if m.get_type() == "TIMESYNC"]
    assert all(m.tc1 > 0 for m in kept) and any(m.get_srcComponent() == 100 for m in kept)
    # host → boot → UTC: the frame's capture time and position are the vehicle's at that instant
    assert pose.is_tagged and pose.source == "interpolated"
    assert pose.time_utc_s == pytest.approx(frame_host_s + 0.5, abs=0.003)
    north_error_m = (pose.lat_deg - vehicle.lat_at_host(frame_host_s)) * M_PER_DEG_LAT
    assert abs(north_error_m) < 0.02  # 5 m/s: 4 mm per ms; without TIMESYNC it would be 2.5 m
    requests = [m for m in vehicle.received if m.get_type() == "TIMESYNC" and m.tc1 == 0]
    assert requests and all(abs(m.ts1 * 1e-9 - frame_host_s) < 10 for m in requests)


# --- live: answering the vehicle's own requests ----------------------------------------------------
def test_live_link_answers_the_vehicles_timesync_requests() -> None:
    """The vehicle asks at 5 Hz and echoes every request it receives back unchanged (a router would):
    each of its requests gets one reply from the companion, ts1 mirrored, tc1 = the companion's
    host clock between the request's write and the reply's arrival (both taken by the vehicle on the
    same host clock, so this bound is exact, not a timing guess). The companion answers neither its
    own echoed requests, nor the vehicle's or the camera's replies."""
    port = free_udp_port()
    live = LiveMavlink(f"udpin:127.0.0.1:{port}", link_timeout_s=1.0)
    vehicle = LoopbackVehicle(port, duration_s=2.5, timesync_hz=5.0, echo_requests=True, camera_clock_s=7.0)
    live.start()
    vehicle.start()
    try:
        assert live.wait_connected(5.0)
        vehicle.join(10)
    finally:
        vehicle.stop_flag.set()
        live.stop()
    sent = len(vehicle.requests_sent)
    replies = vehicle.replies
    assert sent >= 5 and len(replies) >= sent - 2  # the last request may meet a stopped vehicle
    assert len({r.ts1_ns for r in replies}) == len(replies)  # one answer per request
    assert vehicle.stray_replies == []  # nothing answered that was not the vehicle's request
    assert live.timesync_answered >= len(replies)
    assert all(r.src == (255, mavlink.MAV_COMP_ID_ONBOARD_COMPUTER) for r in replies)
    assert all(r.target in (None, (1, 1)) for r in replies)
    for r in replies:
        assert r.sent_host_s - 1e-5 <= r.tc1_ns * 1e-9 <= r.arrived_host_s + 1e-5
    # what the vehicle would estimate: companion clock − its boot clock = boot_host_s (the truth)
    rtt_s = [r.arrived_host_s - r.sent_host_s for r in replies]
    errors_s = [0.5 * (r.sent_host_s + r.arrived_host_s) - r.tc1_ns * 1e-9 for r in replies]
    print(f"{len(replies)}/{sent} requests answered; round trip median {statistics.median(rtt_s) * 1e3:.3f} ms, "
          f"|vehicle-side offset error| median {statistics.median(map(abs, errors_s)) * 1e3:.3f} ms, "
          f"{live.timesync.requests} requests of our own")
    assert all(abs(e) <= 0.5 * rtt + 1e-5 for e, rtt in zip(errors_s, rtt_s))
    # our own requests still measured the vehicle's clock, its echoes and the camera's clock notwithstanding
    buffer = live.buffer()
    assert buffer is not None and buffer.clock_sync is not None
    assert abs(buffer.clock_sync.offset_at(time.time()) - vehicle.boot_host_s) < 0.003


def _request(ts1_ns: int, system: int = 1, component: int = 1, **target: int) -> mavlink.MAVLink_message:
    msg = mavlink.MAVLink_timesync_message(0, ts1_ns)
    msg.pack(mavlink.MAVLink(None, srcSystem=system, srcComponent=component))
    for name, value in target.items():  # newer dialects carry these; set them by hand on this one
        setattr(msg, name, value)
    return msg


def test_which_timesync_requests_are_answered() -> None:
    own = (255, 191)
    req = TimesyncRequester()
    ours = req.request(50.0)
    assert timesync.is_request_for(_request(5), own, req)  # the autopilot's broadcast request
    assert timesync.is_request_for(_request(5, target_system=255, target_component=191), own, req)
    assert not timesync.is_request_for(_request(5, target_system=255, target_component=100), own, req)
    assert not timesync.is_request_for(_request(5, target_system=2, target_component=0), own, req)
    assert not timesync.is_request_for(_request(5, *own), own, req)  # our own ids: an echo
    assert not timesync.is_request_for(_request(ours.ts1, system=1), own, req)  # our ts1 relayed
    assert not timesync.is_request_for(_reply(7, 5), own, req)  # a reply
    answer = timesync.reply(_request(123, system=1, component=1), 456)
    assert (answer.tc1, answer.ts1) == (456, 123)
    if timesync.HAS_TARGETS:
        assert (answer.target_system, answer.target_component) == (1, 1)


def test_dronekit_adapter_answers_requests_through_send_mavlink() -> None:
    """dronekit's listener runs on its receive thread; send_mavlink only queues, so answering there
    is safe. tc1 = the request's arrival on the adapter's clock."""
    from onboard.telemetry.dronekit_adapter import DronekitTelemetry

    class Vehicle:
        def __init__(self) -> None:
            self.sent: list = []
            self.listeners: list = []

        def add_message_listener(self, name: str, fn) -> None:
            self.listeners.append(fn)

        def send_mavlink(self, msg) -> None:
            self.sent.append(msg)

    vehicle = Vehicle()
    adapter = DronekitTelemetry(vehicle, clock=lambda: 1234.5).start()
    adapter.timesync.interval_s = 0  # no requests of our own: only answers
    adapter._on_message(vehicle, "TIMESYNC", _request(777_000_000))
    adapter._on_message(vehicle, "TIMESYNC", _reply(5, 888))
    (answer,) = vehicle.sent
    assert (answer.tc1, answer.ts1) == (1_234_500_000_000, 777_000_000) and adapter.timesync_answered == 1


class _StuckLink:
    """A link whose writes hang until ``release`` is set (a full serial buffer); reads are scripted."""

    def __init__(self, messages: list) -> None:
        self.incoming, self.written = list(messages), []
        self.release = threading.Event()
        self.mav = self

    def recv_match(self, blocking: bool = True, timeout: float = 0.1):
        if self.incoming:
            return self.incoming.pop(0)
        time.sleep(timeout)
        return None

    def send(self, msg) -> None:
        self.release.wait(5.0)
        self.written.append(msg)

    def write(self, data: bytes) -> None:  # packed frames: the heartbeat and alerts (sent as the vehicle's component)
        self.release.wait(5.0)
        self.written.extend(mavlink.MAVLink(None).parse_buffer(data) or [])

    def close(self) -> None:
        self.release.set()


def test_a_stuck_write_does_not_stall_the_receiver() -> None:
    enc = mavlink.MAVLink(None, srcSystem=1, srcComponent=1)
    incoming = []
    for i in range(5):
        for msg in (mavlink.MAVLink_timesync_message(0, 1000 + i), mavlink.MAVLink_heartbeat_message(2, 3, 0, 0, 4, 3)):
            msg.pack(enc)
            incoming.append(msg)
    link = _StuckLink(incoming)
    live = LiveMavlink("stuck", connect=lambda *_: link, link_timeout_s=30.0).start()
    try:
        deadline = time.monotonic() + 5.0
        while live.messages < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert live.messages == 5 and not link.written  # all received while the first write hangs
        assert live.send(mavlink.MAVLink_statustext_message(4, b"SI test", 0, 0))  # queued, not blocked
        link.release.set()
        while live.timesync_answered < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        live.stop()
    answers = [m for m in link.written if m.get_type() == "TIMESYNC" and m.tc1 > 0]
    assert sorted(m.ts1 for m in answers) == [1000, 1001, 1002, 1003, 1004]
    assert any(m.get_type() == "STATUSTEXT" for m in link.written)


def test_unstamped_samples_on_the_tlog_clock_lose_the_link_latency(tmp_path: Path) -> None:
    """time_base 'tlog' with TIMESYNC: boot-stamped samples go boot + the offset, but a MOUNT_STATUS (no time
    stamp) kept its arrival, late by the link latency (80 ms here): the gimbal pitching 1 deg/s read 0.08 deg
    behind. Now its arrival less the median latency (TIMESYNC's link_latency_s), as on the arrival clock."""
    records = []
    for t, msg in flight_records(duration_s=10.0, latency_s=0.08, gimbal_pitch_deg=None):
        records.append((t, msg))
        if msg.get_type() == "GLOBAL_POSITION_INT":
            boot = msg.time_boot_ms * 1e-3
            records.append((t, mavlink.MAVLink_mount_status_message(0, 0, round((-30.0 - (boot - 100.0)) * 100), 0, 0)))
    records += timesync_records(100.0, 110.0, tlog_minus_boot_s=TLOG_MINUS_BOOT_S)
    buffer = TelemetryBuffer.from_tlog(write_tlog(tmp_path / "f.tlog", sorted(records, key=lambda r: r[0])),
                                       time_base="tlog")
    assert buffer.gimbal_source == "MOUNT_STATUS" and buffer.clock_sync is not None
    for boot in (101.05, 103.3, 106.7, 108.45):
        pitch = buffer.pose_at(boot + TLOG_MINUS_BOOT_S).gimbal_pitch_deg
        assert pitch == pytest.approx(-30.0 - (boot - 100.0), abs=0.01), boot
