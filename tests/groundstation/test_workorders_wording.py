"""A work order's description is read by a maintenance planner, not a program: each quantity is named in
words with its unit once. The demo's (seed 0) F-0001 read 'area 5.3 +/- 3.4 cm2; length_mm 414.2 +/- 35.4 mm;
width_mm 0.33-2.23 mm (bound); max_width_mm 0.49-5.39 mm (bound)' after a grade note 'width_mm spans CS2 to
CS3 (...)': field names with their unit inside, beside a unit printed after them. The CSV/JSON numeric
fields and the clause column (what a CMMS or a script reads) are unchanged."""

from __future__ import annotations

import re

from test_grading import RULES  # type: ignore[import-not-found]
from test_grading_max_width import _crack  # type: ignore[import-not-found]
from test_workorders_other_grades import _rust  # type: ignore[import-not-found]

from groundstation.grading import grade_all
from groundstation.workorders import build_work_orders
from skyinspect.findings import Measurement

FIELD_NAME = re.compile(r"\b[a-z]+(?:_[a-z]+)*_(?:mm|m|m2|pct)\b")


def _demo_f0001():  # the demo's F-0001, its numbers as findings.geojson gives them
    f = _crack("F-0001", 0.0, Measurement(None, None, "mm", "bound: between 0.33 and 2.23 mm over 158 profiles",
                                          0.3280415698954148, 2.227863489345341),
               Measurement(None, None, "mm", "bound: the widest stretch of crack between 0.49 and 5.39 mm",
                           0.4905050959432263, 5.393813263812535))
    f.measurements["length_mm"] = Measurement(414.1729797484503, 35.431672384303866, "mm", "skeleton")
    f.measurements["area_m2"] = Measurement(0.0005279776967778078, 0.00034485246824633253, "m2", "best view")
    return f


def test_a_demo_crack_reads_in_words_with_each_unit_once() -> None:
    f = _demo_f0001()
    grades = grade_all([f])
    (order,) = build_work_orders([f], grades, "2025-06-01", "B-1")
    d = order.description
    assert not FIELD_NAME.findall(d), d
    assert "length 414.2 +/- 35.4 mm" in d and "area 5.3 +/- 3.4 cm²" in d, d
    assert "width 0.33-2.23 mm" in d and "widest 0.49-5.39 mm" in d, d
    assert "cm2" not in d and "mm mm" not in d, d
    assert "width spans CS2 to CS3 (between 0.328 and 2.23 mm)" in d, d  # the grade's note, worded
    # what a program reads is kept: the clause column as the grader wrote it
    assert order.clause == grades["F-0001"][0].note and order.clause.startswith("width_mm spans"), order.clause


def test_a_rust_share_and_square_metres_read_in_words() -> None:
    rust = [_rust("F-0001", 0.09)]
    grades = grade_all(rust, RULES, "pipeline", covered_area_m2=1.0)
    (order,) = build_work_orders(rust, grades, "2025-06-01", "GAS-1")
    d = order.description
    assert not FIELD_NAME.findall(d), d
    assert "rusted area 9 % (0.09 m² rusted of 1 m² inspected)" in d, d
    assert re.search(r"area 0\.0900 \+/- 0\.\d+ m²", d), d


def test_the_action_for_another_grade_reads_in_words() -> None:
    # `skyinspect workorders` and the report's actions show it: 'Also Ri5 by iso-4628-3@1, rusted_area_pct 10 %
    # (0.1 m2 rusted of 1 m2 inspected): Full recoat.'
    rust = [_rust("F-0001", 0.1)]
    grades = grade_all(rust, profile="rc_bridge", covered_area_m2=1.0)  # 10 % rusted: Ri5 beside CS2+
    (order,) = build_work_orders(rust, grades, "2025-06-01", "BR-1")
    assert not FIELD_NAME.findall(order.action), order.action
    assert "Also Ri5 by iso-4628-3@1, rusted area 10 % (0.1 m² rusted of 1 m² inspected): Full recoat." \
        in order.action, order.action
    assert "rusted_area_pct 10 %" in grades["F-0001"][1].note  # the grade's own note (GIS, clause) keeps its name
