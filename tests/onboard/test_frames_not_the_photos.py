"""Frames that carry their own UTC times but are not the log's photos (a second camera, a video cut into
frames) replayed against the real ArduCopter SITL facade log (tests/data/telemetry, 57 CAMERA_FEEDBACK
photos about 1 s apart on lane 1, 2 m apart along the face).

Thirty frames named every 0.5 s from boot 61 s (all on lane 1, 5 m up) took the poses of photos 1-30 by
number, with only a warning to check the counts: frames 16-30 the poses of lane 2 and 3's photos, 4-8 m
higher and metres along, and each frame's own time was replaced by its photo's."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from onboard_helpers import FACADE_TLOG
from onboard_synth import utc_frame_name

from onboard.replay import plan_replay, run_replay
from onboard.telemetry import TelemetryBuffer
from skyinspect.camera import CameraModel
from skyinspect.geodesy import LocalFrame
from skyinspect.record import FlightRecordReader

BOOT_TO_UTC_S = 1795429310.8275  # verification.txt: SYSTEM_TIME unix_ms - boot_ms median
CAMERA = CameraModel.from_fov(64, 48, 73.7, name="second-camera")


def _frames(folder: Path, boot_s: list[float]) -> Path:
    folder.mkdir()
    for k, tb in enumerate(boot_s):
        cv2.imwrite(str(folder / utc_frame_name(BOOT_TO_UTC_S + tb)), np.full((48, 64, 3), 150 + k, np.uint8))
    return folder


def test_timed_frames_that_are_not_the_photos_are_tagged_at_their_own_times(tmp_path: Path, segmenter, facade_buffer,
                                                                              caplog: pytest.LogCaptureFixture) -> None:
    boot_s = [61.0 + 0.5 * k for k in range(30)]
    frames = _frames(tmp_path / "frames", boot_s)
    with caplog.at_level(logging.WARNING):
        summary = run_replay(frames, FACADE_TLOG, tmp_path / "rec", segmenter, CAMERA, progress=False)
    assert summary.tagged == 30
    assert "not the log's photos" in caplog.text and "own time" in caplog.text
    buffer = facade_buffer
    origin = LocalFrame(47.397742, 8.545594, 488.1)
    with FlightRecordReader(tmp_path / "rec") as rec:
        got = list(rec.frames())
    errors_m = []
    for frame, tb in zip(got, boot_s):
        want = buffer.pose_at(BOOT_TO_UTC_S + tb)
        assert frame.capture_time_utc_s == pytest.approx(BOOT_TO_UTC_S + tb, abs=0.006)  # its own, to 0.01 s
        assert frame.pose.source != "camera_feedback"
        d = origin.to_ned(frame.pose.lat_deg, frame.pose.lon_deg, frame.pose.alt_msl_m) - \
            origin.to_ned(want.lat_deg, want.lon_deg, want.alt_msl_m)
        errors_m.append(float(np.linalg.norm(d)))
        assert abs(frame.pose.alt_rel_m - 5.0) < 0.1  # lane 1 all along
    assert max(errors_m) < 0.02  # names to 0.01 s at 2 m/s


def test_the_photos_themselves_keep_their_camera_feedback(tmp_path: Path, facade_buffer: TelemetryBuffer) -> None:
    """The first 20 photos' frames named at their photos' times, or all one interval late (a camera clock
    off by a constant): paired with the photos as before, not interpolated."""
    shots = [e.time_utc_s - BOOT_TO_UTC_S for e in facade_buffer.camera_events()][:20]
    plan = plan_replay(_frames(tmp_path / "own", shots), FACADE_TLOG)
    assert plan.capture_time_source == "camera_feedback"
    assert [plan.events[i].img_idx for i in range(1, 21)] == list(range(1, 21))
    late = plan_replay(_frames(tmp_path / "late", [t + 1.0 for t in shots]), FACADE_TLOG)
    assert late.capture_time_source == "camera_feedback"
    assert [late.events[i].img_idx for i in range(1, 21)] == list(range(1, 21))


def test_the_frame_clocks_warning_is_said_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """--frame-clock log on a log without TIMESYNC (synthetic: onboard_synth, SYSTEM_TIME, photos at boot 101,
    102, 103.5 s) and three frames of another camera named on the logging clock at 101, 108, 109.5 s: the
    frames were mapped once to be checked against the photos and again to be tagged, and the warning that the
    mapping lags by the link latency was logged twice."""
    from onboard_synth import BOOT_UTC_S, flight_records, write_tlog

    tlog = write_tlog(tmp_path / "flight.tlog", flight_records(feedback_boot_s=[101.0, 102.0, 103.5]))
    folder = tmp_path / "frames"
    folder.mkdir()
    for k, tb in enumerate((101.0, 108.0, 109.5)):
        cv2.imwrite(str(folder / utc_frame_name(BOOT_UTC_S + 0.2 + tb)), np.full((48, 64, 3), 150 + k, np.uint8))
    with caplog.at_level(logging.WARNING):
        plan = plan_replay(folder, tlog, frame_clock="log")
    assert plan.capture_time_source == "frame_timestamp" and "not the log's photos" in caplog.text
    said = [r.getMessage() for r in caplog.records if "frames are on the logging computer's clock" in r.getMessage()]
    assert len(said) == 1, said
