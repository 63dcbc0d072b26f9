"""`skyinspect publish RESULTS` (no --flight) of a results folder moved together with its flight record
reads the record once. Before, it was read twice: every frame and detection to check that the record
beside the results is this flight (review.data._beside), then all of it again to publish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gs_fixtures import processed_and_moved

from groundstation.republish import publish_reviewed
from skyinspect.errors import InputError
from skyinspect.record.reader import FlightRecordReader


def _frames_read(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    read: list[Path] = []
    frames = FlightRecordReader.frames

    def counted(self: FlightRecordReader):  # type: ignore[no-untyped-def]
        read.append(self.folder)
        return frames(self)

    monkeypatch.setattr(FlightRecordReader, "frames", counted)
    return read


def test_a_moved_record_is_read_once_and_still_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    moved = processed_and_moved(tmp_path)
    read = _frames_read(monkeypatch)
    summary = publish_reviewed(moved / "results")
    assert summary.findings == 1
    assert [p.resolve() for p in read] == [(moved / "flight").resolve()]  # before: the same record twice
    # another flight of the same name beside the results is still not taken for this one (publish wrote
    # the record's new place into inspection.json: gone again)
    meta_path = moved / "results" / "inspection.json"
    meta = json.loads(meta_path.read_text())
    assert Path(meta["flight"]) == (moved / "flight").resolve()
    meta["start_time_utc_s"] += 3600.0
    meta["flight"] = str(tmp_path / "gone" / "flight")
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(InputError, match="not there .nor beside the results folder"):
        publish_reviewed(moved / "results")
