"""`skyinspect publish --rules`: a flight processed with its own grading rules is published with the review
graded by those rules. `publish` had no --rules and re-graded a review with the shipped ones: on the demo
processed with a rules folder whose rc_bridge profile grades cracks by aashto-mbei-1110, rejecting one
joint line re-graded the 9 cracks left by aashto-mbei-1130 (CS3 -> CS2 or indeterminate), silently; an owner's
own rule file was refused with a fix (`process --rules`) that `publish` could not follow."""

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

def _processed_with(results: Path, rules: Path) -> None:
    """``results`` processed again (only the grade stage re-runs) with the rules folder ``rules``."""
    from gs_fixtures import face_surface

    from groundstation.pipeline import process

    flight = Path(json.loads((results / "inspection.json").read_text())["flight"])
    process(flight, results, face_surface(), progress=False, rules_dir=rules)


def _reject_rust(results: Path) -> str:
    c, crack, rust = crack_and_rust(results)
    decide(c, rust, "reject", comment="a stain")
    return crack


def _crack_rule(results: Path, crack: str) -> str:
    feats = json.loads((results / "findings.geojson").read_text())["features"]
    return next(f["properties"]["grade_rule"] for f in feats if f["properties"]["finding_id"] == crack)


def test_a_profile_mapped_otherwise_is_not_regraded_by_the_shipped_profile(results: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)  # the same rule files: only the profile differs
    text = (rules / "profiles.yaml").read_text()
    (rules / "profiles.yaml").write_text(text.replace("rc_bridge:          {crack: [aashto-mbei-1130]",
                                                      "rc_bridge:          {crack: [aashto-mbei-1110]"))
    _processed_with(results, rules)
    crack = _reject_rust(results)
    assert _crack_rule(results, crack) == "aashto-mbei-1110@2"
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    got = CliRunner().invoke(app, ["publish", str(results)])
    flat = " ".join(got.output.split())
    assert got.exit_code == 2 and "grades.json" in flat and "--rules" in flat, got.output
    assert "aashto-mbei-1110" in flat and "aashto-mbei-1130" in flat, got.output  # expected vs got
    assert {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()} == before  # nothing half-written
    got = CliRunner().invoke(app, ["publish", str(results), "--rules", str(rules)])
    assert got.exit_code == 0, got.output
    assert _crack_rule(results, crack) == "aashto-mbei-1110@2"
    assert json.loads((results / "inspection.json").read_text())["review"]["rejected"]


def test_an_own_rule_file_publishes_with_rules(results: Path, tmp_path: Path) -> None:
    rules = tmp_path / "owner_rules"
    shutil.copytree(RULES, rules)
    text = (rules / "aashto_mbei_1130.yaml").read_text().replace("rule_id: aashto-mbei-1130", "rule_id: owner-cracks")
    (rules / "owner_cracks.yaml").write_text(text)
    (rules / "profiles.yaml").write_text("version: 1\ndefault: owner\nprofiles:\n"
                                         "  owner: {crack: [owner-cracks], corrosion: [aashto-mbei-1000]}\n")
    _processed_with(results, rules)
    crack = _reject_rust(results)
    got = CliRunner().invoke(app, ["publish", str(results)])
    assert got.exit_code == 2 and "--rules" in " ".join(got.output.split()), got.output
    got = CliRunner().invoke(app, ["publish", str(results), "--rules", str(rules)])
    assert got.exit_code == 0, got.output
    assert _crack_rule(results, crack) == "owner-cracks@2"
    got = CliRunner().invoke(app, ["publish", str(results), "--rules", str(tmp_path / "nowhere")])
    assert got.exit_code == 2 and "nowhere" in got.output, got.output
