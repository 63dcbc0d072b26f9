"""A work order is as urgent as the most urgent of its finding's grades, not the first rule's alone.

rc_bridge grades corrosion by AASHTO 1000 first (any visible rust: CS2+, priority 3, 180 days, "clean
and spot-coat") and ISO 4628-3 beside it. A pier 10 % rusted is Ri5 (priority 2, 90 days, "Full
recoat."), yet its work order said priority 3 in 180 days, spot-coat. Under the pipeline profile
(ISO 4628-3 first, AASHTO 3440 beside it) a 0.3 % rusted pipe is Ri2 (priority 4) and 3440 CS2
(priority 3, spot-repair): no work order at all at the default max_priority 3."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from groundstation.grading import grade_all
from groundstation.workorders import build_work_orders
from skyinspect.findings import Finding, Measurement


def _rust(fid: str, area_m2: float) -> Finding:
    outline = np.array([[0.0, 2.0, -10.0], [0.3, 2.0, -10.0], [0.3, 2.0, -10.3]])
    return Finding(fid, 2, "corrosion", 47.1, 8.2, 500.0, np.zeros((3, 3)), outline.mean(0), 0.9, ((0, 0),),
                   (0, 0), {"area_m2": Measurement(area_m2, 0.001, "m2")}, outline_ned_m=outline, surface_name="face")


def test_the_order_takes_the_most_urgent_grade() -> None:
    rust = [_rust("F-0001", 0.1)]
    grades = grade_all(rust, profile="rc_bridge", covered_area_m2=1.0)  # 10 % rusted
    assert [(g.state, g.priority, g.interval_days) for g in grades["F-0001"]] == [("CS2", 3, 180), ("Ri5", 2, 90)]
    (order,) = build_work_orders(rust, grades, "2025-06-01", "BR-1")
    assert (order.priority, order.due_date) == (2, "2025-08-30")
    assert order.grade == "CS2+" and order.rule.startswith("aashto-mbei-1000")  # the primary grade, as graded
    assert "Full recoat." in order.action and "Ri5" in order.action
    # the GIS layers give the same priority and due date (groundstation.publish.gis)
    from groundstation.publish.gis import grade_properties

    inp = SimpleNamespace(grades=grades, assignments={}, location=lambda finding_id: {},  # no registry
                          flight=SimpleNamespace(frames=[SimpleNamespace(capture_time_utc_s=1748736000.0)]))
    props = grade_properties(inp, rust[0])  # type: ignore[arg-type]
    assert (props["priority"], props["due_date"]) == (2, "2025-08-30")


def test_a_finding_gets_an_order_when_another_grade_calls_for_one() -> None:
    rust = [_rust("F-0001", 0.003)]
    grades = grade_all(rust, profile="pipeline", covered_area_m2=1.0)  # 0.3 % rusted
    assert [(g.state, g.priority) for g in grades["F-0001"]] == [("Ri2", 4), ("CS2", 3)]
    (order,) = build_work_orders(rust, grades, "2025-06-01", "GAS-1")
    assert (order.priority, order.due_date, order.grade) == (3, "2026-06-01", "Ri2")
    assert "Spot-repair the coating" in order.action
