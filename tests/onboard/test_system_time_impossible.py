"""A SYSTEM_TIME whose UTC cannot be one: the ArduPlane SITL 2018 log (tridge/cuav, a window of it in
tests/data/telemetry/arduplane_sitl_2018) states time_unix_usec 29618095652 s, the year 2908. It was taken
as the vehicle's UTC: `--frame-clock log` recorded the frames (named 2018-08-05 by the logging computer)
in the year 2908, so the report, GIS products and change detection dated the inspection then."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest
from onboard_helpers import DATA

from onboard.replay import run_replay
from onboard.telemetry import TelemetryBuffer
from skyinspect.camera import CameraModel
from skyinspect.record import FlightRecordReader

WINDOW = DATA / "arduplane_sitl_2018" / "flight_window.tlog"
FRAMES = DATA / "arduplane_sitl_2018" / "frames"
CAMERA = CameraModel.from_fov(164, 123, 62.2, name="sitl-2018")  # the frames' 1640x1232 downscaled 10x


def test_a_system_time_in_the_year_2908_is_not_taken_as_utc(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        buffer = TelemetryBuffer.from_tlog(WINDOW)
    info = buffer.describe_time_base()
    assert info["time_base"] == "tlog" and info["boot_to_utc_s"] is None
    assert "2908" in caplog.text and "SYSTEM_TIME" in caplog.text


def test_frames_on_the_logging_clock_keep_their_date(tmp_path: Path, segmenter) -> None:
    summary = run_replay(FRAMES, WINDOW, tmp_path / "rec", segmenter, CAMERA, progress=False,
                         frame_clock="log")
    assert summary.tagged == 3
    with FlightRecordReader(tmp_path / "rec") as rec:
        times = [f.capture_time_utc_s for f in rec.frames()]
    # the names: 2018-08-05 01:00:44.80, 45.50, 46.40
    assert [datetime.fromtimestamp(t, timezone.utc).year for t in times] == [2018] * 3
    assert times == pytest.approx([1533430844.8, 1533430845.5, 1533430846.4], abs=0.01)
