"""The truth is graded by the owner's rules with its widest stretch too (groundstation.evaluate_grades).

The truth's features carry ``max_width_mm`` (missions/simulator/truth.py) but the truth's stand-in
findings had only ``width_mm``: under an owner's rule grading ``max_width_mm`` (process --rules) every
true crack graded indeterminate, "max_width_mm: not measured", so the comparison counted no agreement
whatever the findings' grades."""

from __future__ import annotations

from pathlib import Path

from test_evaluate_grades import _feature, _ring
from test_grading_max_width import _owner_rules

from groundstation.evaluate_grades import truth_grades


def test_true_cracks_are_graded_by_their_widest_stretch_under_an_owner_rule(tmp_path: Path) -> None:
    truth = [_feature(_ring(0.0), {"defect_id": "1", "class": "crack", "width_mm": 0.25, "max_width_mm": 0.93}),
             _feature(_ring(5.0), {"defect_id": "2", "class": "crack", "width_mm": 0.80, "max_width_mm": 1.60}),
             _feature(_ring(10.0), {"defect_id": "3", "class": "crack", "width_mm": 0.20})]  # no max given
    assert truth_grades(truth) == {"1": "CS1", "2": "CS2", "3": "CS1"}  # the shipped rule: the mean
    owner = truth_grades(truth, "owner", _owner_rules(tmp_path / "rules"))
    assert owner == {"1": "CS2", "2": "CS3", "3": "indeterminate"}, owner
