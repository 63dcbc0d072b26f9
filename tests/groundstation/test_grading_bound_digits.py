"""A width interval is said with the digits its grade turns on. The measurement writes its bound to two
decimals, and the grade notes gave 3 significant digits, so a hairline crack between 0.298 and 0.90 mm
(AASHTO 1130: CS1 below 0.012 in. = 0.3048 mm, CS2 from it) was reported as "width_mm spans CS1 to CS2: bound: between
0.30 and 0.90 mm", which no width in it would do, and one between 1.2704 and 2.0 mm (CS3 above 1.27) as
"between 1.27 and 2 mm ... CS3 across the whole interval", though 1.27 itself is CS2."""

from __future__ import annotations

from test_grading import RULES, finding  # type: ignore[import-not-found]

from groundstation.grading import INDETERMINATE, grade_finding
from skyinspect.findings import Measurement


def _graded(low_mm: float, high_mm: float):  # type: ignore[no-untyped-def]
    f = finding()
    # the note as groundstation.measure writes it
    f.measurements["width_mm"] = Measurement(None, None, "mm", f"bound: between {low_mm:.2f} and {high_mm:.2f} mm; "
                                                               "the crack's interior does not show", low_mm, high_mm)
    return grade_finding(f, RULES["aashto-mbei-1130"])


def test_an_interval_across_a_boundary_is_said_on_its_sides_of_it() -> None:
    g = _graded(0.298, 0.9)
    assert g.state == INDETERMINATE
    assert g.note.startswith("width_mm spans CS1 to CS2 (between 0.298 and 0.9 mm): bound: between 0.30"), g.note


def test_an_interval_just_past_a_boundary_is_said_past_it() -> None:
    g = _graded(1.2704, 2.0)
    assert g.state == "CS3"
    assert "between 1.2704 and 2 mm" in g.note, g.note
    g = _graded(0.3048, 0.9)  # on the edge: 0.012 in. = 0.3048 mm is CS2, and said so
    assert g.state == "CS2" and "between 0.3048 and 0.9 mm" in g.note, g.note
    g = _graded(0.3, 0.9)  # 0.3 mm is below 0.012 in.: CS1 (rule version 1 rounded the limit to 0.30 and said CS2)
    assert g.state == INDETERMINATE and "spans CS1 to CS2 (between 0.3 and 0.9 mm)" in g.note, g.note
