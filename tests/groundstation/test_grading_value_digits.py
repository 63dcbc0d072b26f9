"""A measured value is said with the digits its grade turns on, as 331920f did for width intervals.

The products print a width to two decimals (a length to one, an area to four, at least two significant
digits: groundstation.publish.context.format_measurement), and the near-boundary note gave 4 significant
digits. So a crack 1.2704 +/- 0.05 mm wide, CS3 of AASHTO 1130 ("greater than 0.05 in. (1.27 mm)"),
was printed "1.27 +/- 0.05 mm" with the note "width_mm 1.27 +/- 0.05 is within 1 sigma of the boundary
at 1.27", which reads as CS2; one 0.3048 mm wide (0.012 in., CS2) was printed "0.30" beside a clause
starting at 0.3048 mm, a blade crack 199.96 mm long (CAT3, below 200) "200.0 mm", with no note at all.
Now the note gives the value with the digits that keep it on its side of every band edge."""

from __future__ import annotations

import pytest
from test_grading import RULES, finding  # type: ignore[import-not-found]

from groundstation.grading import grade_finding
from skyinspect.findings import Measurement


def _graded(rule: str, quantity: str, value: float, sigma: float | None, unit: str = "mm"):  # type: ignore[no-untyped-def]
    f = finding()
    f.measurements[quantity] = Measurement(value, sigma, unit)
    return grade_finding(f, RULES[rule])


def test_the_near_boundary_note_gives_the_digits_the_grade_turns_on() -> None:
    g = _graded("aashto-mbei-1130", "width_mm", 1.2704, 0.05)
    assert g.state == "CS3"
    assert "width_mm 1.2704 +/- 0.05 is within 1 sigma of the boundary at 1.27" in g.note, g.note


@pytest.mark.parametrize("rule,quantity,value,state,said", [
    ("aashto-mbei-1130", "width_mm", 1.2704, "CS3", "width_mm is 1.2704 mm, above the boundary at 1.27: CS3"),
    ("aashto-mbei-1130", "width_mm", 0.3048, "CS2", "width_mm is 0.3048 mm, on the boundary at 0.3048: CS2"),
    ("aashto-mbei-1130", "width_mm", 0.3049, "CS2", "width_mm is 0.305 mm, above the boundary at 0.3048: CS2"),
    ("aashto-mbei-1110", "width_mm", 0.2286, "CS2", "width_mm is 0.2286 mm, on the boundary at 0.2286: CS2"),
    ("epri-blade", "length_mm", 199.96, "CAT3", "length_mm is 199.96 mm, below the boundary at 200: CAT3"),
])
def test_a_value_printed_across_a_boundary_is_said_exactly(rule: str, quantity: str, value: float, state: str,
                                                           said: str) -> None:
    for sigma in (None, 0.0):  # no near-boundary note to carry it
        g = _graded(rule, quantity, value, sigma)
        assert g.state == state and said in g.note, (sigma, g.note)


@pytest.mark.parametrize("rule,quantity,value", [("aashto-mbei-1130", "width_mm", 0.8), ("aashto-mbei-1130", "width_mm", 1.27),
                                                 ("aashto-mbei-1130", "width_mm", 0.33), ("epri-blade", "length_mm", 195.0),
                                                 ("aashto-mbei-1110", "width_mm", 0.25)])
def test_a_value_printed_on_its_side_says_nothing_more(rule: str, quantity: str, value: float) -> None:
    g = _graded(rule, quantity, value, 0.0)
    assert f"{quantity} is " not in g.note, g.note
