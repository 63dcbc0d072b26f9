"""A measured value is never printed as zero, and an area under 0.01 m2 (a crack's, a rust spot's) prints in
cm2: the report, map.html, findings.kml and the work orders printed the area to 4 decimals in m2, so a 50 mm
hairline 0.5 mm wide (0.000025 m2) read "0.0000 +/- 0.0000 m2", then (e05631c) "0.000025 +/- 0.000012 m2",
and the demo's F-0001 "0.00029 +/- 0.00018 m2": four zeros a planner counts."""

from __future__ import annotations

from groundstation.publish.context import format_measurement
from skyinspect.findings import Measurement


def test_a_small_area_prints_in_cm2_with_two_significant_digits() -> None:
    assert format_measurement(Measurement(0.000025, 0.000012, "m2"), 4) == "0.25 +/- 0.12 cm2"
    assert format_measurement(Measurement(0.00012, 0.00012, "m2"), 4) == "1.2 +/- 1.2 cm2"
    assert format_measurement(Measurement(0.0002894, 0.0001821, "m2"), 4) == "2.9 +/- 1.8 cm2"
    # as many digits as 4 decimals of m2 gave (1 cm2), never fewer than two significant ones
    assert format_measurement(Measurement(0.002858, 0.000229, "m2"), 4) == "29 +/- 2 cm2"
    assert format_measurement(Measurement(0.0099, None, "m2"), 4) == "99 cm2"


def test_ordinary_values_print_as_before() -> None:
    assert format_measurement(Measurement(0.0262, 0.0019, "m2"), 4) == "0.0262 +/- 0.0019 m2"
    assert format_measurement(Measurement(0.01, 0.001, "m2"), 4) == "0.0100 +/- 0.0010 m2"
    assert format_measurement(Measurement(414.254, 35.43, "mm")) == "414.3 +/- 35.4 mm"
    assert format_measurement(Measurement(0.44, 0.05, "mm"), 2) == "0.44 +/- 0.05 mm"
    assert format_measurement(Measurement(0.0, 0.0, "m2"), 4) == "0.0000 +/- 0.0000 m2"
    assert format_measurement(Measurement(None, None, "mm", "not measurable")) == "not measurable"
    # the grader reads back a bare number (no unit) printed as the products print it
    assert format_measurement(Measurement(0.00029, None, ""), 4) == "0.00029 "
