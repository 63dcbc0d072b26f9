"""A quantity left unknown does not make a grade indeterminate when another already gives the worst it could.

AASHTO 1130 takes the worse of the width state and the crack-spacing state. A crack whose width was
not measured (GSD too coarse), or is known only as an interval across CS2-CS3, 0.2 m from the next
crack ("heavy crack spacing, less than 1 ft": CS3, the worst either quantity can give) was graded
indeterminate: its work order a check at priority 3 in 90 days ("Measure on site or re-fly closer"),
though it is CS3 whatever the width (repair, priority 2). Now such a grade is CS3, and its note says
the width was not needed. Where the width could still make it worse, it stays indeterminate, as before."""

from __future__ import annotations

from test_grading import RULES, finding  # type: ignore[import-not-found]

from groundstation.grading import INDETERMINATE, grade_all, grade_finding
from skyinspect.findings import Measurement

RC = RULES["aashto-mbei-1130"]


def _spacing(m: float) -> dict[str, Measurement]:
    return {"crack_spacing_m": Measurement(m, 0.001, "m", "outline to nearest other crack outline (F-0002)")}


def _width(low: float, high: float) -> Measurement:
    return Measurement(None, None, "mm", f"bound: between {low} and {high} mm", low, high)


def test_heavy_spacing_grades_cs3_whatever_the_width() -> None:
    f = finding(width_mm=None)  # not measurable: GSD 9 mm
    g = grade_finding(f, RC, _spacing(0.2))
    assert (g.state, g.priority, g.interval_days) == ("CS3", 2, 90), g
    assert "heavy crack spacing" in g.clause and "width_mm not needed" in g.note and "GSD" in g.note, g.note
    f.measurements["width_mm"] = _width(0.9, 2.0)  # CS2 to CS3
    g = grade_finding(f, RC, _spacing(0.2))
    assert g.state == "CS3" and "width_mm not needed" in g.note and "spans CS2 to CS3" in g.note, g.note


def test_moderate_spacing_and_a_width_that_cannot_be_worse_grade_cs2() -> None:
    f = finding()
    f.measurements["width_mm"] = _width(0.2, 0.9)  # CS1 to CS2
    g = grade_finding(f, RC, _spacing(0.5))  # CS2
    assert g.state == "CS2" and "width_mm not needed" in g.note, g


def test_a_width_that_could_make_it_worse_stays_indeterminate() -> None:
    f = finding()
    f.measurements["width_mm"] = _width(0.9, 2.0)  # CS2 to CS3
    g = grade_finding(f, RC, _spacing(0.5))  # CS2: CS3 still possible
    assert g.state == INDETERMINATE and g.could_be == "CS3" and g.note.startswith("width_mm spans CS2 to CS3"), g
    g = grade_finding(finding(width_mm=None), RC, _spacing(0.5))
    assert g.state == INDETERMINATE and g.note.startswith("width_mm: not measurable"), g
    g = grade_finding(finding(width_mm=None), RC)  # nothing else known
    assert g.state == INDETERMINATE


def test_two_cracks_too_coarse_to_measure_side_by_side() -> None:
    fs = [finding(fid="F-0001", width_mm=None), finding(fid="F-0002", north=0.5, width_mm=None)]
    grades = grade_all(fs, RULES, "rc_bridge", covered_area_m2=1.0)
    assert [grades[f][0].state for f in ("F-0001", "F-0002")] == ["CS3", "CS3"]
