"""Group commit in the recording thread: frames are committed a few at a time, reported (on_recorded,
the kill tests' 'committed') only once their rows are, and re-tagged only once committed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onboard_helpers import DarkPixelSegmenter

from onboard.frames import Frame
from onboard.pipeline import Pipeline, Tagger
from skyinspect.camera import CameraModel
from skyinspect.pose import Pose
from skyinspect.record import FlightRecordReader, FlightRecordWriter

CAMERA = CameraModel.from_fov(16, 12, 60.0)


class _Tagged(Tagger):
    def __call__(self, frame: Frame) -> Pose:
        return Pose(float(frame.index), 47.0, 8.0, 500.0, 20.0, 0.0, 0.0, 0.0)


def _run(tmp_path: Path, n: int, **options: object) -> tuple[object, list[list[int]], list[bool]]:
    frames = [Frame(i, np.zeros((12, 16, 3), np.uint8), Path(f"f{i}.png"), float(i)) for i in range(1, n + 1)]
    writer = FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64)
    commits: list[list[int]] = []
    real_commit = writer.commit

    def counting() -> list[int]:
        done = real_commit()
        if done:
            commits.append(done)
        return done

    writer.commit = counting  # type: ignore[method-assign]
    in_record: list[bool] = []

    def on_recorded(index: int) -> None:  # what a kill at this moment would leave
        with FlightRecordReader(tmp_path / "rec") as reader:
            in_record.append(index in {f.frame_index for f in reader.frames()})

    try:
        stats = Pipeline(frames, DarkPixelSegmenter(), writer, _Tagged(), drop_oldest=False, on_recorded=on_recorded,
                         retag_interval_s=1e9, **options).run()
    finally:
        writer.close()
    return stats, commits, in_record


def test_frames_are_committed_four_at_a_time_and_reported_once_committed(tmp_path: Path) -> None:
    """Before, every frame was its own transaction (a WAL fsync, two folder fsyncs): 10 commits for 10 frames."""
    stats, commits, in_record = _run(tmp_path, 10, commit_frames=4, commit_after_s=1e9)
    assert commits == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]  # the last group at the end of the run
    assert in_record == [True] * 10
    assert (stats.recorded, stats.tagged, stats.record_errors) == (10, 10, 0)  # type: ignore[attr-defined]
    with FlightRecordReader(tmp_path / "rec") as reader:
        assert [f.frame_index for f in reader.frames()] == list(range(1, 11))


@pytest.mark.parametrize("options", [{}, {"commit_frames": 1}, {"commit_frames": 4, "commit_after_s": 0.0}])
def test_one_frame_groups_commit_each_frame(tmp_path: Path, options: dict[str, object]) -> None:
    stats, commits, in_record = _run(tmp_path, 5, **options)
    assert commits == [[1], [2], [3], [4], [5]] and in_record == [True] * 5
    assert stats.recorded == 5  # type: ignore[attr-defined]


def test_frames_waiting_when_the_recording_thread_fails_are_committed_and_counted(tmp_path: Path) -> None:
    """An unexpected error in the recording thread (here the tagger) ends the run; the frames written before
    it and still waiting for their group's commit were committed by the writer's close but not counted:
    the run's 'ended' meta said 4 frames recorded of the record's 5."""

    class _FailsAt6(_Tagged):
        def __call__(self, frame: Frame) -> Pose:
            if frame.index == 6:
                raise ValueError("tagger bug")
            return super().__call__(frame)

    frames = [Frame(i, np.zeros((12, 16, 3), np.uint8), Path(f"f{i}.png"), float(i)) for i in range(1, 9)]
    reported: list[int] = []
    writer = FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64)
    pipeline = Pipeline(frames, DarkPixelSegmenter(), writer, _FailsAt6(), drop_oldest=False,
                        on_recorded=reported.append, retag_interval_s=1e9, commit_frames=4, commit_after_s=1e9)
    try:
        with pytest.raises(ValueError, match="tagger bug"):
            pipeline.run()
    finally:
        writer.close()
    with FlightRecordReader(tmp_path / "rec") as reader:
        in_record = [f.frame_index for f in reader.frames()]
    assert in_record == [1, 2, 3, 4, 5]
    assert reported == in_record and pipeline.stats.recorded == 5
