"""Re-tagging counts only frames the record holds (a full disk refuses some frames' rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onboard_helpers import DarkPixelSegmenter

from onboard.frames import Frame
from onboard.pipeline import Pipeline, Tagger
from skyinspect.camera import CameraModel
from skyinspect.errors import RecordError
from skyinspect.pose import Pose
from skyinspect.record import FlightRecordReader, FlightRecordWriter


class _LateTelemetry(Tagger):
    """Every frame is first 'after the last' sample, then tagged once telemetry arrives (a link loss)."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def __call__(self, frame: Frame) -> Pose:
        self.seen.append(frame.index)
        return Pose.untagged(float(frame.index), "0.2 s after the last GLOBAL_POSITION_INT")

    def retag(self) -> list[tuple[int, Pose]]:
        done, self.seen = self.seen, []
        return [(i, Pose(float(i), 47.0, 8.0, 500.0, 20.0, 0.0, 0.0, 0.0)) for i in done]


class _FullFromFrame4(FlightRecordWriter):
    def add_frame(self, frame_index: int, *args, **kwargs) -> None:  # type: ignore[override]
        if frame_index >= 4:
            raise RecordError("database or disk is full")
        super().add_frame(frame_index, *args, **kwargs)


def test_a_frame_the_record_refused_is_not_counted_as_re_tagged(tmp_path: Path) -> None:
    # Before: the recording thread re-tagged frames whose row SQLite had refused (a full disk during a
    # link loss); UPDATE touched no row, yet each counted as re-tagged: 6 frames, 3 recorded, and the
    # summary said 6 tagged and -3 untagged ('-3 of 3 frames untagged').
    camera = CameraModel.from_fov(16, 12, 60.0)
    frames = [Frame(i, np.zeros((12, 16, 3), np.uint8), Path(f"f{i}.png"), float(i)) for i in range(1, 7)]
    writer = _FullFromFrame4(tmp_path / "rec", camera, "m", "0" * 64)
    try:
        stats = Pipeline(frames, DarkPixelSegmenter(), writer, _LateTelemetry(), drop_oldest=False).run()
    finally:
        writer.close()
    assert (stats.recorded, stats.record_errors) == (3, 3)
    assert (stats.tagged, stats.untagged, stats.retagged) == (3, 0, 3), stats
    with FlightRecordReader(tmp_path / "rec") as reader:
        assert [f.pose.is_tagged for f in reader.frames()] == [True, True, True]
