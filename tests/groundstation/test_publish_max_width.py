"""The widest stretch of a crack (``max_width_mm``, measured beside the mean ``width_mm``: crackwidth,
width_views) is published: findings.geojson / findings.gpkg columns (a value with its ±, or the bound's
``max_width_mm_low``/``_high`` as for ``width_mm``), the report's width cell and the work orders. It was
measured and then dropped: an inspector with a comparator card, who reads the widest point, found no
number to compare."""

from __future__ import annotations

from test_grading_max_width import _crack  # type: ignore[import-not-found]

from groundstation.grading import grade_all
from groundstation.publish.gis import NUMBER_COLUMNS, finding_properties
from groundstation.publish.context import width_text
from groundstation.workorders import build_work_orders
from skyinspect.findings import Measurement

VALUE = _crack("F-0001", 0.0, Measurement(0.41, 0.03, "mm", "sub-pixel"), Measurement(0.93, 0.06, "mm", "sub-pixel"))
BOUND = _crack("F-0002", 0.0, Measurement(None, None, "mm", "bound: between 0.20 and 0.45 mm", 0.20, 0.45),
               Measurement(None, None, "mm", "bound: the widest ~4 px between 0.52 and 1.31 mm", 0.52, 1.31))


def test_geojson_and_gpkg_columns_hold_the_widest_stretch() -> None:
    p = finding_properties(VALUE)
    assert (p["max_width_mm"], p["max_width_mm_sigma"]) == (0.93, 0.06), p
    assert p["max_width_mm_low"] is None and p["max_width_mm_high"] is None
    assert p["width_mm"] == 0.41  # the mean stays what the rules grade
    b = finding_properties(BOUND)
    assert b["max_width_mm"] is None and (b["max_width_mm_low"], b["max_width_mm_high"]) == (0.52, 1.31), b
    assert "widest" in b["max_width_mm_note"]
    for c in ("max_width_mm", "max_width_mm_sigma", "max_width_mm_low", "max_width_mm_high"):
        assert c in NUMBER_COLUMNS, c  # an all-bound flight's column stays REAL in the GeoPackage


def test_report_width_cell_gives_the_mean_and_the_widest() -> None:
    assert width_text(VALUE.measurements) == "mean 0.41 +/- 0.03 mm; widest 0.93 +/- 0.06 mm"
    text = width_text(BOUND.measurements)
    assert text.startswith("bound: between 0.20 and 0.45 mm") and text.endswith("; widest 0.52-1.31 mm (bound)"), text
    only_mean = {"width_mm": Measurement(0.5, 0.1, "mm", "mask area/length")}  # no image: no maximum measured
    assert width_text(only_mean) == "0.50 +/- 0.10 mm"


def test_work_orders_describe_the_widest_stretch_and_bounds() -> None:
    cracks = [VALUE, BOUND]
    orders = {o.finding_id: o for o in build_work_orders(cracks, grade_all(cracks), "2025-06-01", "B-1")}
    assert "mean width 0.41 +/- 0.03 mm; widest 0.93 +/- 0.06 mm" in orders["F-0001"].description
    d = orders["F-0002"].description
    assert "width 0.20-0.45 mm;" in d and "widest 0.52-1.31 mm" in d, d
