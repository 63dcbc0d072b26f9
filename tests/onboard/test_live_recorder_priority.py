"""The recording thread's priority: normal in live mode (nothing may be lost on the aircraft), nice 19 in a
replay with one inference worker (HELPER_NICE, its throughput gain measured on bench/onboard_pipeline.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from loopback_vehicle import free_udp_port
from onboard_helpers import DarkPixelSegmenter, make_frames

from onboard import runtime
from onboard.pipeline import HELPER_NICE, Pipeline
from onboard.telemetry.live import LiveMavlink
from skyinspect.camera import CameraModel


class _Built(Exception):
    """Raised by the recording Pipeline once built: the test needs its settings, not a run."""


def _pipeline_settings(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    class Recording(Pipeline):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            seen.update(helper_nice=self.helper_nice, nice_capture=self.nice_capture)
            raise _Built

    monkeypatch.setattr(runtime, "Pipeline", Recording)
    return seen


def test_live_mode_records_at_normal_priority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: the live recorder ran at nice 19 (HELPER_NICE); any steady normal-priority load (a video
    # streamer, ROS) starved it, the record queue filled, inference blocked and the camera dropped frames.
    seen = _pipeline_settings(monkeypatch)
    live = LiveMavlink(f"udpin:127.0.0.1:{free_udp_port()}")  # never started: the run stops at the pipeline
    with pytest.raises(_Built):
        runtime.run_onboard(make_frames(tmp_path / "cam", 2), "udpin:live", tmp_path / "rec", DarkPixelSegmenter(),
                            CameraModel.from_fov(64, 48, 60.0), live=live, realtime_fps=5.0)
    assert seen == {"helper_nice": 0, "nice_capture": False}


def test_live_mode_keeps_an_explicit_priority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _pipeline_settings(monkeypatch)
    live = LiveMavlink(f"udpin:127.0.0.1:{free_udp_port()}")
    with pytest.raises(_Built):
        runtime.run_onboard(make_frames(tmp_path / "cam", 2), "udpin:live", tmp_path / "rec", DarkPixelSegmenter(),
                            CameraModel.from_fov(64, 48, 60.0), live=live, realtime_fps=5.0, helper_nice=5)
    assert seen["helper_nice"] == 5


def test_replay_keeps_the_helper_nice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from onboard_synth import feedback_frames

    seen = _pipeline_settings(monkeypatch)
    frames, tlog = feedback_frames(tmp_path)
    with pytest.raises(_Built):
        runtime.run_onboard(frames, tlog, tmp_path / "rec", DarkPixelSegmenter(), CameraModel.from_fov(64, 48, 60.0))
    assert seen == {"helper_nice": HELPER_NICE, "nice_capture": True}
