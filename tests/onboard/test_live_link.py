"""Live mode through what a real flight does to the link: losses, reboots (session 19 findings)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from loopback_vehicle import LoopbackVehicle, free_udp_port
from onboard_helpers import DarkPixelSegmenter, make_frames

from onboard.frames import Frame
from onboard.runtime import LiveTagger, run_onboard
from onboard.telemetry.live import LiveMavlink
from skyinspect.camera import CameraModel
from skyinspect.record import FlightRecordReader


class _StaleLink:
    """A link whose telemetry stopped: every frame is 'after the last' sample."""

    def __init__(self) -> None:
        self.calls = 0

    def buffer(self, *_args: object) -> None:
        self.calls += 1
        return None  # no telemetry: the tagger's 'late' case, like 'after the last GLOBAL_POSITION_INT'


def test_frames_already_older_than_the_wait_are_not_held_up_by_a_silent_link() -> None:
    # Before: each frame waited wait_s from the moment it was tagged, however old it already was,
    # so during a link loss recording took 0.5 s a frame and the camera queue dropped frames.
    link = _StaleLink()
    tagger = LiveTagger(link, wait_s=0.5)  # type: ignore[arg-type]
    image = np.zeros((4, 4, 3), np.uint8)
    started = time.monotonic()
    for i in range(20):  # frames captured 2 s ago (they waited in the queues during the loss)
        pose = tagger(Frame(i + 1, image, Path("cam"), time.time() - 2.0))
        assert not pose.is_tagged
    assert time.monotonic() - started < 5.0  # 20 x 0.5 s = 10 s before; ~0 now
    assert len(tagger.pending) == 20  # still re-tagged if telemetry for them arrives later


def test_a_long_link_loss_loses_no_frames(tmp_path: Path) -> None:
    port = free_udp_port()
    live = LiveMavlink(f"udpin:127.0.0.1:{port}", link_timeout_s=1.0, backoff_s=0.1, max_backoff_s=0.4)
    live.start()
    vehicle = LoopbackVehicle(port, silent=(1.0, 5.0), duration_s=8.0)  # a 4 s loss
    vehicle.start()
    try:
        assert live.wait_connected(10.0)
        frames = make_frames(tmp_path / "cam", 56)  # 8 frames/s for 7 s
        summary = run_onboard(frames, "udpin:live", tmp_path / "rec", DarkPixelSegmenter(),
                              CameraModel.from_fov(64, 48, 60.0), live=live, realtime_fps=8.0, gap_threshold_s=0.5)
    finally:
        vehicle.stop_flag.set()
        vehicle.join(5)
        live.stop()
    s = summary.stats
    # Before: 8 frames/s into a recorder that took 0.5 s a frame while the link was silent: ~20 dropped.
    assert s.dropped == 0 and s.recorded == s.captured == 56, s
    with FlightRecordReader(tmp_path / "rec") as reader:
        recs = list(reader.frames())
    assert len(recs) == 56
    assert any(not r.pose.is_tagged and "gap" in r.pose.status for r in recs)  # the hole says why
    assert recs[0].pose.is_tagged and recs[-1].pose.is_tagged
