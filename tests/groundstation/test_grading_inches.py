"""AASHTO MBEI states its crack limits in US units (MBEI 2019, defects 1130 and 1110, as the IDOT 2020
element handout reproduces them): RC "width less than 0.012 in." CS1, "0.012-0.05 in." CS2, "greater
than 0.05 in." CS3; PSC 0.004 / 0.009 in.; spacing "greater than 3.0 ft." CS1, "1.0-3.0 ft." CS2,
"less than 1 ft." CS3. The rules held them rounded to metric (0.30, 0.10, 0.23 mm; 0.305, 0.914 m), so
a width or spacing between the rounded and the exact value got the neighbouring state: a PSC crack
0.229 mm wide (0.00902 in., wide) CS2 instead of CS3, a spacing of 0.9142 m (2.9993 ft, moderate) CS1.
Each case below is graded as the inch/foot limits themselves give it."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from groundstation.grading import grade_finding, load_rules
from skyinspect.findings import Finding, Measurement

RULES = load_rules()
MM_PER_IN = Decimal("25.4")  # exact, by definition; Decimal: 0.2286 / 25.4 in floats is 0.009000000000000001
M_PER_FT = Decimal("0.3048")


def _crack(width_mm: float) -> Finding:
    outline = np.array([[0.0, 2.0, -10.0], [0.3, 2.0, -10.0], [0.3, 2.0, -10.004]])
    return Finding("F-0001", 1, "crack", 47.0, 8.0, 500.0, np.zeros((3, 3)), outline.mean(0), 0.9, ((0, 0),),
                   (0, 0), {"width_mm": Measurement(width_mm, 0.0, "mm")}, outline_ned_m=outline,
                   surface_name="face")


def _by_inches(width_in: Decimal, low_in: str, high_in: str) -> str:
    """The state the manual's own words give: CS1 below the low limit, CS2 from it to the high one, CS3 above."""
    return "CS1" if width_in < Decimal(low_in) else "CS2" if width_in <= Decimal(high_in) else "CS3"


# widths (mm) on both sides of the rounded metric limits and of the exact ones
WIDTHS = {"aashto-mbei-1130": ("0.012", "0.05", [0.30, 0.302, 0.3047, 0.3048, 0.305, 1.2699, 1.27, 1.2701]),
          "aashto-mbei-1110": ("0.004", "0.009", [0.10, 0.101, 0.1015, 0.1016, 0.1017, 0.2285, 0.2286, 0.229, 0.23])}


@pytest.mark.parametrize("rule,width_mm", [(r, w) for r, (_, _, ws) in WIDTHS.items() for w in ws])
def test_width_graded_by_the_manuals_inches(rule: str, width_mm: float) -> None:
    low_in, high_in, _ = WIDTHS[rule]
    expected = _by_inches(Decimal(str(width_mm)) / MM_PER_IN, low_in, high_in)
    got = grade_finding(_crack(width_mm), RULES[rule])
    assert got.state == expected, (rule, width_mm, got.state, got.clause)


@pytest.mark.parametrize("rule", ["aashto-mbei-1130", "aashto-mbei-1110"])
@pytest.mark.parametrize("spacing_m", [0.3047, 0.3048, 0.30485, 0.305, 0.914, 0.9142, 0.9144, 0.9145])
def test_spacing_graded_by_the_manuals_feet(rule: str, spacing_m: float) -> None:
    ft = Decimal(str(spacing_m)) / M_PER_FT
    expected = "CS1" if ft > 3.0 else "CS2" if ft >= 1.0 else "CS3"
    got = grade_finding(_crack(0.01), RULES[rule], {"crack_spacing_m": Measurement(spacing_m, 0.0, "m")})
    assert got.state == expected, (rule, spacing_m, ft, got.state, got.clause)
