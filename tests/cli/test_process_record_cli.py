"""`skyinspect process` on a flight record copied without its masks/: processed, and said once
(the crack lengths silently changed by up to 10 % on the demo flight, with no word)."""

from __future__ import annotations

import shutil
from pathlib import Path

from gs_fixtures import FLY_HEIGHT_M, crack_on_face, face_flight, face_surface
from typer.testing import CliRunner

from skyinspect.cli.main import app


def test_a_record_without_its_masks_is_processed_and_says_so(tmp_path: Path) -> None:
    folder = face_flight(tmp_path / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1)])
    shutil.rmtree(folder / "masks")
    surface = tmp_path / "surface.json"
    face_surface().save(surface)
    result = CliRunner().invoke(app, ["process", str(folder), "--out", str(tmp_path / "res"), "--surface",
                                      str(surface)])
    flat = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "5 of 5 tagged frames' class masks are missing" in flat and "Copy the whole flight folder" in flat


def test_an_out_that_is_a_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    """It said "cannot create output folder ([Errno 17] File exists: ...)"."""
    folder = face_flight(tmp_path / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1)])
    taken = tmp_path / "results.txt"
    taken.write_text("notes")
    for out, said in ((taken, "results.txt: is a file"), (taken / "sub", "lies under")):
        result = CliRunner().invoke(app, ["process", str(folder), "--out", str(out)])
        flat = " ".join(result.output.split())
        assert result.exit_code == 2 and said in flat and "Give --out a folder path" in flat, result.output
    assert taken.read_text() == "notes"
