"""An interval across state bands in a zone a rule escalates checks as urgently as the escalated state.

A quantity known only as an interval that spans bands is indeterminate, and its check is scheduled by
the worst state it allows (``Grade.could_be``, c7ba953). The zone escalation (epri-blade: one category
worse in the root zone) was applied to graded findings only, so a root-zone crack between 150 and
250 mm long, CAT3-CAT4 there and so CAT4-CAT5 by the rule, was checked as CAT4 (priority 2, 30 days)
although it may be CAT5 ("stop the turbine", priority 1, at once). The grade of a value in the root
zone (CAT5 at 250 mm) shows what the rule asks."""

from __future__ import annotations

from test_grading import RULES, finding  # type: ignore[import-not-found]

from groundstation.grading import INDETERMINATE, grade_finding
from skyinspect.findings import Measurement

BLADE = RULES["epri-blade"]


def _crack(low_mm: float, high_mm: float):  # type: ignore[no-untyped-def]
    f = finding()
    f.measurements["length_mm"] = Measurement(None, None, "mm", f"bound: between {low_mm} and {high_mm} mm",
                                              low_mm, high_mm)
    return f


def test_root_zone_interval_could_be_the_escalated_state() -> None:
    assert grade_finding(finding(length_mm=250.0), BLADE, zone="root").state == "CAT5"
    g = grade_finding(_crack(150.0, 250.0), BLADE, zone="root")
    assert g.state == INDETERMINATE
    assert (g.could_be, g.could_be_priority, g.could_be_days) == ("CAT5", 1, 0), g
    assert "root zone" in g.note, g.note


def test_other_zones_and_graded_intervals_are_as_before() -> None:
    g = grade_finding(_crack(150.0, 250.0), BLADE, zone="tip")
    assert (g.state, g.could_be, g.could_be_priority, g.could_be_days) == (INDETERMINATE, "CAT4", 2, 30)
    assert grade_finding(_crack(60.0, 150.0), BLADE, zone="root").state == "CAT4"  # CAT3 throughout, +1
