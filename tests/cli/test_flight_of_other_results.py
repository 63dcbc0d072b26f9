"""`publish --flight` / `serve --flight` with another flight's record is refused by name: the report's crops
and the review app's views were that other flight's images (exit 0, nothing said), so a reviewer judged each
finding on pictures of somewhere else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundstation.review.data import ResultsData
from skyinspect.cli.main import app
from skyinspect.errors import InputError


def _flight_of(results: Path) -> Path:
    import json

    return Path(json.loads((results / "inspection.json").read_text())["flight"])


def test_publish_refuses_another_flights_record(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    results = tmp_path / "results-2025"
    shutil.copytree(inspections[1], results)
    before = {p.name: p.stat().st_mtime_ns for p in results.iterdir() if p.is_file()}
    other = _flight_of(inspections[0])  # the 2024 flight of the same face
    result = CliRunner().invoke(app, ["publish", str(results), "--flight", str(other)])
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert f"{other}: is another flight" in said and "Traceback" not in said, said
    assert {p.name: p.stat().st_mtime_ns for p in results.iterdir() if p.is_file()} == before  # nothing rewritten
    # its own flight, given by --flight, still publishes
    result = CliRunner().invoke(app, ["publish", str(results), "--flight", str(_flight_of(inspections[1]))])
    assert result.exit_code == 0, result.output


def test_serve_refuses_another_flights_record(inspections: tuple[Path, Path]) -> None:
    other = _flight_of(inspections[0])
    with pytest.raises(InputError, match=rf"{other}: is another flight"):
        ResultsData.open(inspections[1], other)
    assert ResultsData.open(inspections[1], _flight_of(inspections[1])).frames  # its own: the views are there


def test_publish_with_flight_reads_the_record_once(inspections: tuple[Path, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: the --flight check opened the record and read every frame, then load_flight opened it and read
    # them all again (2 opens, 2 reads of the frames table); the check now uses the frames load_flight read.
    from skyinspect.record import FlightRecordReader

    results = tmp_path / "results-2025"
    shutil.copytree(inspections[1], results)
    opened, read = [], []
    init, frames = FlightRecordReader.__init__, FlightRecordReader.frames

    def counted_init(self: FlightRecordReader, folder: Path) -> None:
        opened.append(Path(folder))
        init(self, folder)

    def counted_frames(self: FlightRecordReader):  # type: ignore[no-untyped-def]
        read.append(1)
        return frames(self)

    monkeypatch.setattr(FlightRecordReader, "__init__", counted_init)
    monkeypatch.setattr(FlightRecordReader, "frames", counted_frames)
    result = CliRunner().invoke(app, ["publish", str(results), "--flight", str(_flight_of(inspections[1]))])
    assert result.exit_code == 0, result.output
    assert (len(opened), len(read)) == (1, 1), opened
