"""Frames whose capture times all fall outside the telemetry (a camera clock on local time, the wrong
log): replay keeps them, untagged, and says so once with both time spans, the likely cause and the fix."""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timezone
from pathlib import Path

import cv2
import pytest
from onboard_helpers import PLANE_DIR
from onboard_synth import BOOT_UTC_S, flight_records, frame_image, utc_frame_name, write_tlog

from onboard.replay import plan_replay, run_replay
from skyinspect.camera import CameraModel


def _flight(tmp_path: Path, offset_s: float, system_time: bool = True) -> tuple[Path, Path]:
    """The synthetic 10 s flight (boot 100..110 s) and three frames at boot 101, 102.5 and 104 s
    stamped ``offset_s`` late."""
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records(system_time=system_time))
    frames = tmp_path / "frames"
    frames.mkdir()
    for i, tb in enumerate([101.0, 102.5, 104.0]):
        cv2.imwrite(str(frames / utc_frame_name(BOOT_UTC_S + tb + offset_s)), frame_image(i))
    return frames, tlog


def _said(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "outside the telemetry" in r.getMessage()]


@pytest.mark.parametrize("system_time", [True, False], ids=["utc_log", "tlog_clock_only"])
def test_frames_an_hour_late_are_kept_untagged_and_the_spans_and_fix_are_said(
        tmp_path: Path, segmenter, caplog: pytest.LogCaptureFixture, system_time: bool) -> None:
    frames, tlog = _flight(tmp_path, 3600.0, system_time)
    with caplog.at_level(logging.WARNING):
        summary = run_replay(frames, tlog, tmp_path / "record", segmenter,
                             CameraModel.from_fov(64, 48, 60.0), progress=False)
    assert (summary.frames, summary.tagged, summary.untagged) == (3, 0, 3)  # kept, as docs/onboard.md says
    said = _said(caplog)
    assert len(said) == 1, [r.getMessage() for r in caplog.records]
    msg = said[0]
    # both spans (the frames' 101..104 s and the log's 100..110 s after boot, an hour apart), by the clock
    assert "2023-11-14T23:15:01" in msg and "2023-11-14T23:15:04" in msg  # the frames
    assert "2023-11-14T22:15:00" in msg and "2023-11-14T22:15:10" in msg  # the log
    assert "after the log ends" in msg and "3591 s" in msg
    assert "local time" in msg and "--latency-s -3600" in msg and "--frame-clock" in msg


def test_real_frames_on_a_clock_an_hour_off_are_told(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The cuav frames of the 2016 plane flight (stamped by the companion that wrote the .tlog), named
    an hour later as a camera on UTC+1 would: neither the vehicle's UTC nor the .tlog clock holds them."""
    frames = tmp_path / "frames"
    frames.mkdir()
    for p in sorted((PLANE_DIR / "frames").iterdir()):  # raw2016111223465120Z.jpg: 23:46:51.20 -> 00:46:51.20
        stamp = datetime.strptime(p.stem[3:17], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc).timestamp() + 3600
        shutil.copy(p, frames / f"raw{utc_frame_name(stamp)[:14]}{p.stem[17:]}.jpg")
    with caplog.at_level(logging.WARNING):
        plan_replay(frames, PLANE_DIR / "flight_window.tlog")
    said = _said(caplog)
    assert len(said) == 1 and "3 frames" in said[0] and "2016-11-13T00:46:51" in said[0]
    # its last position record 23:47:04.957 (the .tlog clock), the first frame 00:46:51.20: 3586.2 s (3585 s before
    # the records' span was read where the records lie; the UTC span moved by the median offset ended 1.1 s later)
    assert "3586 s after the log ends" in said[0] and "--latency-s -3600" in said[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING):  # the fix it gives: the .tlog clock then holds all three
        plan = plan_replay(frames, PLANE_DIR / "flight_window.tlog", latency_s=-3600.0)
    assert not _said(caplog) and plan.buffer.time_base == "tlog"


def test_frames_inside_the_log_are_not_warned_about(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    frames, tlog = _flight(tmp_path, 0.0)
    with caplog.at_level(logging.WARNING):
        plan_replay(frames, tlog)
    assert not _said(caplog)


def test_a_few_seconds_off_names_the_gap_and_no_hours(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    frames, tlog = _flight(tmp_path, -30.0)  # frames at boot 71..74 s: they end 26 s before the log starts
    with caplog.at_level(logging.WARNING):
        plan_replay(frames, tlog)
    said = _said(caplog)
    assert len(said) == 1 and "26 s before the log starts" in said[0] and "local time" not in said[0]


def test_frames_before_and_after_the_log_are_said_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """No frame inside the log's span, but frames on both sides of it (boot 95 and 115 s, the log 100..110 s):
    the note had said 'the frames fall only in the log's gaps', a case frames_inside never leaves (a frame
    anywhere in the span counts as inside)."""
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records())
    frames = tmp_path / "frames"
    frames.mkdir()
    for i, tb in enumerate([95.0, 115.0]):
        cv2.imwrite(str(frames / utc_frame_name(BOOT_UTC_S + tb)), frame_image(i))
    with caplog.at_level(logging.WARNING):
        plan_replay(frames, tlog)
    said = _said(caplog)
    assert len(said) == 1 and "gaps" not in said[0], said
    assert "the frames start 5 s before the log starts and end 5 s after it ends" in said[0], said


def test_a_replayed_logs_records_are_said_where_they_lie(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A log written at another pace than the vehicle flew (replayed: the real ArduPlane 2016 .tlog holds 589 s of
    boot time in 128 s of records). The note's span on the .tlog writer's clock was the UTC span moved by the
    log's median UTC − record time: 60 s of flight replayed in 15 s was said to lie 22.5 s either side of its
    records (the 2016 log: 23:40:55-23:50:44 for records 23:45:47-23:47:54). Now by the arrivals near each end."""
    records = [(BOOT_UTC_S + 100.2 + (t - BOOT_UTC_S - 100.2) / 4.0, msg)  # synthetic: replayed 4x fast
               for t, msg in flight_records(duration_s=60.0)]
    tlog = write_tlog(tmp_path / "flight.tlog", records)
    frames = tmp_path / "frames"
    frames.mkdir()
    for i, tb in enumerate([101.0, 102.5]):
        cv2.imwrite(str(frames / utc_frame_name(BOOT_UTC_S + tb + 3600.0)), frame_image(i))
    with caplog.at_level(logging.WARNING):
        plan_replay(frames, tlog)
    said = _said(caplog)
    assert len(said) == 1, said
    # records 22:15:00.2 .. 22:15:15.2 on the .tlog clock (UTC 22:15:00 .. 22:16:00)
    assert "2023-11-14T22:15:00" in said[0] and "2023-11-14T22:15:15" in said[0], said[0]
