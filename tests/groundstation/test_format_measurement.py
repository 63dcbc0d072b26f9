"""A measured value is never printed as zero: the report, map.html and findings.kml print the area to
4 decimals in m2, so a 50 mm hairline 0.5 mm wide (0.000025 m2) read "0.0000 +/- 0.0000 m2"."""

from __future__ import annotations

from groundstation.publish.context import format_measurement
from skyinspect.findings import Measurement


def test_a_small_area_keeps_two_significant_digits() -> None:
    assert format_measurement(Measurement(0.000025, 0.000012, "m2"), 4) == "0.000025 +/- 0.000012 m2"
    assert format_measurement(Measurement(0.00012, 0.00012, "m2"), 4) == "0.00012 +/- 0.00012 m2"


def test_ordinary_values_print_as_before() -> None:
    assert format_measurement(Measurement(0.0262, 0.0019, "m2"), 4) == "0.0262 +/- 0.0019 m2"
    assert format_measurement(Measurement(414.254, 35.43, "mm")) == "414.3 +/- 35.4 mm"
    assert format_measurement(Measurement(0.44, 0.05, "mm"), 2) == "0.44 +/- 0.05 mm"
    assert format_measurement(Measurement(0.0, 0.0, "m2"), 4) == "0.0000 +/- 0.0000 m2"
    assert format_measurement(Measurement(None, None, "mm", "not measurable")) == "not measurable"
