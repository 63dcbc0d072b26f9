"""Whether a defect's grade got worse: its state's rank within the same grading rule, both times."""

from __future__ import annotations

from groundstation.grading import Grade
from groundstation.grading.rules import RULES_DIR


class RuleRanks:
    """Each rule's states in order of severity, by rule ref: those the inspections' grades.json record
    (the rules they were graded by, an owner's `--rules` too), else the shipped rules, read on first
    need. Ranking by the shipped rules alone, a grade by an owner's rule never escalated."""

    def __init__(self, *stored: dict[str, tuple[str, ...]]) -> None:
        self._states: dict[str, tuple[str, ...]] = {}
        for s in stored:
            self._states.update(s)
        self._shipped: dict[str, tuple[str, ...]] | None = None

    def states(self, ref: str) -> tuple[str, ...] | None:
        if ref in self._states:
            return self._states[ref]
        if self._shipped is None:
            self._shipped = _shipped_states()
        return self._shipped.get(ref)


def _rank(grade: Grade | None, ranks: RuleRanks) -> tuple[str, int] | None:
    """(rule ref, rank of the state within that rule) or None when ungraded/indeterminate or unranked."""
    if grade is None or grade.is_indeterminate or not grade.rule:
        return None
    states = ranks.states(grade.rule)
    return (grade.rule, states.index(grade.state)) if states and grade.state in states else None


def escalation(previous: tuple[Grade, ...] | list[Grade], current: tuple[Grade, ...] | list[Grade],
               ranks: RuleRanks) -> tuple[bool, str]:
    """(whether any grade is worse than last time under the same rule, what a grade other than the primary
    says of it: 'escalated Ri3 -> Ri5 (iso-4628-3@1)'; the primary's change is the report's grade columns).
    By the primary alone rust never escalated under rc_bridge: AASHTO 1000 grades any visible rust CS2+."""
    before = {g.rule: g for g in previous}
    worse, said = False, []
    for k, g in enumerate(current):
        old = before.get(g.rule)
        rp, rc = _rank(old, ranks), _rank(g, ranks)
        if rp is not None and rc is not None and rc[1] > rp[1]:
            worse = True
            if k:
                said.append(f"escalated {old.state} -> {g.state} ({g.rule})")  # type: ignore[union-attr]
    return worse, "; ".join(said)


def _shipped_states() -> dict[str, tuple[str, ...]]:
    """The shipped rules' states by ref. Read once per comparison: read per graded finding, 2,585 findings a
    side parsed their YAML 31,000 times (392 of a 437-s `skyinspect change`)."""
    from groundstation.grading.rules import load_rules

    return {r.ref: tuple(s.state for s in r.states) for r in load_rules(RULES_DIR).values()}
