"""Grading rules as versioned data files (``groundstation/grading/rules/*.yaml``), loaded and validated.

A rule file names its source (document, section) and, per finding class, the quantities it grades
and the condition states they map to. A state's interval is given by any of four bounds, all of
which must hold: ``below`` (value < x), ``to`` (value <= x), ``from`` (value >= x), ``above``
(value > x). So "CS1 < 0.012 in., CS2 0.012-0.05 in., CS3 > 0.05 in." is written exactly as the manual
says it (converted exactly: 0.3048 mm, 1.27 mm), and 0.3048 mm itself is CS2. ``states`` at the bottom of a file lists every state in order of
increasing severity with its label, priority (1 = most urgent), interval in days and action.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skyinspect.errors import InputError, describe

RULES_DIR = Path(__file__).parent / "rules"
BOUNDS = ("below", "to", "from", "above")
BAND_KEYS = ("state", "clause", *BOUNDS)
QUANTITY_BOUNDS = ("exact", "at_least")  # what the grader applies (grader.grade_finding)
COMBINES = ("worst",)
QUANTITY_KEYS = ("quantity", "required", "states", "bound")
CRITERION_KEYS = ("classes", "quantities", "combine")
# what a rule can grade by: a finding's measurements (groundstation.measure; max_width_mm the widest stretch of
# a crack beside the mean width_mm), the quantities grade_all works out over several findings, and
# ``present``. A name outside them (a misspelt "max_width") graded every finding indeterminate, "not measured"
QUANTITIES = ("present", "length_mm", "width_mm", "max_width_mm", "area_m2", "crack_spacing_m", "rusted_area_pct")
# rule ids shipped under another name before: grades stored then are of the same rule (change detection)
RULE_RENAMES = {"aashto-mbei-3420": "aashto-mbei-3440"}  # coating effectiveness is MBEI defect 3440 (ee66ac2)


def rule_id_of(ref: str) -> str:
    """The rule id a grade's ``rule_id@version`` is of today: 'aashto-mbei-3420@1' -> 'aashto-mbei-3440'."""
    rid = ref.rsplit("@", 1)[0]
    return RULE_RENAMES.get(rid, rid)


@dataclass(frozen=True)
class StateBand:
    state: str
    clause: str
    below: float | None = None
    to: float | None = None
    from_: float | None = None
    above: float | None = None

    def contains(self, value: float) -> bool:
        return ((self.below is None or value < self.below) and (self.to is None or value <= self.to)
                and (self.from_ is None or value >= self.from_) and (self.above is None or value > self.above))

    def edges(self) -> tuple[float, ...]:
        return tuple(v for v in (self.below, self.to, self.from_, self.above) if v is not None)


@dataclass(frozen=True)
class QuantityRule:
    quantity: str
    required: bool
    bands: tuple[StateBand, ...]
    bound: str = "exact"  # "at_least": the evidence proves this state or worse


@dataclass(frozen=True)
class Criterion:
    classes: tuple[str, ...]
    quantities: tuple[QuantityRule, ...]
    combine: str = "worst"


@dataclass(frozen=True)
class StateInfo:
    state: str
    label: str
    priority: int
    interval_days: int
    action: str


@dataclass(frozen=True)
class Rule:
    rule_id: str
    version: int
    title: str
    source: dict[str, str]
    criteria: tuple[Criterion, ...]
    states: tuple[StateInfo, ...]  # increasing severity
    path: Path
    sha256: str
    zone_escalation: dict[str, int] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """``rule_id@version``: what every grade records so a grade can be traced to its file."""
        return f"{self.rule_id}@{self.version}"

    def state_info(self, state: str) -> StateInfo:
        return next(s for s in self.states if s.state == state)

    def rank(self, state: str) -> int:
        return [s.state for s in self.states].index(state)

    def criterion_for(self, class_name: str) -> Criterion | None:
        return next((c for c in self.criteria if class_name in c.classes), None)

    @property
    def citation(self) -> str:
        """Document and section, and whose the numbers are where they are not the document's
        (``source.thresholds``): the report's condition table printed AASHTO alone beside skyinspect's limits."""
        cited = f"{self.source.get('document', '')}, {self.source.get('section', '')}".strip(", ")
        thresholds = self.source.get("thresholds", "")
        return f"{cited}; thresholds: {thresholds}" if thresholds else cited


def _num(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        raise InputError(describe(where, f"expected a finite number, found {x!r}"))
    return float(x)


def parse_rule(data: Any, path: Path, raw: bytes = b"") -> Rule:
    if not isinstance(data, dict):
        raise InputError(describe(path, "a rule file must be a mapping", "Compare groundstation/grading/rules/"))
    for key in ("rule_id", "version", "title", "source", "criteria", "states"):
        if key not in data:
            raise InputError(describe(path, f"missing key '{key}'", "Compare groundstation/grading/rules/"))
    states_raw = data["states"]
    if not isinstance(states_raw, dict) or not states_raw:
        raise InputError(describe(path, "'states' must map each state to {label, priority, interval_days, action}"))
    states = tuple(StateInfo(str(k), str(v.get("label", k)), int(v["priority"]), int(v["interval_days"]),
                             str(v.get("action", ""))) for k, v in states_raw.items())
    names = {s.state for s in states}
    criteria = []
    for ci, c in enumerate(data["criteria"]):
        quantities = []
        for qi, q in enumerate(c["quantities"]):
            bands = []
            for si, b in enumerate(q["states"]):
                where = f"{path}: criteria[{ci}].quantities[{qi}].states[{si}]"
                if b.get("state") not in names:
                    raise InputError(describe(where, f"state {b.get('state')!r} is not listed under 'states'"))
                if not b.get("clause"):
                    raise InputError(describe(where, "every state band needs the clause text it implements"))
                # ignored, a misspelt bound had left its band open-ended: a 5 mm crack graded CS2
                _known_keys(b, BAND_KEYS, where)
                vals = {k: _num(b[k], f"{where}.{k}") for k in BOUNDS if k in b}
                if not vals:
                    raise InputError(describe(where, f"needs at least one of {', '.join(BOUNDS)}"))
                bands.append(StateBand(b["state"], str(b["clause"]), vals.get("below"), vals.get("to"),
                                       vals.get("from"), vals.get("above")))
            qwhere = f"{path}: criteria[{ci}].quantities[{qi}]"
            _known_keys(q, QUANTITY_KEYS, qwhere)  # ignored, `requird: false` had left the quantity required
            if not isinstance(q.get("required", True), bool):  # bool("false") is True
                raise InputError(describe(qwhere, f"required must be true or false, got {q['required']!r}"))
            if str(q["quantity"]) not in QUANTITIES:
                raise InputError(describe(qwhere, f"quantity {q['quantity']!r} is not one the ground station "
                                                  f"measures; expected one of {', '.join(QUANTITIES)}",
                                          "Correct the quantity's name"))
            _check_partition(tuple(bands), str(q["quantity"]), qwhere)
            bound = str(q.get("bound", "exact"))
            if bound not in QUANTITY_BOUNDS:
                raise InputError(describe(qwhere, f"bound {bound!r} is not one the grader applies; expected one of "
                                                  f"{', '.join(QUANTITY_BOUNDS)}"))
            quantities.append(QuantityRule(str(q["quantity"]), bool(q.get("required", True)), tuple(bands), bound))
        _known_keys(c, CRITERION_KEYS, f"{path}: criteria[{ci}]")
        combine = str(c.get("combine", "worst"))
        if combine not in COMBINES:
            raise InputError(describe(f"{path}: criteria[{ci}]", f"combine {combine!r} is not one the grader "
                                                                 f"applies; expected one of {', '.join(COMBINES)}"))
        criteria.append(Criterion(tuple(c["classes"]), tuple(quantities), combine))
    return Rule(str(data["rule_id"]), int(data["version"]), str(data["title"]),
                {str(k): str(v) for k, v in data["source"].items()}, tuple(criteria), states, Path(path),
                hashlib.sha256(raw).hexdigest(), {str(k): int(v) for k, v in (data.get("zone_escalation") or {}).items()})


def _known_keys(node: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    unknown = [k for k in node if k not in known]
    if unknown:
        raise InputError(describe(where, f"unknown key {unknown[0]!r}; expected any of {', '.join(known)}",
                                  "Correct the key's spelling"))


def _check_partition(bands: tuple[StateBand, ...], quantity: str, where: str) -> None:
    """Refuse a band no value falls in, and two bands sharing a value (the first listed took it, silently).
    Any band that holds a value holds an edge, a point between two edges or one beyond them all."""
    edges = sorted({e for b in bands for e in b.edges()})
    probes = [edges[0] - 1.0, *edges, *((a + b) / 2 for a, b in zip(edges, edges[1:])), edges[-1] + 1.0]
    for i, band in enumerate(bands):
        if not any(band.contains(v) for v in probes):
            raise InputError(describe(f"{where}.states[{i}]", f"state {band.state}'s bounds leave no value of "
                                                              f"{quantity} in it", "Check below/to/from/above"))
    for v in probes:
        hit = [b.state for b in bands if b.contains(v)]
        if len(hit) > 1:
            raise InputError(describe(where, f"bands {hit[0]} and {hit[1]} of {quantity} overlap (both hold {v:g})",
                                      "Make each value fall in one band: below (<), to (<=), from (>=), above (>)"))


def load_rule(path: Path) -> Rule:
    import yaml

    raw = Path(path).read_bytes()
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise InputError(describe(path, f"cannot be parsed ({exc})")) from exc
    try:
        return parse_rule(data, Path(path), raw)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(describe(path, f"malformed rule ({type(exc).__name__}: {exc})",
                                  "Compare groundstation/grading/rules/")) from exc


def load_rules(folder: Path = RULES_DIR) -> dict[str, Rule]:
    """Every ``*.yaml`` rule in ``folder`` (profiles.yaml excluded), by rule id."""
    if not Path(folder).is_dir():
        raise InputError(describe(folder, "grading rules folder not found",
                                  "Pass a folder of rule YAML files plus profiles.yaml, like groundstation/grading/rules/"))
    rules = {}
    for p in sorted(Path(folder).glob("*.yaml")):
        if p.name == "profiles.yaml":
            continue
        rule = load_rule(p)
        if rule.rule_id in rules:
            raise InputError(describe(p, f"rule id {rule.rule_id!r} also defined in {rules[rule.rule_id].path}"))
        rules[rule.rule_id] = rule
    return rules


def load_profiles(path: Path = RULES_DIR / "profiles.yaml") -> tuple[str, dict[str, dict[str, tuple[str, ...]]]]:
    """(default profile name, {profile: {class: (rule ids...)}})."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        profiles = {name: {cls: tuple(ids) for cls, ids in m.items()} for name, m in data["profiles"].items()}
    except FileNotFoundError as exc:
        raise InputError(describe(path, "profiles file not found",
                                  "A rules folder needs a profiles.yaml (see groundstation/grading/rules/)")) from exc
    except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(describe(path, f"expected 'profiles: {{name: {{class: [rule ids]}}}}', got an error "
                                        f"({type(exc).__name__}: {exc})")) from exc
    return str(data.get("default", next(iter(profiles)))), profiles
