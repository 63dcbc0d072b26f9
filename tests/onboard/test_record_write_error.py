"""An image the card cannot write (EIO: a bad block on a worn SD card, the write torn by vibration) lost
the whole frame onboard: add_frame raised, the pipeline counted it 'not recorded', and its pose and
detections went with the image. Onboard the frame is recorded without that file (its row, mask and
detections kept) and the error said once; a plain replay, all or nothing, still stops on it."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import pytest
from kill_helpers import camera, make_kill_flight
from onboard_helpers import DarkPixelSegmenter

import skyinspect.record.writer as writer_mod
from skyinspect.errors import RecordError
from skyinspect.record import FlightRecordReader


def _failing(monkeypatch: pytest.MonkeyPatch, bad: set[str]) -> None:
    real = writer_mod._write_atomic

    def write(path: Path, data: bytes) -> None:
        if f"{path.parent.name}/{path.name}" in bad:
            raise OSError(errno.EIO, "Input/output error")
        real(path, data)

    monkeypatch.setattr(writer_mod, "_write_atomic", write)


def test_an_image_that_cannot_be_written_keeps_its_frame_onboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    from onboard.runtime import run_onboard

    frames, tlog = make_kill_flight(tmp_path / "A", n_frames=5)
    _failing(monkeypatch, {"images/000002.jpg", "images/000004.jpg", "masks/000003.tif", "masks/000003.png"})
    with caplog.at_level(logging.WARNING):
        summary = run_onboard(frames, tlog, tmp_path / "rec", DarkPixelSegmenter(), camera())
    assert summary.stats.recorded == 5 and summary.stats.record_errors == 0
    with FlightRecordReader(tmp_path / "rec") as reader:
        got = [(r.frame_index, r.image_path is not None, r.mask_path is not None, len(r.instances), r.pose.is_tagged)
               for r in reader.frames()]
    assert got == [(1, True, True, 1, True), (2, False, True, 1, True), (3, True, False, 1, True),
                   (4, False, True, 1, True), (5, True, True, 1, True)]
    said = [r.getMessage() for r in caplog.records if "Input/output error" in r.getMessage()]
    assert len(said) == 2 and "000002.jpg" in said[0] and "detections still recorded" in said[0]  # once per kind


def test_a_plain_replay_still_stops_on_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from onboard.replay import run_replay

    frames, tlog = make_kill_flight(tmp_path / "A", n_frames=3)
    _failing(monkeypatch, {"images/000002.jpg"})
    with pytest.raises(RecordError, match="000002.jpg: cannot write"):
        run_replay(frames, tlog, tmp_path / "rec", DarkPixelSegmenter(), camera(), progress=False)
    assert not (tmp_path / "rec").exists()
