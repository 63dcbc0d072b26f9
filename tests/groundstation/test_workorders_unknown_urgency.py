"""A check of a quantity not measured at all is as urgent as the worst state it may be, as a check of an
interval across states is (test_workorders_bound_span.py): knowing less had made the check less urgent.

Under AASHTO MBEI 1110 (PSC) a crack bounded 0.15-0.40 mm wide may be CS3 (repair within 60 days) and its
check was priority 2, due in 60 days; a crack whose width was not measured at all (GSD coarser than 2 mm,
e.g. a flight 10 m off the face) may be CS3 just as well, yet its check was priority 3, due in 90 days: a
month after the repair it may call for. A rusted share known only as a lower bound ('at least 3 %': a
patch too coarse to measure) may be Ri5 (ISO 4628-3, priority 2), and its check was priority 3."""

from __future__ import annotations

import numpy as np

from groundstation.grading import grade_all, grades_from_json, grades_to_json, rusted_area_pct
from groundstation.workorders import WorkOrderPolicy, build_work_orders
from skyinspect.findings import Finding, Measurement


def _finding(fid: str, cls: str, north: float, measurements: dict[str, Measurement]) -> Finding:
    outline = np.array([[north, 2.0, -10.0], [north + 0.3, 2.0, -10.0], [north + 0.3, 2.0, -10.004]])
    return Finding(fid, 1, cls, 47.1, 8.2, 500.0, np.zeros((3, 3)), outline.mean(0), 0.9, ((0, 0),), (0, 0),
                   measurements, outline_ned_m=outline, surface_name="face")


def test_a_crack_of_unmeasured_width_is_checked_as_urgently_as_the_worst_state() -> None:
    unmeasured = Measurement(None, None, "mm", "not measurable: GSD 3.3 mm coarser than 2 mm")
    bounded = Measurement(None, None, "mm", "bound: between 0.15 and 0.40 mm", 0.15, 0.40)
    cracks = [_finding("F-0001", "crack", 0.0, {"width_mm": unmeasured}),
              _finding("F-0002", "crack", 5.0, {"width_mm": bounded})]
    grades = grade_all(cracks, profile="psc_bridge")
    assert [grades[f][0].state for f in ("F-0001", "F-0002")] == ["indeterminate", "indeterminate"]
    assert grades["F-0001"][0].could_be == "CS3" and grades_from_json(grades_to_json(grades)) == grades
    by = {o.finding_id: o for o in build_work_orders(cracks, grades, "2025-06-01", "PSC-1")}
    assert (by["F-0001"].priority, by["F-0001"].due_date) == (2, "2025-07-31")  # CS3: 60 days (was 3, 08-30)
    assert (by["F-0002"].priority, by["F-0002"].due_date) == (2, "2025-07-31")
    assert "It may be CS3 (aashto-mbei-1110@2)" in by["F-0001"].action
    assert WorkOrderPolicy().priority_and_days(grades["F-0001"][0]) == (2, 60)  # the report's and GIS layers'


def test_a_rusted_share_known_as_a_lower_bound_is_checked_as_urgently_as_the_worst_state() -> None:
    coarse = Measurement(None, None, "m2", "not measurable: GSD 25 mm coarser than 20 mm")
    rust = [_finding("F-0001", "corrosion", 0.0, {"area_m2": coarse}),
            _finding("F-0002", "corrosion", 5.0, {"area_m2": Measurement(0.3, 0.01, "m2")})]
    share = rusted_area_pct(rust, 10.0)
    assert share.value is None and share.low is not None and abs(share.low - 3.0) < 1e-9  # at least 3 %
    grades = grade_all(rust, profile="pipeline", covered_area_m2=10.0)
    g = grades["F-0001"][0]
    assert (g.rule, g.state, g.could_be) == ("iso-4628-3@1", "indeterminate", "Ri5")
    by = {o.finding_id: o for o in build_work_orders(rust, grades, "2025-06-01", "PIPE-1")}
    assert (by["F-0001"].priority, by["F-0001"].due_date) == (2, "2025-08-30")  # Ri5: priority 2 (was 3)


def test_a_grade_beside_the_primary_that_may_be_worse_makes_the_order_as_urgent() -> None:
    """rc_bridge grades rust by AASHTO 1000 first (CS2+: priority 3, 180 days) and ISO 4628-3 beside it. With
    the rusted share only 'at least 3 %', ISO 4628-3 is indeterminate and may be Ri5 (priority 2, 90 days):
    the order had left it out (priority 3, due in 180 days, nothing said)."""
    coarse = Measurement(None, None, "m2", "not measurable: GSD 25 mm coarser than 20 mm")
    rust = [_finding("F-0001", "corrosion", 0.0, {"area_m2": coarse}),
            _finding("F-0002", "corrosion", 5.0, {"area_m2": Measurement(0.3, 0.01, "m2")})]
    grades = grade_all(rust, profile="rc_bridge", covered_area_m2=10.0)
    assert [(g.rule, g.state) for g in grades["F-0001"]] == [("aashto-mbei-1000@1", "CS2"),
                                                             ("iso-4628-3@1", "indeterminate")]
    by = {o.finding_id: o for o in build_work_orders(rust, grades, "2025-06-01", "BR-1")}
    assert (by["F-0001"].priority, by["F-0001"].due_date) == (2, "2025-08-30")  # was (3, "2025-11-28")
    assert "may be Ri5 by iso-4628-3@1" in by["F-0001"].action
