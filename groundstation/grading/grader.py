"""Grade findings by the rules: each grade records the rule (id@version), the state, the clause text
it matched, the source it cites and the values it used.

A finding whose required quantity was not measured (``Measurement.value is None``) is graded
``indeterminate`` with the measurement's own reason; it is never guessed, unless the rule's other
quantities already give the worst state it could (the worse of the states is taken). A quantity known only as an
interval (``Measurement.low``/``high``: a hairline crack's width when its interior does not show) grades
when the whole interval lies in one state band, since every value it allows gives that state; an
interval across a boundary is ``indeterminate`` and the note names the states it spans. An indeterminate
grade keeps the worst state it may be (``Grade.could_be``: the interval's worst, or the rule's worst for a
quantity not measured), which its check is as urgent as. A value
within one sigma of a state boundary keeps the state its value falls in and says so in ``note``, as does
a value the products print on or across a boundary it does not lie on (1.2704 mm, CS3, printed '1.27').
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from groundstation.grading.rules import QuantityRule, Rule
from skyinspect.findings import Finding, Measurement

INDETERMINATE = "indeterminate"


@dataclass(frozen=True)
class Grade:
    finding_id: str
    rule: str  # "rule_id@version"
    state: str  # e.g. "CS2", "Ri3", "CAT4", or "indeterminate"
    label: str
    clause: str  # the clause text of the state band that decided the state (joined when several)
    citation: str  # document and section
    priority: int | None  # 1 = most urgent; None when indeterminate
    interval_days: int | None  # repair / re-inspection interval from the rule; None when indeterminate
    action: str
    values: dict[str, float | None] = field(default_factory=dict)  # quantity -> value used
    bound: str = "exact"  # "at_least" when the evidence proves this state or worse
    note: str = ""
    # indeterminate: the most severe state it allows (an interval across state bands, or the rule's worst for a
    # quantity not measured or known only as a lower bound), with that state's priority and interval, so a
    # check is not scheduled after the repair it may call for ("" / None: none)
    could_be: str = ""
    could_be_priority: int | None = None
    could_be_days: int | None = None

    @property
    def is_indeterminate(self) -> bool:
        return self.state == INDETERMINATE

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, x: dict[str, Any]) -> Grade:
        return cls(**{k: x[k] for k in cls.__dataclass_fields__ if k in x})  # type: ignore[arg-type]

    @property
    def short(self) -> str:
        """'CS2 (aashto-mbei-1130@1)' - what a map popup or a table cell shows."""
        return f"{self.state}{'+' if self.bound == 'at_least' else ''} ({self.rule})"


def _band_state(q: QuantityRule, value: float) -> tuple[str, str] | None:
    for band in q.bands:
        if band.contains(value):
            return band.state, band.clause
    return None


def _on_its_side(x: float, q: QuantityRule) -> str:
    """``x`` with the digits (3 significant at least) that keep it on its side of every band edge of ``q``:
    a bound from 0.298 mm said '0.30' (the measurement's two decimals, or '.3g' of 0.2999) read as CS2."""
    edges = {e for b in q.bands for e in b.edges()}
    for digits in range(3, 17):
        said = f"{x:.{digits}g}"
        if all((float(said) > e) == (x > e) and (float(said) < e) == (x < e) for e in edges):
            return said
    return repr(x)


def _near_edge(q: QuantityRule, m: Measurement) -> str:
    if m.value is None or m.sigma is None or not math.isfinite(m.sigma) or m.sigma <= 0:
        return ""
    edges = sorted({e for b in q.bands for e in b.edges()})
    near = [e for e in edges if abs(m.value - e) < m.sigma]
    if not near:
        return ""
    # the value with the digits its state turns on: '.4g' had said 1.2704 (CS3, > 1.27) as '1.27'
    return (f"{q.quantity} {_on_its_side(float(m.value), q)} +/- {m.sigma:.2g} is within 1 sigma of the "
            f"boundary at {', '.join(f'{e:g}' for e in near)}; the neighbouring state is possible")


def _printed_across(q: QuantityRule, m: Measurement, state: str) -> str:
    """What to say when the value, printed as the products print it (length 1 decimal, width 2, area 4),
    reads on another side of a band edge than it lies: 1.2704 mm (CS3) printed '1.27'."""
    from groundstation.publish.context import MEASUREMENT_DIGITS, format_measurement  # the products' printing

    x = float(m.value)  # type: ignore[arg-type]
    shown = float(format_measurement(Measurement(x, None, ""), MEASUREMENT_DIGITS.get(q.quantity, 2)))
    for e in sorted({e for b in q.bands for e in b.edges()}):
        if (shown > e) != (x > e) or (shown < e) != (x < e):
            side = "on" if x == e else "above" if x > e else "below"
            unit = f" {m.unit}" if m.unit else ""
            return (f"{q.quantity} is {_on_its_side(x, q)}{unit}, {side} the boundary at {e:g}: {state}"
                    f" (printed to fewer digits it may read otherwise)")
    return ""


def grade_finding(finding: Finding, rule: Rule, extra: dict[str, Measurement] | None = None,
                  zone: str = "") -> Grade:
    """Grade one finding by one rule. ``extra``: quantities the finding does not carry itself
    (``crack_spacing_m``, ``rusted_area_pct``); ``present`` is always 1. ``zone``: the component
    zone (e.g. a blade's root), for rules with ``zone_escalation``."""
    criterion = rule.criterion_for(finding.class_name)

    bump = rule.zone_escalation.get(zone, 0) if zone else 0

    def undetermined(note: str, values: dict[str, float | None] | None = None, could_be: str = "") -> Grade:
        if could_be and bump:  # the check as urgent as the zone makes the worst state: CAT4 at the root is CAT5
            escalated = rule.states[min(rule.rank(could_be) + bump, len(rule.states) - 1)].state
            if escalated != could_be:
                note += (f"; may be {escalated}: {could_be} escalated by {bump} for the {zone} zone "
                         f"(rule zone_escalation)")
                could_be = escalated
        worst = rule.state_info(could_be) if could_be else None
        return Grade(finding.finding_id, rule.ref, INDETERMINATE, "not gradable", "", rule.citation, None, None,
                     "Measure on site or re-fly closer (finer GSD), then grade.", values or {}, "exact", note,
                     could_be, worst.priority if worst else None, worst.interval_days if worst else None)

    if criterion is None:
        return undetermined(f"rule {rule.ref} has no criterion for class '{finding.class_name}'")
    quantities: dict[str, Measurement] = {"present": Measurement(1.0, 0.0, "")}
    quantities.update(finding.measurements)
    quantities.update(extra or {})
    decided: list[tuple[int, str, str, QuantityRule]] = []
    values: dict[str, float | None] = {}
    notes: list[str] = []
    # required quantities left unknown: (what is known of it, the worst state it allows)
    pending: list[tuple[QuantityRule, str, str]] = []
    for q in criterion.quantities:
        m = quantities.get(q.quantity)
        values[q.quantity] = None if m is None or m.value is None else float(m.value)
        if m is not None and m.is_bound:
            low, high = _band_state(q, float(m.low)), _band_state(q, float(m.high))  # type: ignore[arg-type]
            span = f"between {_on_its_side(float(m.low), q)} and {_on_its_side(float(m.high), q)} {m.unit}"  # type: ignore[arg-type]
            if low is not None and high is not None and low[0] == high[0]:
                decided.append((rule.rank(low[0]), low[0], low[1], q))
                notes.append(f"{q.quantity} {span} (a bound, not a value): {low[0]} across the whole interval")
                continue
            states = " to ".join(dict.fromkeys(h[0] for h in (low, high) if h is not None)) or "no state band"
            if q.required:
                worst = max((h[0] for h in (low, high) if h is not None), key=rule.rank) \
                    if low is not None and high is not None else _worst_state(rule, q)  # an end in no band: any
                pending.append((q, f"{q.quantity} spans {states} ({span})" + (f": {m.note}" if m.note else ""),
                                worst))
                continue
            notes.append(f"{q.quantity} not assessed ({q.quantity} {span} spans {states})")
            continue
        if m is not None and m.value is None and m.high is None and m.low is not None and math.isfinite(m.low):
            # only 'at least low' known: it decides in the band open-ended above (Ri5 > 8 %)
            band = next((b for b in q.bands if b.contains(float(m.low))), None)
            if band is not None and band.below is None and band.to is None:
                decided.append((rule.rank(band.state), band.state, band.clause, q))
                notes.append(f"{q.quantity} at least {_on_its_side(float(m.low), q)} {m.unit} (a lower bound, "
                             f"not a value): {band.state} for every value from it: {m.note}")
                continue
        if m is None or m.value is None or not math.isfinite(m.value):
            why = (m.note if m is not None and m.note else "not measured")
            if q.required:  # not measured (or only at least some value): it may be the worst state
                pending.append((q, f"{q.quantity}: {why}", _worst_state(rule, q)))
                continue
            notes.append(f"{q.quantity} not assessed ({why})")
            continue
        hit = _band_state(q, float(m.value))
        if hit is None:
            return undetermined(f"{q.quantity} = {m.value:g} lies in no state band of {rule.ref}", values)
        decided.append((rule.rank(hit[0]), hit[0], hit[1], q))
        edge = _near_edge(q, m) or _printed_across(q, m, hit[0])
        if edge:
            notes.append(edge)
    if pending:  # worst of the states (the only combine): known when the rest already give the worst it allows
        top = max((d[0] for d in decided), default=-1)
        for _, said, worst in pending:
            if rule.rank(worst) > top:  # could still make it worse
                return undetermined(said, values, worst)
        notes[:0] = [f"{q.quantity} not needed (it could give no worse than {rule.states[top].state}): {said}"
                     for q, said, _ in pending]
    if not decided:  # every quantity optional and none assessed (a rule of one's own): never guessed
        return undetermined("; ".join(notes) or f"no quantity of {rule.ref} assessed", values)
    rank, state, _, _ = max(decided, key=lambda d: d[0])
    clause = " ".join(d[2] for d in decided if d[0] == rank)
    for q in dict.fromkeys(d[3] for d in decided if d[0] == rank and d[3].quantity in (extra or {})):
        # taken over several findings, not measured on this one: no product printed it beside the grade
        m = quantities[q.quantity]
        if m.value is not None:
            said = f"{q.quantity} {_on_its_side(float(m.value), q)} {m.unit}"
            notes.append(said + (f" ({m.note})" if m.note else ""))
    bound = "at_least" if any(d[3].bound == "at_least" for d in decided if d[0] == rank) else "exact"
    if bump:
        new_rank = min(rank + bump, len(rule.states) - 1)
        if new_rank != rank:
            notes.append(f"escalated from {state} by {bump} for the {zone} zone (rule zone_escalation)")
            state = rule.states[new_rank].state
    info = rule.state_info(state)
    return Grade(finding.finding_id, rule.ref, state, info.label, clause, rule.citation, info.priority,
                 info.interval_days, info.action, values, bound, "; ".join(notes))


def _worst_state(rule: Rule, q: QuantityRule) -> str:
    """The worst state any value of ``q`` gives: what a quantity not measured may be. Its check is as urgent
    as that (``Grade.could_be``), as an interval's is: a PSC crack of unmeasured width had been checked at
    priority 3 in 90 days, one bounded 0.15-0.40 mm at CS3's priority 2 in 60."""
    return max((b.state for b in q.bands), key=rule.rank)


def worse(rule: Rule, a: str, b: str) -> bool:
    """True when state ``a`` is more severe than ``b`` under ``rule`` (indeterminate ranks lowest)."""
    ra = rule.rank(a) if a != INDETERMINATE else -1
    rb = rule.rank(b) if b != INDETERMINATE else -1
    return ra > rb
