"""A defect escalates when any of its grades got worse under the same rule, not the primary alone.

Under rc_bridge a rust patch's primary grade is AASHTO 1000 'CS2+' whatever its extent (any visible
rust), so corrosion could never read escalated: a pier whose rusted share went from Ri3 (1 %) to Ri5
(over 8 %, full recoat) read 'stable, not escalated' while its work order rose to priority 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from groundstation.change import compare
from groundstation.stages import finding_to_dict
from skyinspect.findings import Finding, Measurement
from skyinspect.geodesy import LocalFrame

FRAME = LocalFrame(47.0, 8.0, 400.0)


def _rust(area_m2: float) -> Finding:
    p = np.array([1.9, 3.0, -1.2])
    lat, lon, alt = FRAME.to_geodetic(p)
    return Finding("F-0002", 2, "corrosion", float(lat), float(lon), float(alt), np.array([[lat, lon, alt]] * 3), p,
                   0.9, ((0, 0),), (0, 0), {"area_m2": Measurement(area_m2, 0.05 * area_m2, "m2")}, 0.05, 0.05)


def _results(folder: Path, day: str, area_m2: float, iso_state: str) -> Path:
    (folder / "stages").mkdir(parents=True)
    (folder / "inspection.json").write_text(json.dumps({"inspection_date": day, "asset_id": "pier-1"}))
    (folder / "stages" / "findings.json").write_text(json.dumps({"data": [finding_to_dict(_rust(area_m2))]}))
    grade = {"finding_id": "F-0002", "label": "", "clause": "", "citation": "", "action": ""}
    grades = {"F-0002": [{**grade, "rule": "aashto-mbei-1000@1", "state": "CS2", "bound": "at_least", "priority": 3,
                          "interval_days": 180},
                         {**grade, "rule": "iso-4628-3@1", "state": iso_state, "priority": 2, "interval_days": 90}]}
    (folder / "stages" / "grades.json").write_text(json.dumps({"data": {"grades": grades}}))
    return folder


def test_rust_escalates_by_its_rusted_share(tmp_path: Path) -> None:
    prev = _results(tmp_path / "prev", "2025-06-02", 0.02, "Ri3")
    cur = _results(tmp_path / "cur", "2026-06-02", 0.2, "Ri5")
    (change,) = compare(prev, cur).changes
    assert change.status == "grown" and change.escalated
    assert (change.previous_grade, change.current_grade) == ("CS2", "CS2")  # the primary, as before
    assert "escalated Ri3 -> Ri5 (iso-4628-3@1)" in change.note, change.note
    same = compare(_results(tmp_path / "a", "2025-06-02", 0.02, "Ri3"), _results(tmp_path / "b", "2026-06-02", 0.02,
                                                                                  "Ri3")).changes[0]
    assert not same.escalated and "escalated" not in same.note


def test_the_command_line_says_which_grade_escalated(tmp_path: Path) -> None:
    """`skyinspect change` printed 'CS2 -> CS2 (escalated)' for the rust gone Ri3 -> Ri5: the primary grade's
    states beside a word they contradict."""
    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    prev = _results(tmp_path / "prev", "2025-06-02", 0.02, "Ri3")
    cur = _results(tmp_path / "cur", "2026-06-02", 0.2, "Ri5")
    got = CliRunner().invoke(app, ["change", str(prev), str(cur), "--out", str(tmp_path / "change")],
                             env={"COLUMNS": "250"})
    assert got.exit_code == 0, got.output
    flat = " ".join(got.output.split())
    assert "CS2 -> CS2 (escalated Ri3 -> Ri5 (iso-4628-3@1))" in flat, got.output
