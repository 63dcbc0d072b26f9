"""A grade by an earlier version (or the earlier name) of a rule is compared, not silently skipped.

aashto-mbei-1130 went @1 -> @2 (exact inch limits) and aashto-mbei-3420 was renamed aashto-mbei-3440; grades
record rule_id@version, so `skyinspect change` matched no grade of a folder graded before against one graded now
and never judged an escalation until the older flight was processed again. Now last time's finding is graded
again by this time's rule from its stored measurements (the shipped rule, the very file this time's grades
were made with), and the note says so; where that rule is not at hand, the note says why it is not compared."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from groundstation.change import compare
from groundstation.grading.rules import RULES_DIR, load_rules
from groundstation.stages import finding_to_dict
from skyinspect.findings import Finding, Measurement
from skyinspect.geodesy import LocalFrame

FRAME = LocalFrame(47.0, 8.0, 400.0)
SHIPPED = {r.ref: r.sha256 for r in load_rules(RULES_DIR).values()}


def _finding(fid: str, cls: str, measurements: dict[str, Measurement]) -> Finding:
    p = np.array([1.9, 3.0, -1.2])
    lat, lon, alt = FRAME.to_geodetic(p)
    return Finding(fid, 2, cls, float(lat), float(lon), float(alt), np.array([[lat, lon, alt]] * 3), p,
                   0.9, ((0, 0),), (0, 0), measurements, 0.05, 0.05)


def _results(folder: Path, day: str, finding: Finding, grades: list[dict], rules: dict[str, str] | None) -> Path:
    (folder / "stages").mkdir(parents=True)
    (folder / "inspection.json").write_text(json.dumps({"inspection_date": day, "asset_id": "pier-1"}))
    (folder / "stages" / "findings.json").write_text(json.dumps({"data": [finding_to_dict(finding)]}))
    base = {"finding_id": finding.finding_id, "label": "", "clause": "", "citation": "", "action": ""}
    data: dict = {"grades": {finding.finding_id: [{**base, **g} for g in grades]}}
    if rules is not None:
        data["rules"] = rules
    (folder / "stages" / "grades.json").write_text(json.dumps({"data": data}))
    return folder


def _crack(width_mm: float) -> Finding:
    return _finding("F-0001", "crack", {"width_mm": Measurement(width_mm, 0.02, "mm"),
                                        "length_mm": Measurement(300.0, 5.0, "mm")})


def _crack_results(folder: Path, date: str, width_mm: float, rule: str, state: str, priority: int,
                   interval_days: int, rules: dict[str, str] | None) -> Path:
    """A results folder holding one crack of ``width_mm`` graded ``state`` by ``rule`` from that width."""
    return _results(folder, date, _crack(width_mm),
                    [{"rule": rule, "state": state, "priority": priority, "interval_days": interval_days,
                      "values": {"width_mm": width_mm, "crack_spacing_m": None}}], rules)


def test_a_crack_graded_by_version_1_escalates_against_version_2(tmp_path: Path) -> None:
    # 0.25 mm was CS1 under @1 (< 0.30 mm) and is CS1 under @2 (< 0.3048 mm); 1.5 mm now is CS3 (> 1.27 mm)
    prev = _crack_results(tmp_path / "prev", "2025-06-02", 0.25, "aashto-mbei-1130@1", "CS1", 4, 730, None)
    cur = _crack_results(tmp_path / "cur", "2026-06-02", 1.5, "aashto-mbei-1130@2", "CS3", 2, 90, SHIPPED)
    (change,) = compare(prev, cur).changes
    assert change.escalated, change
    assert (change.previous_grade, change.current_grade) == ("CS1", "CS3")  # as each was graded
    assert "CS1 by aashto-mbei-1130@1 last time, CS1 by aashto-mbei-1130@2 from its stored measurements" \
        in change.note, change.note


def test_the_version_change_is_reported_even_where_nothing_escalated(tmp_path: Path) -> None:
    # 0.302 mm: CS2 by @1 (rounded 0.30 mm), CS1 by @2 (< 0.012 in.): the same crack, not a change in it
    prev = _crack_results(tmp_path / "prev", "2025-06-02", 0.302, "aashto-mbei-1130@1", "CS2", 3, 365, None)
    cur = _crack_results(tmp_path / "cur", "2026-06-02", 0.302, "aashto-mbei-1130@2", "CS1", 4, 730, SHIPPED)
    report = compare(prev, cur)
    assert not report.changes[0].escalated
    assert report.rule_changes == ("aashto-mbei-1130@1 -> aashto-mbei-1130@2 (1 grade of last time graded again "
                                   "by aashto-mbei-1130@2 from its stored measurements)",), report.rule_changes


def test_rust_graded_by_the_old_coating_rule_name_escalates(tmp_path: Path) -> None:
    rust = _finding("F-0002", "corrosion", {"area_m2": Measurement(0.02, 0.001, "m2")})
    prev = _results(tmp_path / "prev", "2025-06-02", rust,
                    [{"rule": "aashto-mbei-3420@1", "state": "CS2", "priority": 3, "interval_days": 365,
                      "values": {"rusted_area_pct": 2.0}}], None)
    cur = _results(tmp_path / "cur", "2026-06-02", _finding("F-0002", "corrosion",
                                                            {"area_m2": Measurement(0.2, 0.01, "m2")}),
                   [{"rule": "aashto-mbei-3440@1", "state": "CS4", "priority": 1, "interval_days": 30,
                     "values": {"rusted_area_pct": 20.0}}], SHIPPED)
    (change,) = compare(prev, cur).changes
    assert change.escalated, change.note
    assert "aashto-mbei-3420@1" in change.note and "aashto-mbei-3440@1" in change.note, change.note


def test_an_owner_rule_not_at_hand_is_said_not_compared(tmp_path: Path) -> None:
    prev = _results(tmp_path / "prev", "2025-06-02", _crack(0.25),
                    [{"rule": "aashto-mbei-1130@1", "state": "CS1", "priority": 4, "interval_days": 730,
                      "values": {"width_mm": 0.25}}], None)
    cur = _results(tmp_path / "cur", "2026-06-02", _crack(1.5),
                   [{"rule": "aashto-mbei-1130@2", "state": "CS3", "priority": 2, "interval_days": 90,
                     "values": {"width_mm": 1.5}}],
                   {**SHIPPED, "aashto-mbei-1130@2": "0" * 64})  # graded by an owner's copy of @2 (--rules)
    report = compare(prev, cur)
    (change,) = report.changes
    assert not change.escalated
    assert "not compared" in change.note and "process the older flight again" in change.note, change.note
    assert report.rule_changes and "not compared" in report.rule_changes[0], report.rule_changes


def test_two_folders_graded_by_version_1_before_rule_states_were_recorded_still_escalate(tmp_path: Path) -> None:
    """Both graded by aashto-mbei-1130@1 (and 3420@1) before grades.json recorded each rule's states (4095d64):
    ranked by the shipped rules, which no longer hold @1, so nothing escalated, silently. The states of a rule
    and their order are the standard's (CS1 < CS2 < CS3), the same in every version of it."""
    prev = _results(tmp_path / "prev", "2025-06-02", _crack(0.25),
                    [{"rule": "aashto-mbei-1130@1", "state": "CS1", "priority": 4, "interval_days": 730,
                      "values": {"width_mm": 0.25}}], None)
    cur = _results(tmp_path / "cur", "2026-06-02", _crack(1.5),
                   [{"rule": "aashto-mbei-1130@1", "state": "CS3", "priority": 2, "interval_days": 90,
                     "values": {"width_mm": 1.5}}], None)
    assert compare(prev, cur).changes[0].escalated
    rust = _finding("F-0002", "corrosion", {"area_m2": Measurement(0.02, 0.001, "m2")})
    prev = _results(tmp_path / "prev2", "2025-06-02", rust,
                    [{"rule": "aashto-mbei-3420@1", "state": "CS2", "priority": 3, "interval_days": 365,
                      "values": {"rusted_area_pct": 2.0}}], None)
    cur = _results(tmp_path / "cur2", "2026-06-02", rust,
                   [{"rule": "aashto-mbei-3420@1", "state": "CS4", "priority": 1, "interval_days": 30,
                     "values": {"rusted_area_pct": 20.0}}], None)
    assert compare(prev, cur).changes[0].escalated
