"""A grade decided by a quantity taken over several findings says its value and what it was taken from.

ISO 4628-3 grades the rusted share of the area inspected, AASHTO's crack spacing the distance to the
nearest other crack; neither is a measurement of the finding, so no product printed them beside the
grade. A pipe 9 % rusted (pipeline profile, ISO 4628-3 first) got a work order 'Ri5 by iso-4628-3@1.
area_m2 0.09 +/- 0.001 m2' with the clause 'Ri 5: rusted area 40 % to 50 % (graded > 8 %)': nothing
said it was 9 %, or of which area; a crack graded CS3 for heavy crack spacing did not say how far, or
from which crack. Now the grade's note (shown with the grade in the report, map, KML and work order)
gives the deciding value and its basis."""

from __future__ import annotations

from test_grading import RULES, finding  # type: ignore[import-not-found]
from test_workorders_other_grades import _rust  # type: ignore[import-not-found]

from groundstation.grading import grade_all
from groundstation.workorders import build_work_orders


def test_the_rust_grade_says_the_rusted_share_it_graded() -> None:
    rust = [_rust("F-0001", 0.09)]
    grades = grade_all(rust, RULES, "pipeline", covered_area_m2=1.0)
    g = grades["F-0001"][0]
    assert g.state == "Ri5" and "rusted_area_pct 9 % (0.09 m2 rusted of 1 m2 inspected)" in g.note, g.note
    (order,) = build_work_orders(rust, grades, "2025-06-01", "GAS-1")
    assert "rusted area 9 %" in order.description, order.description


def test_a_spacing_grade_says_how_far_and_from_which_crack() -> None:
    fs = [finding(fid="F-0001", width_mm=0.2), finding(fid="F-0002", north=0.5, width_mm=0.2)]
    g = grade_all(fs, RULES, "rc_bridge", covered_area_m2=1.0)["F-0001"][0]
    assert g.state == "CS3" and "crack_spacing_m 0.2 m (outline to nearest other crack outline (F-0002))" in g.note


def test_a_grade_decided_by_the_finding_itself_adds_nothing() -> None:
    fs = [finding(fid="F-0001", width_mm=2.0), finding(fid="F-0002", north=3.0, width_mm=2.0)]
    g = grade_all(fs, RULES, "rc_bridge", covered_area_m2=1.0)["F-0001"][0]
    assert g.state == "CS3" and "crack_spacing_m" not in g.note, g.note  # the width decided, spacing CS1
