"""`skyinspect publish` of a results folder graded by an earlier version of a shipped rule. aashto-mbei-1130 went
@1 -> @2 (119934c: limits converted exactly from inches; @1 misgraded 0.300-0.3047 mm cracks CS2). A folder
processed by a release shipping @1 and published after upgrading put the @1 grades into the report, GIS layers and
work orders (exit 0, nothing said); with a review decision it was refused with a fix that cannot be followed (pass
`--rules` the folder `process --rules` graded with: there was none). Now both are refused naming grades.json, the
two versions and the fix: process the flight again (its stages are reused; only the grading runs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import crack_and_rust, decide  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from skyinspect.cli.main import app  # noqa: E402

RULES = Path(__file__).resolve().parents[2] / "groundstation" / "grading" / "rules"


def _shipped_before_119934c(folder: Path) -> Path:
    """The shipped rules with aashto-mbei-1130 as version 1 held it (width limit rounded to 0.30 mm)."""
    shutil.copytree(RULES, folder)
    path = folder / "aashto_mbei_1130.yaml"
    text = path.read_text()
    assert "version: 2\n" in text and "below: 0.3048," in text
    path.write_text(text.replace("version: 2\n", "version: 1\n").replace("0.3048 mm", "0.30 mm")
                    .replace("below: 0.3048,", "below: 0.30,").replace("from: 0.3048, to: 1.27", "from: 0.30, to: 1.27"))
    return folder


def _grade_rules(results: Path) -> set[str]:
    feats = json.loads((results / "findings.geojson").read_text())["features"]
    return {f["properties"]["grade_rule"] for f in feats}


def _refused(results: Path) -> str:
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    got = CliRunner().invoke(app, ["publish", str(results)])
    flat = " ".join(got.output.split())
    assert got.exit_code == 2 and "Traceback" not in flat, got.output
    assert {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()} == before  # nothing half-written
    return flat


def test_grades_by_an_older_rule_version_are_not_published_as_current(results: Path, tmp_path: Path) -> None:
    from gs_fixtures import face_surface

    from groundstation.pipeline import process

    flight = Path(json.loads((results / "inspection.json").read_text())["flight"])
    process(flight, results, face_surface(), progress=False, rules_dir=_shipped_before_119934c(tmp_path / "v1"))
    assert _grade_rules(results) == {"aashto-mbei-1000@1", "aashto-mbei-1130@1"}
    flat = _refused(results)  # before: exit 0, the @1 grades published again, nothing said
    assert str(results / "stages" / "grades.json") in flat, flat
    assert "aashto-mbei-1130@1" in flat and "aashto-mbei-1130@2" in flat, flat  # expected vs got
    assert "aashto-mbei-1000" not in flat, flat  # the same file now: not named
    assert f"skyinspect process {flight} --out {results}" in flat, flat
    c, _, rust = crack_and_rust(results)
    decide(c, rust, "reject", comment="a stain")
    flat = _refused(results)  # before: 'Pass `skyinspect publish --rules` the folder `skyinspect process --rules` ...'
    assert "aashto-mbei-1130@2" in flat and f"skyinspect process {flight} --out {results}" in flat, flat
    process(flight, results, face_surface(), progress=False)  # the fix: only the grade stage runs again
    got = CliRunner().invoke(app, ["publish", str(results)])
    assert got.exit_code == 0, got.output
    assert _grade_rules(results) == {"aashto-mbei-1130@2"}  # the rust patch was rejected in review
