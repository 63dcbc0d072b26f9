"""A crack whose width is known only as an interval across a state boundary is graded indeterminate, and
its work order is a check: priority 3, due in 90 days (WorkOrderPolicy). Under AASHTO MBEI 1110 (PSC) a
width between 0.15 and 0.40 mm may be CS3 ("wide", > 0.2286 mm = 0.009 in.), whose repair is due in 60 days at priority
2: the check that finds out was scheduled a month after the repair it may call for, behind it in the list.
The check now keeps the urgency of the worst state the interval allows, where that is the more urgent."""

from __future__ import annotations

import numpy as np

from groundstation.grading import grade_all, grades_from_json, grades_to_json
from groundstation.workorders import WorkOrderPolicy, build_work_orders
from skyinspect.findings import Finding, Measurement


def _crack(fid: str, north: float, low_mm: float, high_mm: float) -> Finding:
    outline = np.array([[north, 2.0, -10.0], [north + 0.3, 2.0, -10.0], [north + 0.3, 2.0, -10.004]])
    width = Measurement(None, None, "mm", f"bound: between {low_mm} and {high_mm} mm", low_mm, high_mm)
    return Finding(fid, 1, "crack", 47.1, 8.2, 500.0, np.zeros((3, 3)), outline.mean(0), 0.9, ((0, 0),), (0, 0),
                   {"width_mm": width}, outline_ned_m=outline, surface_name="face")


def test_a_check_is_due_no_later_than_the_worst_state_its_interval_allows() -> None:
    cracks = [_crack("F-0001", 0.0, 0.15, 0.40), _crack("F-0002", 5.0, 0.05, 0.15)]  # CS2-CS3; CS1-CS2
    grades = grade_all(cracks, profile="psc_bridge")
    assert [grades[f][0].state for f in ("F-0001", "F-0002")] == ["indeterminate", "indeterminate"]
    assert grades_from_json(grades_to_json(grades)) == grades  # what grades.json keeps
    by = {o.finding_id: o for o in build_work_orders(cracks, grades, "2025-06-01", "PSC-1")}
    assert (by["F-0001"].priority, by["F-0001"].due_date) == (2, "2025-07-31")  # CS3: 60 days, priority 2
    assert (by["F-0002"].priority, by["F-0002"].due_date) == (3, "2025-08-30")  # at worst CS2: the policy's 90
    assert "It may be CS3" in by["F-0001"].action and "may be" not in by["F-0002"].action
    assert [o.finding_id for o in build_work_orders(cracks, grades, "2025-06-01")] == ["F-0001", "F-0002"]
    # the report's actions and the GIS layers take the same (WorkOrderPolicy.priority_and_days)
    assert WorkOrderPolicy().priority_and_days(grades["F-0001"][0]) == (2, 60)


def test_the_check_says_what_it_is_as_urgent_as() -> None:
    """The demo's F-0008 order read 'It may be CS3 (aashto-mbei-1130@2): checked as urgently (priority 2,
    within 90 days).': as urgently as what, the sentence did not say."""
    cracks = [_crack("F-0001", 0.0, 0.15, 0.40)]
    (order,) = build_work_orders(cracks, grade_all(cracks, profile="psc_bridge"), "2025-06-01", "PSC-1")
    assert order.action.endswith("It may be CS3 (aashto-mbei-1110@2), so it is checked as urgently as CS3: "
                                 "priority 2, within 60 days."), order.action
