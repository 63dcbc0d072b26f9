"""`skyinspect onboard --overwrite` over a record that another run is still writing is refused.

docs/flight-record.md: the writer's lock on `.writer.lock` makes a second writer with the same --out
"refused instead of replacing its frames". The plain replay's --overwrite built its record beside the
old one and swapped it into place without asking the lock, so a live run's record (its writer still
open) was replaced: the live run went on committing frames into the removed folder.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from onboard_synth import flight_records, write_tlog

from onboard.replay import run_replay
from skyinspect.camera import CameraModel
from skyinspect.errors import RecordError
from skyinspect.pose import Pose
from skyinspect.record import FlightRecordReader, FlightRecordWriter

CAMERA = CameraModel.from_fov(64, 48, 60.0, name="synthetic")


def _frame_image(seed: int) -> np.ndarray:
    img = np.full((48, 64, 3), 200, np.uint8)
    img[10 + seed:20 + seed, 10:30] = 20  # one dark square: one instance for the test segmenter
    return img


@pytest.fixture
def feedback_flight(tmp_path: Path) -> tuple[Path, Path]:
    """Three frames, each with its CAMERA_FEEDBACK (as tests/onboard/test_replay.py's flight)."""
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records(feedback_boot_s=[101.0, 102.0, 103.5]))
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"IMG_{i + 1}.png"), _frame_image(i))
    return frames, tlog


def _names(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _add(writer: FlightRecordWriter, index: int) -> None:
    writer.add_frame(index, 1000.0 + index, _frame_image(0), Pose.untagged(1000.0 + index, "test"), None)


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
