"""Replay of frames stamped on the logging computer's clock: mapped to UTC through the .tlog's TIMESYNC.

The synthetic flight (onboard_synth): 5 m/s north; the .tlog writer's clock runs 0.2 s ahead of the
vehicle's UTC and every message reaches it 80 ms after the vehicle stamped it; TIMESYNC round trips
(10 ms each way) relate the two clocks exactly. Frames are taken at known vehicle boot times and named
by the logging computer's clock, as a companion that saves its own images names them.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from onboard_helpers import PX4_ULOG
from onboard_synth import (BOOT_UTC_S, LAT0, M_PER_DEG_LAT, SPEED_N_MPS, flight_records, timesync_records,
                           utc_frame_name, write_tlog)

from onboard.replay import plan_replay, run_replay
from onboard.telemetry.frame_clock import map_frame_clock
from onboard.runtime import run_onboard
from skyinspect.camera import CameraModel
from skyinspect.errors import InputError
from skyinspect.record import FlightRecordReader

LOG_MINUS_UTC_S = 0.2  # flight_records: .tlog clock = UTC + 0.2 s (+ the arrival latency)
LATENCY_S = 0.08
BOOT_TIMES_S = (101.0, 103.3, 106.7)  # when the frames were taken, on the vehicle's boot clock
CAMERA = CameraModel.from_fov(64, 48, 60.0, name="synthetic")


def _flight(tmp_path: Path, timesync: bool = True, system_time: bool = True,
            frames_on: str = "log") -> tuple[Path, Path]:
    records = flight_records(duration_s=10.0, latency_s=LATENCY_S, system_time=system_time)
    if timesync:
        records += timesync_records(100.0, 110.0, tlog_minus_boot_s=BOOT_UTC_S + LOG_MINUS_UTC_S)
    tlog = write_tlog(tmp_path / "flight.tlog", sorted(records, key=lambda r: r[0]))
    frames = tmp_path / "frames"
    frames.mkdir()
    shift = LOG_MINUS_UTC_S if frames_on == "log" else 0.0
    for i, tb in enumerate(BOOT_TIMES_S):
        img = np.full((48, 64, 3), 200, np.uint8)
        img[10 + i:20 + i, 10:30] = 20
        cv2.imwrite(str(frames / utc_frame_name(BOOT_UTC_S + tb + shift)), img)
    return frames, tlog


def _north_errors_m(lats_deg: list[float], boot_times_s: tuple[float, ...] = BOOT_TIMES_S) -> list[float]:
    """Tagged latitude − where the vehicle really was at each frame, in metres north."""
    return [(lat - (LAT0 + SPEED_N_MPS * (tb - 100.0) / M_PER_DEG_LAT)) * M_PER_DEG_LAT
            for lat, tb in zip(lats_deg, boot_times_s)]


def _log_clock_north_errors_m(tmp_path: Path, tlog: Path, boot_times_s: tuple[float, ...],
                              names_s: list[float], method: str) -> list[float]:
    """Frames taken at ``boot_times_s``, named ``names_s`` on the logging computer's clock (as the log
    stamped its records), replayed with frame_clock='log' where the log has no TIMESYNC: all tagged
    by ``method`` (the arrivals' lower envelope, or where no one line holds the SYSTEM_TIME arrivals),
    and each one's error north of the track (m)."""
    frames = tmp_path / "frames"
    frames.mkdir()
    for name_s in names_s:
        cv2.imwrite(str(frames / utc_frame_name(name_s)), np.full((48, 64, 3), 200, np.uint8))
    plan = plan_replay(frames, tlog, latency_s=LATENCY_S, frame_clock="log")
    assert plan.frame_clock.method == method
    poses = [plan.buffer.pose_at(plan.telemetry_time_s(t)) for t in plan.source.capture_times()]
    assert all(p.is_tagged for p in poses)
    return _north_errors_m([p.lat_deg for p in poses], boot_times_s)


def test_log_clock_frames_are_mapped_through_timesync(tmp_path: Path, segmenter) -> None:
    frames, tlog = _flight(tmp_path)
    mapped = run_replay(frames, tlog, tmp_path / "log", segmenter, CAMERA, progress=False, frame_clock="log")
    plain = run_replay(frames, tlog, tmp_path / "auto", segmenter, CAMERA, progress=False)
    assert mapped.tagged == plain.tagged == 3
    with FlightRecordReader(tmp_path / "log") as reader:
        records = list(reader.frames())
        meta = reader.meta_json("frame_clock")
    with FlightRecordReader(tmp_path / "auto") as reader:
        unmapped = list(reader.frames())
    assert meta["clock"] == "log" and meta["method"] == "timesync" and meta["time_base"] == "system_time"
    assert meta["log_minus_boot_s"] == pytest.approx(BOOT_UTC_S + LOG_MINUS_UTC_S, abs=1e-4)
    # the record keeps UTC: the instant each frame was taken
    assert [r.capture_time_utc_s for r in records] == pytest.approx([BOOT_UTC_S + t for t in BOOT_TIMES_S], abs=1e-3)
    errors = _north_errors_m([r.pose.lat_deg for r in records])
    before = _north_errors_m([r.pose.lat_deg for r in unmapped])
    print(f"north error mapped {max(map(abs, errors)) * 100:.2f} cm, unmapped {np.mean(before):.3f} m")
    assert max(map(abs, errors)) < 0.01
    # taken as UTC they are 0.2 s late: offset × speed = 1 m further north
    assert before == pytest.approx([LOG_MINUS_UTC_S * SPEED_N_MPS] * 3, abs=0.01)


def test_without_timesync_the_arrival_offset_is_used_with_a_warning(tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    frames, tlog = _flight(tmp_path, timesync=False)
    with caplog.at_level(logging.WARNING):
        plan = plan_replay(frames, tlog, frame_clock="log")
    assert "no TIMESYNC replies" in caplog.text and "--latency-s" in caplog.text
    assert plan.frame_clock.method == "arrival_clock"
    poses = [plan.buffer.pose_at(plan.telemetry_time_s(t)) for t in plan.source.capture_times()]
    # every message reached the logging computer 80 ms late (the least delay too), so frames land 80 ms early:
    # 0.4 m south
    assert _north_errors_m([p.lat_deg for p in poses]) == pytest.approx([-LATENCY_S * SPEED_N_MPS] * 3, abs=0.01)
    # … which --latency-s puts right
    plan = plan_replay(frames, tlog, latency_s=LATENCY_S, frame_clock="log")
    poses = [plan.buffer.pose_at(plan.telemetry_time_s(t)) for t in plan.source.capture_times()]
    assert max(map(abs, _north_errors_m([p.lat_deg for p in poses]))) < 0.01


def test_utc_frames_against_telemetry_on_the_log_clock(tmp_path: Path) -> None:
    """time_base 'tlog' puts the telemetry on the logging clock; UTC frames go UTC → boot → log."""
    frames, tlog = _flight(tmp_path, frames_on="utc")
    plan = plan_replay(frames, tlog, time_base="tlog", frame_clock="utc")
    assert (plan.buffer.time_base, plan.frame_clock.method) == ("tlog", "timesync")
    times = [plan.telemetry_time_s(t) for t in plan.source.capture_times()]
    assert times == pytest.approx([BOOT_UTC_S + LOG_MINUS_UTC_S + t for t in BOOT_TIMES_S], abs=1e-3)
    poses = [plan.buffer.pose_at(t) for t in times]
    assert max(map(abs, _north_errors_m([p.lat_deg for p in poses]))) < 0.01
    # and "utc" on the default UTC telemetry is no mapping at all
    plan = plan_replay(frames, tlog, frame_clock="utc")
    assert plan.frame_clock.method == "same" and plan.telemetry_time_s(123.0) == 123.0


def test_utc_frames_against_arrival_timed_telemetry(tmp_path: Path) -> None:
    """No TIMESYNC, time_base 'tlog': samples are placed on the .tlog clock by the arrival clock (80 ms late,
    onboard.telemetry.arrival_clock), and UTC frames through the boot clock onto it, so they meet."""
    frames, tlog = _flight(tmp_path, timesync=False, frames_on="utc")
    plan = plan_replay(frames, tlog, time_base="tlog", frame_clock="utc")
    assert plan.frame_clock.method == "arrival_clock"
    poses = [plan.buffer.pose_at(plan.telemetry_time_s(t)) for t in plan.source.capture_times()]
    assert max(map(abs, _north_errors_m([p.lat_deg for p in poses]))) < 0.01


def test_crash_safe_replay_maps_log_clock_frames(tmp_path: Path, segmenter) -> None:
    frames, tlog = _flight(tmp_path)
    summary = run_onboard(frames, tlog, tmp_path / "rec", segmenter, CAMERA, frame_clock="log")
    assert summary.stats.tagged == 3
    with FlightRecordReader(tmp_path / "rec") as reader:
        lats = [r.pose.lat_deg for r in sorted(reader.frames(), key=lambda r: r.frame_index)]
        assert reader.meta_json("frame_clock")["method"] == "timesync"
    assert max(map(abs, _north_errors_m(lats))) < 0.01


def test_frame_clock_errors(tmp_path: Path) -> None:
    frames, tlog = _flight(tmp_path, system_time=False)
    with pytest.raises(InputError, match="frame clock must be one of"):
        plan_replay(frames, tlog, frame_clock="gps")
    with pytest.raises(InputError, match="no SYSTEM_TIME") as info:
        plan_replay(frames, tlog, frame_clock="utc")  # UTC frames, no UTC in the log
    assert "--frame-clock log" in str(info.value)
    with pytest.raises(InputError, match="px4|ulog") as info:
        plan_replay(frames, PX4_ULOG, frame_clock="log")  # a .ulg has no logging computer's clock
    assert "--frame-clock utc" in str(info.value)


def test_sitl_log_clock_maps_to_utc_as_verification_measured(facade_buffer) -> None:
    """The SITL facade .tlog: its verification.txt measured GCS wall clock − vehicle UTC = 467.1 ms
    (TIMESYNC, its own script). A frame stamped on that wall clock maps to UTC 467.1 ms earlier."""
    clock = map_frame_clock(facade_buffer, "log", "facade")
    lo, hi = facade_buffer.span_utc_s
    wall_s = 0.5 * (lo + hi) + 0.4671  # mid-flight on the GCS wall clock
    assert clock.method == "timesync"
    assert clock.to_telemetry_s(wall_s) - wall_s == pytest.approx(-0.4671, abs=0.002)


def test_without_timesync_a_step_of_the_logging_clock_is_followed(tmp_path: Path) -> None:
    """The logging computer's clock stepped 30 s (an NTP correction) at boot 120 s of a 60 s flight:
    one offset for the whole log (the median of every SYSTEM_TIME arrival) put the frames on one side
    of the step 30 s off, 150 m at 5 m/s. The real ArduPlane 2016 .tlog (cuav) has a logging clock that
    ran 4.6x the vehicle's for most of it: its frames got the pose from 166 s earlier."""
    step_s, step_boot_s = 30.0, 120.0
    records = []
    for t, msg in flight_records(duration_s=60.0, latency_s=LATENCY_S):
        records.append((t + step_s if t > BOOT_UTC_S + step_boot_s else t, msg))
    tlog = write_tlog(tmp_path / "flight.tlog", records)
    boot_times = (105.0, 110.0, 140.0, 150.0)
    names = [BOOT_UTC_S + tb + LOG_MINUS_UTC_S + (step_s if tb > step_boot_s else 0.0) for tb in boot_times]
    errors = _log_clock_north_errors_m(tmp_path, tlog, boot_times, names, "system_time_arrival")  # (no one line)
    assert max(map(abs, errors)) < 0.01


def test_a_photo_missing_from_a_folder_of_timed_frames_is_paired_by_time(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    """Six CAMERA_FEEDBACK photos, the third deleted from the card: five frames named by their UTC capture
    time. Frame n took img_idx n's pose, so frames 3-5 got the poses of the photos before them (2.5 m
    south at 5 m/s, shown by the SITL facade set with one photo removed: 2 m along the face). Frames that
    carry their own times are paired with the CAMERA_FEEDBACK nearest in time."""
    shots = [101.0, 101.5, 102.0, 102.5, 103.0, 103.5]  # vehicle boot s of each photo (img_idx 1..6)
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records(duration_s=6.0, feedback_boot_s=shots))
    frames = tmp_path / "frames"
    frames.mkdir()
    kept = [tb for k, tb in enumerate(shots, start=1) if k != 3]
    for tb in kept:
        cv2.imwrite(str(frames / utc_frame_name(BOOT_UTC_S + tb)), np.full((48, 64, 3), 200, np.uint8))
    with caplog.at_level(logging.WARNING):
        plan = plan_replay(frames, tlog)
    assert plan.capture_time_source == "camera_feedback"
    assert [plan.events[i].img_idx for i in range(1, 6)] == [1, 2, 4, 5, 6]
    assert "img_idx 3" in caplog.text
    poses = [plan.buffer.pose_for_event(plan.events[i]) for i in range(1, 6)]
    assert max(map(abs, _north_errors_m([p.lat_deg for p in poses], tuple(kept)))) < 0.02
    # the last photo missing and the frames named one interval late (a camera clock 0.5 s off): the
    # numbers agree with the times but for that constant offset, so they are kept
    for f in frames.iterdir():
        f.unlink()
    for tb in shots[:5]:
        cv2.imwrite(str(frames / utc_frame_name(BOOT_UTC_S + tb + 0.5)), np.full((48, 64, 3), 200, np.uint8))
    plan = plan_replay(frames, tlog)
    assert [plan.events[i].img_idx for i in range(1, 6)] == [1, 2, 3, 4, 5]


def test_without_timesync_frames_on_the_logging_clock_follow_a_system_time_jump(tmp_path: Path) -> None:
    """The vehicle's clock was set from the GCS (5 s fast) for its first 40 s of SYSTEM_TIME, then from the
    GPS: boot → UTC takes the samples after the jump (b557dcd), but the arrival offsets that map a frame's
    logging-clock time to UTC near it (484759a) still held the fast clock's: frames taken then were timed
    5 s late, 25 m at 5 m/s."""
    from pymavlink.dialects.v20 import ardupilotmega as mav

    records = []
    for t, msg in flight_records(duration_s=60.0, latency_s=LATENCY_S):
        if msg.get_type() == "SYSTEM_TIME" and msg.time_boot_ms < 140_000:
            msg = mav.MAVLink_system_time_message(msg.time_unix_usec + 5_000_000, msg.time_boot_ms)
        records.append((t, msg))
    tlog = write_tlog(tmp_path / "flight.tlog", records)
    boot_times = (105.0, 120.0, 150.0)  # two while the clock ran fast, one after the GPS set it
    names = [BOOT_UTC_S + tb + LOG_MINUS_UTC_S for tb in boot_times]
    assert max(map(abs, _log_clock_north_errors_m(tmp_path, tlog, boot_times, names, "arrival_clock"))) < 0.01


def test_without_timesync_a_stepped_logging_clock_follows_a_system_time_jump(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Both clocks set again, no TIMESYNC: the logging computer's clock stepped 30 s at boot 120 s (so no one
    line fits its arrivals and frames fall back on the SYSTEM_TIME arrival offsets near each one), and the
    vehicle's UTC ran 5 s fast (set from the GCS) until the GPS set it at boot 140 s. The fallback takes the
    21 SYSTEM_TIME arrivals nearest a frame, those before the vehicle's jump put on the clock after it (boot +
    the post-jump UTC − boot): frames on every side of either step get the pose of their own boot time (less
    the 80 ms link latency, which --latency-s adds back). Had the pre-jump arrivals kept their own UTC, the
    frames taken then were timed 5 s late, 25 m at 5 m/s."""
    from pymavlink.dialects.v20 import ardupilotmega as mav

    step_s, step_boot_s, jump_boot_s = 30.0, 120.0, 140.0
    records = []
    for t, msg in flight_records(duration_s=60.0, latency_s=LATENCY_S):
        if msg.get_type() == "SYSTEM_TIME" and msg.time_boot_ms < jump_boot_s * 1e3:
            msg = mav.MAVLink_system_time_message(msg.time_unix_usec + 5_000_000, msg.time_boot_ms)
        records.append((t + step_s if t > BOOT_UTC_S + step_boot_s else t, msg))
    tlog = write_tlog(tmp_path / "flight.tlog", records)
    # fast vehicle clock and unstepped log clock; fast and stepped; both set again
    boot_times = (105.0, 130.0, 150.0)
    names = [BOOT_UTC_S + tb + LOG_MINUS_UTC_S + (step_s if tb > step_boot_s else 0.0) for tb in boot_times]
    with caplog.at_level(logging.WARNING):
        errors = _log_clock_north_errors_m(tmp_path, tlog, boot_times, names, "system_time_arrival")
    assert max(map(abs, errors)) < 0.01
    assert "the vehicle's UTC jumped by -5.0 s" in caplog.text  # the vehicle's jump was seen …
    # … and the warning names the fallback, not the lower envelope that could not be fitted
    assert "by SYSTEM_TIME arrival times, which lag by the link latency" in caplog.text
    assert "lower envelope" not in caplog.text


def test_a_dji_folder_with_its_first_photo_deleted_pairs_each_frame_with_its_own_photo(tmp_path: Path) -> None:
    """The real DJI interval-shot folder (4 photos 7 s apart) as the telemetry, its first photo missing from
    the frames (copies of DJI_0019-0021). The frames' EXIF times are the photos' own, so a constant offset
    of one whole interval cannot be the camera's clock. Before: paired by number, every frame took the
    photo before it (13.5-13.7 m off each). After: each frame is paired with the photo of its own time."""
    import shutil

    from onboard_helpers import DJI_DIR

    frames = tmp_path / "frames"
    frames.mkdir()
    for name in ("DJI_0019.JPG", "DJI_0020.JPG", "DJI_0021.JPG"):
        shutil.copy(DJI_DIR / name, frames / name)
    plan = plan_replay(frames, DJI_DIR)
    assert plan.capture_time_source == "camera_feedback"
    assert [plan.events[n].img_idx for n in (1, 2, 3)] == [2, 3, 4]
    from onboard.telemetry.dji import read_photo

    for n, name in enumerate(("DJI_0019.JPG", "DJI_0020.JPG", "DJI_0021.JPG"), start=1):
        assert plan.buffer.pose_for_event(plan.events[n]).lat_deg == pytest.approx(read_photo(frames / name).lat_deg,
                                                                                  abs=1e-7)


def test_frames_of_another_clock_than_the_dji_photos_keep_their_numbers(tmp_path: Path) -> None:
    """Frames that are not the DJI photos (named by a clock 10.2 s off theirs) against the DJI folder: a
    constant offset is then that clock's, as for any camera, so the frames keep their numbers; paired by
    time they took the photo after their own (10.2 s is within half the 7 s interval of the next)."""
    from onboard_helpers import DJI_DIR

    frames = tmp_path / "frames"
    frames.mkdir()
    for t in (1466699519.0, 1466699526.0, 1466699533.0):  # DJI_0018-0020's EXIF times
        cv2.imwrite(str(frames / utc_frame_name(t + 10.2)), np.full((48, 64, 3), 200, np.uint8))
    plan = plan_replay(frames, DJI_DIR)
    assert [plan.events[n].img_idx for n in (1, 2, 3)] == [1, 2, 3]
