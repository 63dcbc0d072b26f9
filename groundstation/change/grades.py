"""Whether a defect's grade got worse: its state's rank within the same grading rule, both times.

A grade of last time by another version (or the earlier name, grading.rules.RULE_RENAMES) of this time's rule
is not compared state to state (the bands moved: 0.30 -> 0.3048 mm); last time's finding is graded again by
this time's rule from its stored measurements, when that rule is the shipped file this time's grades were made
with, and the note says so. Else the note says it is not compared and why: never a silent 'not escalated'."""

from __future__ import annotations

from typing import TYPE_CHECKING

from groundstation.grading import Grade
from groundstation.grading.grader import grade_finding
from groundstation.grading.rules import RULES_DIR, Rule, rule_id_of
from skyinspect.findings import Measurement

if TYPE_CHECKING:
    from skyinspect.findings import Finding


class RuleRanks:
    """Each rule's states in order of severity, by rule ref: those the inspections' grades.json record
    (the rules they were graded by, an owner's `--rules` too), else the shipped rules, read on first
    need. Ranking by the shipped rules alone, a grade by an owner's rule never escalated."""

    def __init__(self, *stored: dict[str, tuple[str, ...]], current_files: dict[str, str] | None = None) -> None:
        self._states: dict[str, tuple[str, ...]] = {}
        for s in stored:
            self._states.update(s)
        self._shipped: dict[str, Rule] | None = None
        self._files = current_files or {}  # rule ref -> sha256 of the file this time's grades were made with
        # (last time's ref, this time's ref) -> [grades graded again, grades not compared, why not]
        self.seen: dict[tuple[str, str], list] = {}

    def _rules(self) -> dict[str, Rule]:
        if self._shipped is None:
            self._shipped = _shipped_rules()
        return self._shipped

    def states(self, ref: str) -> tuple[str, ...] | None:
        if ref in self._states:
            return self._states[ref]
        rule = self._rules().get(ref) or next((r for r in self._rules().values() if r.rule_id == rule_id_of(ref)),
                                               None)
        # a version (or old name) no longer shipped, by a folder graded before grades.json recorded states: its
        # states and their order are the standard's (CS1 < CS2 < CS3), the same in every version of the rule
        return tuple(s.state for s in rule.states) if rule else None

    def rule(self, ref: str) -> tuple[Rule | None, str]:
        """(the shipped rule ``ref`` names, if it is the very file this time's grades were made with; why not)."""
        rule = self._rules().get(ref)
        if rule is None:
            return None, f"{ref} is not a shipped rule (an owner's --rules)"
        if self._files.get(ref, rule.sha256) != rule.sha256:
            return None, f"{ref} was read from another file than the shipped one (an owner's --rules)"
        if rule.zone_escalation:
            return None, f"{ref} escalates by component zone, which last time's grades do not record"
        return rule, ""

    def notes(self) -> tuple[str, ...]:
        """One line per rule version pair met: what was done with last time's grades by it."""
        out = []
        for (old, new), (again, skipped, why) in self.seen.items():
            if again:
                out.append(f"{old} -> {new} ({again} grade{'s' if again > 1 else ''} of last time graded again by "
                           f"{new} from its stored measurements)")
            if skipped:
                out.append(f"{old} -> {new} ({skipped} grade{'s' if skipped > 1 else ''} not compared: {why}; "
                           "process the older flight again with this version to compare)")
        return tuple(out)


def _rank(grade: Grade | None, ranks: RuleRanks) -> tuple[str, int] | None:
    """(rule ref, rank of the state within that rule) or None when ungraded/indeterminate or unranked."""
    if grade is None or grade.is_indeterminate or not grade.rule:
        return None
    states = ranks.states(grade.rule)
    return (grade.rule, states.index(grade.state)) if states and grade.state in states else None


def escalation(previous: tuple[Grade, ...] | list[Grade], current: tuple[Grade, ...] | list[Grade],
               ranks: RuleRanks, finding: Finding) -> tuple[bool, str]:
    """(whether any grade is worse than last time under the same rule, what a grade other than the primary
    says of it: 'escalated Ri3 -> Ri5 (iso-4628-3@1)'; the primary's change is the report's grade columns).
    By the primary alone rust never escalated under rc_bridge: AASHTO 1000 grades any visible rust CS2+.
    ``finding``: last time's, graded again where last time's grade is by another version of the rule."""
    before = {g.rule: g for g in previous}
    by_id = {rule_id_of(g.rule): g for g in previous}
    worse, said = False, []
    for k, g in enumerate(current):
        old, again = before.get(g.rule), ""
        if old is None and (other := by_id.get(rule_id_of(g.rule))) is not None:
            seen = ranks.seen.setdefault((other.rule, g.rule), [0, 0, ""])
            rule, why = ranks.rule(g.rule)
            if rule is None:
                seen[1:] = [seen[1] + 1, why]
                said.append(f"{other.state} by {other.rule} last time, {g.rule} this time: not compared ({why}); "
                            "process the older flight again to compare")
                continue
            seen[0] += 1
            old = grade_finding(finding, rule, _stored_extras(finding, rule, other))
            again = (f"{other.state} by {other.rule} last time, {old.state} by {g.rule} from its stored "
                     "measurements")
        rp, rc = _rank(old, ranks), _rank(g, ranks)
        if rp is not None and rc is not None and rc[1] > rp[1]:
            worse = True
            if k or again:
                said.append(f"escalated {old.state} -> {g.state} ({g.rule}" + (f", {again})" if again else ")"))  # type: ignore[union-attr]
        elif again:
            said.append(again)
    return worse, "; ".join(said)


def _stored_extras(finding: Finding, rule: Rule, old: Grade) -> dict[str, Measurement]:
    """The quantities taken over several findings (crack spacing, rusted share) as last time's grade used them:
    the finding does not carry them. A value only (a lower bound stored as None stays unknown)."""
    criterion = rule.criterion_for(finding.class_name)
    wanted = [q.quantity for q in criterion.quantities] if criterion else []
    return {q: Measurement(float(v), None, "%" if q.endswith("_pct") else "m" if q.endswith("_m") else "",
                           "as graded last time")
            for q in wanted if q not in finding.measurements and (v := old.values.get(q)) is not None}


def _shipped_rules() -> dict[str, Rule]:
    """The shipped rules by ref. Read once per comparison: read per graded finding, 2,585 findings a
    side parsed their YAML 31,000 times (392 of a 437-s `skyinspect change`)."""
    from groundstation.grading.rules import load_rules

    return {r.ref: r for r in load_rules(RULES_DIR).values()}
