"""`skyinspect onboard --overwrite` over a record that another run is still writing is refused.

docs/flight-record.md: the writer's lock on `.writer.lock` makes a second writer with the same --out
"refused instead of replacing its frames". The plain replay's --overwrite built its record beside the
old one and swapped it into place without asking the lock, so a live run's record (its writer still
open) was replaced: the live run went on committing frames into the removed folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from onboard_synth import feedback_frames, frame_image

from onboard.replay import run_replay
from skyinspect.camera import CameraModel
from skyinspect.errors import RecordError
from skyinspect.pose import Pose
from skyinspect.record import FlightRecordReader, FlightRecordWriter

CAMERA = CameraModel.from_fov(64, 48, 60.0, name="synthetic")


@pytest.fixture
def feedback_flight(tmp_path: Path) -> tuple[Path, Path]:
    """Three frames, each with its CAMERA_FEEDBACK (as tests/onboard/test_replay.py's flight)."""
    return feedback_frames(tmp_path)


def _names(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _add(writer: FlightRecordWriter, index: int) -> None:
    writer.add_frame(index, 1000.0 + index, frame_image(0), Pose.untagged(1000.0 + index, "test"), None)


def test_overwrite_refuses_a_record_another_run_is_writing(feedback_flight: tuple[Path, Path],
                                                           tmp_path: Path, segmenter) -> None:
    frames, tlog = feedback_flight
    out = tmp_path / "record"
    run_replay(frames, tlog, out, segmenter, CAMERA, progress=False)
    live = FlightRecordWriter(out, CAMERA, segmenter.model_id, segmenter.sha256)  # a run resuming it
    try:
        before = _names(out)
        with pytest.raises(RecordError, match="being written by another process"):
            run_replay(frames, tlog, out, segmenter, CAMERA, progress=False, overwrite=True)
        assert _names(out) == before
        _add(live, 10)  # the other run's next frame lands in the record it holds
    finally:
        live.close()
    with FlightRecordReader(out) as record:
        assert len(record) == 4
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert run_replay(frames, tlog, out, segmenter, CAMERA, progress=False, overwrite=True).frames == 3


def test_overwrite_refuses_when_a_writer_opened_the_record_during_the_replay(
        feedback_flight: tuple[Path, Path], tmp_path: Path, segmenter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    frames, tlog = feedback_flight
    out = tmp_path / "record"
    run_replay(frames, tlog, out, segmenter, CAMERA, progress=False)
    opened: list[FlightRecordWriter] = []

    class LateRival(FlightRecordWriter):
        def close(self) -> None:  # the new record is whole: a live run opens the old one just now
            if not opened:
                opened.append(FlightRecordWriter(out, CAMERA, segmenter.model_id, segmenter.sha256))
            super().close()

    monkeypatch.setattr("onboard.replay.FlightRecordWriter", LateRival)
    try:
        with pytest.raises(RecordError, match="being written by another process"):
            run_replay(frames, tlog, out, segmenter, CAMERA, progress=False, overwrite=True)
        _add(opened[0], 10)
    finally:
        for writer in opened:
            writer.close()
    with FlightRecordReader(out) as record:
        assert len(record) == 4
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
