"""A work order's sentence for a grade other than the primary says what decided that grade.

rc_bridge grades rust by AASHTO 1000 first (any visible rust: CS2+) and ISO 4628-3 beside it; a pier 10 %
rusted is Ri5, and its order read 'Also Ri5 by iso-4628-3@1: Full recoat. (priority 2, within 90 days)',
nothing saying 10 % or of what area (2ee5b66 gave the basis to the primary grade's note only)."""

from __future__ import annotations

from test_workorders_other_grades import _rust  # type: ignore[import-not-found]

from groundstation.grading import grade_all
from groundstation.workorders import build_work_orders


def test_the_other_grade_says_the_rusted_share_that_decided_it() -> None:
    rust = [_rust("F-0001", 0.1)]
    grades = grade_all(rust, profile="rc_bridge", covered_area_m2=1.0)  # 10 % rusted: Ri5
    (order,) = build_work_orders(rust, grades, "2025-06-01", "BR-1")
    assert ("Also Ri5 by iso-4628-3@1, rusted area 10 % (0.1 m² rusted of 1 m² inspected): Full recoat. "
            "(priority 2, within 90 days)") in order.action, order.action


def test_the_coating_grade_beside_iso_says_its_basis_too() -> None:
    rust = [_rust("F-0001", 0.003)]
    grades = grade_all(rust, profile="pipeline", covered_area_m2=1.0)  # Ri2 first, 3440 CS2 beside it
    other = grades["F-0001"][1]
    assert (other.rule, other.state) == ("aashto-mbei-3440@1", "CS2")
    (order,) = build_work_orders(rust, grades, "2025-06-01", "GAS-1")
    assert f"Also {other.state} by {other.rule}" in order.action
    said = order.action.split(f"Also {other.state} by {other.rule}", 1)[1]
    assert said.startswith(", rusted area 0.3 % (0.003 m² rusted of 1 m² inspected): Spot-repair"), order.action
