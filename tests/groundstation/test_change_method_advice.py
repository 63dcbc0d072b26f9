"""Which flight `skyinspect change` says to process again when the two folders measured a quantity by
different methods. It always said "Process the previous flight again with this version", also where the
previous folder was the one on this version's methods: the demo flight (seed 7) processed with width method
image-profile-6 and a second flight (seed 3) processed before that method came (image-profile-5), compared
with a version on image-profile-7, or a folder from a newer release compared as last time's. Processing the
previous flight again left the two still unlike. Now the advice names the folder(s) not measured as this
version measures: the previous, the current, or both."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from groundstation.measure import MEASUREMENT_METHODS
from skyinspect.cli.main import app
from test_change_joints import _crack, _results


def _folder(tmp: Path, name: str, day: str, methods: dict[str, str]) -> Path:
    folder = _results(tmp / name, day, [_crack("F-0001", (0.0, 3.0, -1.0), 300.0)], set())
    meta = json.loads((folder / "inspection.json").read_text())
    (folder / "inspection.json").write_text(json.dumps({**meta, "measurement_methods": methods}))
    return folder


def _advice(tmp: Path, before: dict[str, str], after: dict[str, str]) -> str:
    old, new = _folder(tmp, "old", "2025-06-02", before), _folder(tmp, "new", "2026-06-02", after)
    got = CliRunner().invoke(app, ["change", str(old), str(new), "--out", str(tmp / "change")])
    assert got.exit_code == 0, got.output
    return " ".join(got.output.split())


def test_the_current_folder_on_an_older_method_is_the_one_named(tmp_path: Path) -> None:
    older = {**MEASUREMENT_METHODS, "width_mm": "image-profile-1"}
    said = _advice(tmp_path, dict(MEASUREMENT_METHODS), older)
    assert f"width_mm ({MEASUREMENT_METHODS['width_mm']} -> image-profile-1)" in said
    assert "Process the current flight again" in said and "previous flight again" not in said
    assert str(tmp_path / "new") in said


def test_the_previous_folder_on_an_older_method_is_named_as_before(tmp_path: Path) -> None:
    said = _advice(tmp_path, {**MEASUREMENT_METHODS, "length_mm": "one-sighting-0"}, dict(MEASUREMENT_METHODS))
    assert "Process the previous flight again" in said and str(tmp_path / "old") in said


def test_both_folders_off_this_version_both_are_named(tmp_path: Path) -> None:
    said = _advice(tmp_path, {**MEASUREMENT_METHODS, "width_mm": "image-profile-1"},
                   {**MEASUREMENT_METHODS, "width_mm": "image-profile-2"})
    assert "Process both flights again" in said
