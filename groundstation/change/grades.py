"""Whether a defect's grade got worse: its state's rank within the same grading rule, both times."""

from __future__ import annotations

from typing import Any

from groundstation.grading import Grade
from groundstation.grading.rules import RULES_DIR


def _rank(grade: Grade | None, rules: dict[str, Any]) -> tuple[str, int] | None:
    """(rule ref, rank of the state within that rule) or None when ungraded/indeterminate. ``rules``:
    the shipped rules by ref, read on first need (``_shipped_rules``) and kept for the comparison."""
    if grade is None or grade.is_indeterminate or not grade.rule:
        return None
    if not rules:
        rules.update(_shipped_rules())
    rule = rules.get(grade.rule)
    return (grade.rule, rule.rank(grade.state)) if rule else None


def _shipped_rules() -> dict[str, Any]:
    """The shipped rules by ref. Read once per comparison: read per graded finding, 2,585 findings a
    side parsed their YAML 31,000 times (392 of a 437-s `skyinspect change`)."""
    from groundstation.grading.rules import load_rules

    return {r.ref: r for r in load_rules(RULES_DIR).values()}
