"""Grades over several findings taken again on the reviewed set (groundstation.grading.reviewed): a
rejected line no longer sets its neighbour's crack spacing, and a crack's length note says its joint line
was rejected, by whom. Before, publish kept stages/grades.json's grades, computed with the rejected ones."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from groundstation.grading.reviewed import regrade_reviewed
from groundstation.joint_split import split_at_joint
from groundstation.joints import joint_arm
from skyinspect.findings import Measurement

from test_joint_split import FACE, GSD, ORIGIN, _crack_and_joint, _finding

ADA = {"status": "rejected", "by": "ada", "comments": [{"who": "ada", "text": "formwork joint"}]}


def _two_cracks() -> list:
    crack, joint = _crack_and_joint()
    a = _finding(crack, joint)
    a = replace(a, measurements={**a.measurements, "width_mm": Measurement(0.5, 0.05, "mm", "")})  # CS2 by width
    b = replace(a, finding_id="F-0008", outline_ned_m=a.outline_ned_m + np.array([0.0, 0.0, -0.15]))
    return [a, b]


def test_a_rejected_crack_is_no_ones_neighbour_for_crack_spacing() -> None:
    a, b = _two_cracks()
    _, before = regrade_reviewed([a, b], {}, "rc_bridge", 1.0, {}, frozenset())
    assert before["F-0007"][0].values["crack_spacing_m"] < 0.305 and before["F-0007"][0].state == "CS3"
    kept, after = regrade_reviewed([a, b], {"F-0008": ADA}, "rc_bridge", 1.0, {}, frozenset())
    assert [f.finding_id for f in kept] == ["F-0007"] and set(after) == {"F-0007"}
    assert after["F-0007"][0].values["crack_spacing_m"] is None and after["F-0007"][0].state == "CS2"


def test_a_relabelled_finding_is_graded_as_its_reviewed_class() -> None:
    a, b = _two_cracks()
    relabel = {"F-0008": {"status": "relabelled", "label": "corrosion", "by": "ada", "comments": []}}
    kept, grades = regrade_reviewed([a, b], relabel, "rc_bridge", 1.0, {}, frozenset())
    assert kept[1].class_name == "crack"  # shown as found; graded as reviewed
    assert grades["F-0008"][0].rule.startswith("aashto-mbei-1000")
    area = b.measurements["area_m2"].value
    assert grades["F-0008"][1].values["rusted_area_pct"] == 100.0 * area
    assert "relabelled corrosion by ada" in grades["F-0008"][0].note
    assert grades["F-0007"][0].values["crack_spacing_m"] is None  # no longer a crack neighbour


def test_a_relabel_the_measurements_cannot_grade_is_indeterminate_and_says_why() -> None:
    a, _ = _two_cracks()
    rust = replace(a, finding_id="F-0009", class_name="corrosion",
                   measurements={"area_m2": a.measurements["area_m2"]})
    relabel = {"F-0009": {"status": "relabelled", "label": "crack", "by": "ada", "comments": []}}
    _, grades = regrade_reviewed([rust], relabel, "rc_bridge", 1.0, {}, frozenset())
    g = grades["F-0009"][0]
    assert g.is_indeterminate and "width_mm" in g.note and "relabelled crack by ada" in g.note


def test_the_crack_says_its_joint_line_was_rejected_and_by_whom() -> None:
    crack, joint = _crack_and_joint()
    whole = _finding(crack, joint)
    part, line = split_at_joint(whole, joint_arm(whole.centrelines_ned_m, FACE, GSD), FACE, ORIGIN)
    assert "reported apart as F-0007-J" in part.measurements["length_mm"].note
    kept, _ = regrade_reviewed([part, line], {"F-0007-J": ADA}, "rc_bridge", 1.0, {}, frozenset())
    note = kept[0].measurements["length_mm"].note
    assert "is reported apart" not in note and "F-0007-J" in note
    assert "rejected in review by ada (formwork joint)" in note
