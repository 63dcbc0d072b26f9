"""The planner's default crack width is the AASHTO MBEI 1130 boundary the grader applies.

The rule holds it converted exactly from the manual's 0.012 in. (0.3048 mm, aashto-mbei-1130@2); the planner,
its CLI option and docs/missions.md said '0.30 mm boundary' (version 1's rounding), so a plan at the default
resolved a width the grader no longer has a boundary at."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from groundstation.grading.rules import RULES_DIR, load_rule
from missions.planning.design import Requirement
from skyinspect.cli.plan import plan_command

ROOT = Path(__file__).resolve().parents[3]


def _boundary_mm() -> float:
    rule = load_rule(RULES_DIR / "aashto_mbei_1130.yaml")
    (width,) = [q for q in rule.criteria[0].quantities if q.quantity == "width_mm"]
    return next(b.below for b in width.bands if b.state == "CS1")  # CS1 Good: less than 0.012 in.


def test_the_default_width_is_the_graders_boundary() -> None:
    assert _boundary_mm() == pytest.approx(0.012 * 25.4, abs=1e-12)
    assert Requirement().crack_width_mm == _boundary_mm()
    option = inspect.signature(plan_command).parameters["crack_width_mm"].default
    assert option.default == _boundary_mm()


def test_the_docs_give_the_boundary_in_inches_and_millimetres() -> None:
    text = (ROOT / "docs" / "missions.md").read_text(encoding="utf-8")
    assert "0.30 mm boundary" not in text
    assert "0.012 in. (0.3048 mm)" in text
