"""Telemetry whose clock steps back mid-log: a frame is tagged only from the stretch of the log that holds
its time once, never by interpolating across the step, and the step is said (its time and size).

Found with synthetic .tlogs (pymavlink's encoder; the 10 s flight north at 5 m/s of onboard_synth):
- the logging computer's clock set back 3 s at boot 105 s (no SYSTEM_TIME: timed by the .tlog clock, as
  cuav-style frames stamped by that computer are): before, a frame at boot 103 s was tagged 15 m north of
  where it was taken (30.0 m against 15.0 m), one at 104.5 s 15 m (37.5 against 22.5), without a word;
- the autopilot rebooted at boot 105 s (its boot clock restarting at 1 s) and flew on for 105 s more: the
  first boot's samples, put on the second boot's clock, fell among the second flight's, which were then
  interpolated between the two flights' positions."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest
from onboard_synth import BOOT_UTC_S, LAT0, M_PER_DEG_LAT, SPEED_N_MPS, flight_records, write_tlog

from onboard.telemetry.buffer import TelemetryBuffer
from onboard.telemetry.series import Series

STEP_S = 3.0


def _north_m(pose: object) -> float:
    return (pose.lat_deg - LAT0) * M_PER_DEG_LAT  # type: ignore[attr-defined]


def _host_clock_stepped_back(tmp_path: Path) -> Path:
    """No SYSTEM_TIME; every record from boot 105 s on written 3 s 'earlier' by the logging computer."""
    recs = [(t - STEP_S if t - BOOT_UTC_S - 0.2 >= 105.0 - 1e-6 else t, msg)
            for t, msg in flight_records(system_time=False)]
    return write_tlog(tmp_path / "stepped.tlog", recs)


def test_frames_at_a_time_the_stepped_clock_read_twice_are_left_untagged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        buffer = TelemetryBuffer.from_tlog(_host_clock_stepped_back(tmp_path))
    assert buffer.time_base == "tlog"
    said = [r.getMessage() for r in caplog.records if "step back" in r.getMessage()]
    assert len(said) == 1 and "3.0 s" in said[0] and "2023-11-14T22:15:05" in said[0], said
    # the host clock read 102.2..105.1 s after boot twice; a second more either side may be either stretch's
    for boot in (101.9, 103.0, 104.5, 104.95, 105.05, 106.0, 107.5, 108.5):
        pose = buffer.pose_at(BOOT_UTC_S + 0.2 + boot - (STEP_S if boot >= 105.0 else 0.0))
        assert not pose.is_tagged and "steps back 3.0 s" in pose.status, (boot, pose)
    for boot in (100.5, 100.95, 109.0, 109.5):  # read once: tagged, where they were taken
        pose = buffer.pose_at(BOOT_UTC_S + 0.2 + boot - (STEP_S if boot >= 105.0 else 0.0))
        assert pose.is_tagged and _north_m(pose) == pytest.approx(SPEED_N_MPS * (boot - 100.0), abs=0.05), boot


def test_a_reboot_mid_log_never_tags_from_the_two_boots_interleaved(tmp_path: Path) -> None:
    first = flight_records(duration_s=5.0)  # boot 100..105 s
    second = flight_records(duration_s=105.0, start_boot_s=1.0, rate_hz=2.0)  # rebooted: boot 1..106 s
    reboot_utc = BOOT_UTC_S + 105.5  # the second boot began 104.5 s after the first
    second = [(t + 104.5, msg) for t, msg in second]
    for _, msg in second:
        if msg.get_type() == "SYSTEM_TIME":
            msg.time_unix_usec += round(104.5e6)
    buffer = TelemetryBuffer.from_tlog(write_tlog(tmp_path / "two_boots.tlog", first + second))
    for boot2 in (99.0, 101.25, 103.0, 104.5):  # where the first boot's samples land on the second's clock
        pose = buffer.pose_at(reboot_utc - 1.0 + boot2)
        assert not pose.is_tagged or _north_m(pose) == pytest.approx(SPEED_N_MPS * (boot2 - 1.0), abs=0.05), \
            (boot2, _north_m(pose))
    pose = buffer.pose_at(reboot_utc - 1.0 + 50.0)  # the second flight's own time: tagged from it
    assert pose.is_tagged and _north_m(pose) == pytest.approx(SPEED_N_MPS * 49.0, abs=0.05)


def test_a_series_without_a_step_is_as_before() -> None:
    series = Series("X", [0.0, 1.0, 0.9, 2.0, 2.5, 30.0, 3.0, 3.5], list(range(8)))  # 0.1 s back: a reordered
    # packet, sorted in; a stray sample 27 s ahead: one, sorted in, no step; the rest as before
    assert series.steps_back == [] and series.times_s.tolist() == [0.0, 0.9, 1.0, 2.0, 2.5, 3.0, 3.5, 30.0]
    b = series.bracket(1.5, 2.0)
    assert not isinstance(b, str) and (b.i0, b.i1) == (2, 3) and math.isclose(b.frac, 0.5)
    assert not isinstance(series.bracket(2.75, 2.0), str)


def test_a_logging_clock_set_back_is_not_called_another_pace(tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """The arrival clock (onboard.telemetry.arrival_clock) is no line across the step, which the step-back warning
    says. Its line fitted across it ran 0.3 x fast, and a second warning called the log 'a replayed log?' (7 s of
    records for 10 s)."""
    with caplog.at_level(logging.WARNING):
        buffer = TelemetryBuffer.from_tlog(_host_clock_stepped_back(tmp_path))
    assert buffer.arrival_clock is None
    assert "another pace" not in caplog.text and "each late by its own link delay" not in caplog.text
    assert len([r for r in caplog.records if "step back" in r.getMessage()]) == 1
