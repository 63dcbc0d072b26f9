"""Telemetry timed on the .tlog clock without TIMESYNC: each boot-stamped sample is placed at its vehicle time +
the offset between the clocks (the lower envelope of arrival − boot), not at its own jittery arrival.

Synthetic .tlogs (pymavlink's encoder; onboard_synth's flight north at 5 m/s, no SYSTEM_TIME, as the
cuav-style frames named by the logging computer's clock are replayed). On the ArduPlane SITL 2018 log arrival
− boot spreads over 0.64 s (99th percentile of the delays); timed on the vehicle's clock its frames moved by up to 2.06 m."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
from onboard_synth import BOOT_UTC_S, LAT0, M_PER_DEG_LAT, SPEED_N_MPS, flight_records, write_tlog

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.telemetry.buffer import TelemetryBuffer
from onboard.telemetry.frame_clock import map_frame_clock

TLOG_MINUS_BOOT_S = BOOT_UTC_S + 0.2  # onboard_synth's .tlog clock


def _jittered(tmp_path: Path, drift: float = 0.0, pace: float = 1.0, system_time: bool = False,
              feedback_boot_s: tuple[float, ...] = (), mount_deg_per_s: float | None = None) -> Path:
    """Each record late by its own delay (0-0.6 s, most under 0.1 s, in the order sent), the logging clock
    drifting by ``drift`` or running at ``pace`` x the vehicle's (a replayed log). ``mount_deg_per_s``: the
    gimbal is a MOUNT_STATUS (no time stamp) sent with each position, pitching down from -30 deg at that rate."""
    rng = np.random.default_rng(7)
    recs: list[tuple[float, object]] = []
    sent_recs = flight_records(duration_s=60.0, system_time=system_time, feedback_boot_s=feedback_boot_s,
                               gimbal_pitch_deg=None if mount_deg_per_s is not None else -90.0)
    if mount_deg_per_s is not None:
        sent_recs = [r for t, msg in sent_recs for r in [(t, msg)] + (
            [(t, mavlink.MAVLink_mount_status_message(0, 0, round((-30.0 - mount_deg_per_s * (
                t - TLOG_MINUS_BOOT_S - 100.0)) * 100), 0, 0))] if msg.get_type() == "GLOBAL_POSITION_INT" else [])]
    for t, msg in sent_recs:
        boot = t - TLOG_MINUS_BOOT_S
        delay = min(float(rng.exponential(0.08)), 0.6)
        sent = TLOG_MINUS_BOOT_S + 100.0 + (boot - 100.0) * pace * (1 + drift)
        recs.append((max(sent + delay, recs[-1][0] if recs else 0.0), msg))  # one link: first in, first out
    return write_tlog(tmp_path / "jittered.tlog", recs)


def _north_m(pose: object) -> float:
    return (pose.lat_deg - LAT0) * M_PER_DEG_LAT  # type: ignore[attr-defined]


@pytest.mark.parametrize("drift", [0.0, 400e-6])  # 400 ppm: 24 ms over the minute, 0.12 m
def test_samples_timed_by_vehicle_time_not_their_arrival(tmp_path: Path, drift: float) -> None:
    buffer = TelemetryBuffer.from_tlog(_jittered(tmp_path, drift), time_base="tlog")
    errors = []
    for boot in np.arange(100.5, 159.5, 0.37):  # frames named by the logging computer at vehicle time `boot`
        pose = buffer.pose_at(TLOG_MINUS_BOOT_S + 100.0 + (boot - 100.0) * (1 + drift))
        assert pose.is_tagged, pose.status
        errors.append(abs(_north_m(pose) - SPEED_N_MPS * (boot - 100.0)))
    assert max(errors) < 0.05  # timed by arrival: 1.26 m (5 m/s x the delays' spread)
    info = buffer.describe_time_base()["arrival_clock"]
    assert info["drift_ppm"] == pytest.approx(drift * 1e6, abs=150)  # a minute of 1-ms stamps: ~100 ppm


def test_a_log_written_at_another_pace_stays_timed_by_arrival(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    """The real ArduPlane 2016 log: 588 s of boot time in 127 s of records. No one offset holds: by arrival."""
    with caplog.at_level(logging.WARNING):
        buffer = TelemetryBuffer.from_tlog(_jittered(tmp_path, pace=0.22), time_base="tlog")
    assert buffer.arrival_clock is None
    assert "another pace than the vehicle's" in caplog.text
    assert buffer.pose_at(buffer.span_utc_s[0] + 0.5).is_tagged


def test_utc_times_meet_the_samples_on_the_arrival_clock(tmp_path: Path) -> None:
    """time_base 'tlog' with SYSTEM_TIME (frames or CAMERA_FEEDBACK stamped in the vehicle's UTC): UTC → boot →
    the arrival clock, as the samples are. By the SYSTEM_TIME arrivals' median offset they came the median link
    delay later than the samples (0.055 s here: 0.28 m at 5 m/s)."""
    shots = (104.0, 121.3, 150.7)
    buffer = TelemetryBuffer.from_tlog(_jittered(tmp_path, system_time=True, feedback_boot_s=shots), time_base="tlog")
    assert buffer.arrival_clock is not None
    clock = map_frame_clock(buffer, "utc")
    for boot in np.arange(100.5, 159.5, 0.37):  # a frame stamped in UTC at vehicle time `boot`
        pose = buffer.pose_at(clock.to_telemetry_s(BOOT_UTC_S + boot))
        assert abs(_north_m(pose) - SPEED_N_MPS * (boot - 100.0)) < 0.05, boot
    for event, boot in zip(buffer.camera_events(), shots, strict=True):  # CAMERA_FEEDBACK's time_usec is UTC
        assert abs(_north_m(buffer.pose_at(event.time_utc_s)) - SPEED_N_MPS * (boot - 100.0)) < 0.05, boot


def test_log_clock_frames_meet_utc_samples_by_the_lower_envelope(tmp_path: Path) -> None:
    """time_base 'system_time', --frame-clock log, no TIMESYNC: a frame named on the logging computer's clock maps
    log → boot by the arrivals' lower envelope → UTC. By the SYSTEM_TIME arrivals' median offset it took the pose of
    the median link delay earlier (0.87 m at the median here; 52 ms on the SITL 2018 log's SYSTEM_TIME)."""
    buffer = TelemetryBuffer.from_tlog(_jittered(tmp_path, system_time=True), time_base="system_time")
    clock = map_frame_clock(buffer, "log")
    assert clock.method == "arrival_clock"
    for boot in np.arange(100.5, 159.5, 0.37):  # a frame named by the logging computer at vehicle time `boot`
        pose = buffer.pose_at(clock.to_telemetry_s(TLOG_MINUS_BOOT_S + boot))
        assert abs(_north_m(pose) - SPEED_N_MPS * (boot - 100.0)) < 0.05, boot


def test_unstamped_samples_on_the_arrival_clock_are_timed_as_the_stamped_ones(tmp_path: Path) -> None:
    """MOUNT_STATUS has no time stamp (nor a GPS_RAW_INT without a fix a current one): on the arrival clock it was
    timed by its raw arrival, late by its link delay, while position and attitude are not: the gimbal read from
    the median delay earlier (0.2 deg here at 1 deg/s). Now its arrival less the median delay above the line."""
    buffer = TelemetryBuffer.from_tlog(_jittered(tmp_path, mount_deg_per_s=1.0), time_base="tlog")
    assert buffer.gimbal_source == "MOUNT_STATUS" and buffer.arrival_clock is not None
    errors = []
    for boot in np.arange(101.5, 158.5, 0.37):  # a frame taken at vehicle time `boot`
        pose = buffer.pose_at(buffer.arrival_clock.at(boot))
        errors.append(pose.gimbal_pitch_deg - (-30.0 - (boot - 100.0)))
    # each sample still carries its own delay's difference from the median: the bias is what is gone
    assert abs(float(np.median(errors))) < 0.03, np.median(errors)


# The whole ArduPlane SITL 2018 .tlog's envelope (shared/data/telemetry/arduplane_sitl_2018/flight.tlog, 185 s, 25
# windows): records' clock = boot + OFFSET + DRIFT x (boot - REF); its drift's 95 % interval is -34.1 +- 3.1 ppm.
SITL_2018_LINE = (1533429604.509722, -34.1e-6, 1283.52832)


def test_a_drift_too_short_to_measure_is_not_applied() -> None:
    """The 12-s test excerpt of that log (tests/data) has 4 windows: its envelope's line tilted to -303 ppm, which
    put its ends up to 2.98 ms off the whole log's line (6 cm at 20 m/s). Its 95 % interval spans zero by far: no
    drift is applied, and the line stays within 0.9 ms of the whole log's."""
    window = Path(__file__).parents[1] / "data" / "telemetry" / "arduplane_sitl_2018" / "flight_window.tlog"
    buffer = TelemetryBuffer.from_tlog(window, time_base="tlog")
    clock = buffer.arrival_clock
    assert clock is not None and clock.drift == 0.0
    offset_s, drift, ref_s = SITL_2018_LINE
    for boot_s in (1233.434, 1239.9, 1245.274):  # the excerpt's first, middle and last boot stamps
        assert abs(clock.at(boot_s) - (boot_s + offset_s + drift * (boot_s - ref_s))) < 1e-3
