"""A work order's description gives each measurement as the report does: it printed them with '.3g',
so a crack 1,234.5 mm long read 'length_mm 1.23e+03 mm' in the CSV a CMMS imports, and the demo's
F-0006 read 'length_mm 150 mm' where the report says '150.4 +/- 12.9 mm'."""

from __future__ import annotations

import numpy as np

from groundstation.grading import grade_all
from groundstation.workorders import build_work_orders
from skyinspect.findings import Finding, Measurement


def test_a_long_crack_reads_in_millimetres_as_in_the_report() -> None:
    outline = np.array([[0.0, 2.0, -10.0], [1.2, 2.0, -10.0], [1.2, 2.0, -10.004]])
    meas = {"length_mm": Measurement(1234.5, 35.4, "mm"), "width_mm": Measurement(2.0, 0.13, "mm"),
            "area_m2": Measurement(0.0049, 0.0012, "m2")}
    f = Finding("F-0001", 1, "crack", 47.1, 8.2, 500.0, np.zeros((3, 3)), outline.mean(0), 0.9, ((0, 0),), (0, 0),
                meas, outline_ned_m=outline, surface_name="face")
    (order,) = build_work_orders([f], grade_all([f], profile="rc_bridge"), "2025-06-01")
    assert "e+" not in order.description
    assert "length 1234.5 +/- 35.4 mm" in order.description
    assert "width 2.00 +/- 0.13 mm" in order.description and "area 49 +/- 12 cm²" in order.description
