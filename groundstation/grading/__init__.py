"""Grading by cited standard: rules as versioned YAML files, a grader, and the pipeline's ``grade`` stage.

    rules = load_rules()                       # groundstation/grading/rules/*.yaml
    grades = grade_all(findings, rules, "rc_bridge", covered_area_m2=12.0)
    grades["F-0001"][0].state, .clause, .rule  # primary grade first

Quantities a finding does not carry itself are derived here from all findings of the inspection:
``crack_spacing_m`` (the smallest distance from a crack's outline to another crack's outline on the
same surface; a crack and the joint-like line split off it, groundstation.joint_split, cross by
construction and are not each other's neighbour; a line flagged as joint-like (``joint_like``: runs
straight and plumb or level like a formwork joint, groundstation.joints) is not counted as a
neighbour but named in the note: the demo's model draws panel joints as cracks, and counting them
graded two true cracks CS3 "heavy crack spacing", with a repair work order, from a joint 0.1-0.2 m
away) and ``rusted_area_pct`` (corroded area / area
covered by the georeferenced frames, over the whole inspection; when a corrosion area was not
measurable, the measured ones' share as a lower bound, which grades only past the last boundary). With an asset registry, a finding assigned to a component takes it over that
component alone (its corrosion over its covered area, groundstation.grading.coverage), as
ISO 4628-3 rates the component assessed: a rusted pier was diluted by the clean ones flown with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from groundstation.grading.grader import INDETERMINATE, Grade, grade_finding, worse
from groundstation.grading.rules import RULES_DIR, Rule, load_profiles, load_rules
from groundstation.joints import arm_id
from skyinspect.errors import InputError, describe
from skyinspect.findings import Finding, Measurement

Grades = dict[str, tuple[Grade, ...]]


def rules_digest(rules: dict[str, Rule]) -> str:
    """One hash over every rule file (and its version): a rules change re-runs the grade stage."""
    h = hashlib.sha256()
    for rid in sorted(rules):
        h.update(f"{rules[rid].ref}:{rules[rid].sha256}".encode())
    return h.hexdigest()


def resolve_profile(profile: str | None, rules_dir: Path | None = None) -> tuple[str, dict[str, tuple[str, ...]]]:
    """(profile name, {class: rule ids}) from ``rules_dir``/profiles.yaml (default: the shipped rules)."""
    profiles_path = Path(rules_dir or RULES_DIR) / "profiles.yaml"
    default, profiles = load_profiles(profiles_path)
    name = profile or default
    if name not in profiles:
        raise InputError(describe(profiles_path, f"no grading profile {name!r}",
                                  f"Use one of: {', '.join(sorted(profiles))}"))
    return name, profiles[name]


def crack_spacing(findings: list[Finding] | tuple[Finding, ...],
                  joint_like: frozenset[str] | set[str] = frozenset()) -> dict[str, Measurement]:
    """Per crack, the distance to the nearest other crack on its surface (module doc)."""
    return _spacing(findings, joint_like)[0]


def _spacing(findings: list[Finding] | tuple[Finding, ...], joint_like: frozenset[str] | set[str]
             ) -> tuple[dict[str, Measurement], dict[str, str]]:
    """(crack spacing per crack, what was left out of it per crack: the nearer joint-like line)."""
    cracks = [f for f in findings if f.class_name == "crack" and f.outline_ned_m is not None]
    out: dict[str, Measurement] = {}
    asides: dict[str, str] = {}
    outlines = [np.asarray(f.outline_ned_m, dtype=np.float64) for f in cracks]
    lo = np.array([o.min(axis=0) for o in outlines]).reshape(-1, 3)
    hi = np.array([o.max(axis=0) for o in outlines]).reshape(-1, 3)
    for i, f in enumerate(cracks):
        a = outlines[i]
        # Nearest first by the distance between bounding boxes (never more than the outlines' own):
        # once it exceeds the nearest counted crack, no further crack can be nearer, or be a nearer
        # joint-like line. Measuring every pair took 8 s for 431 cracks (quadratic, ~20 ms a crack).
        gap = np.maximum(np.maximum(lo - hi[i], lo[i] - hi), 0.0)
        bound = np.sqrt((gap * gap).sum(axis=1)) * (1.0 - 1e-9) - 1e-12  # below rounding
        dist: dict[str, float] = {}
        nearest = np.inf
        for j in np.argsort(bound, kind="stable"):
            if bound[j] > nearest:
                break
            g = cracks[j]
            if g is f or g.surface_name != f.surface_name or arm_id(f.finding_id) == g.finding_id \
                    or arm_id(g.finding_id) == f.finding_id:
                continue
            d = float(np.min(np.linalg.norm(a[:, None, :] - outlines[j][None, :, :], axis=2)))
            dist[g.finding_id] = d
            if g.finding_id not in joint_like:
                nearest = min(nearest, d)
        joints = sorted((d, fid) for fid, d in dist.items() if fid in joint_like)
        counted = sorted((d, fid) for fid, d in dist.items() if fid not in joint_like)
        aside = (f"joint-like line {joints[0][1]} at {joints[0][0]:.2f} m (if a check finds it is a crack, the "
                 f"spacing is that)") if joints and (not counted or joints[0][0] < counted[0][0]) else ""
        if aside:
            asides[f.finding_id] = aside
        said = f"; not counted: {aside}" if aside else ""
        if not counted:
            out[f.finding_id] = Measurement(None, None, "m", "no other crack on the surface" + said)
            continue
        gsd = f.gsd_m if np.isfinite(f.gsd_m) else None
        out[f.finding_id] = Measurement(counted[0][0], gsd, "m",
                                        f"outline to nearest other crack outline ({counted[0][1]})" + said)
    return out, asides


def rusted_area_pct(findings: list[Finding] | tuple[Finding, ...], covered_area_m2: float | None,
                    component: str = "") -> Measurement:
    """All corrosion of ``findings`` over ``covered_area_m2``; ``component``: the part they are of, named."""
    rust = [f for f in findings if f.class_name == "corrosion"]
    of = f" of {component}" if component else ""
    if not covered_area_m2 or covered_area_m2 <= 0:
        return Measurement(None, None, "%", f"no inspected area{of} to relate the rusted area to")
    missing = [f.finding_id for f in rust if f.measurements.get("area_m2") is None
               or f.measurements["area_m2"].value is None]
    if missing:
        known = sum(float(f.measurements["area_m2"].value)  # type: ignore[arg-type]
                    for f in rust if f.finding_id not in missing)
        said = f"area not measurable for {', '.join(missing[:5])}"
        if known <= 0:
            return Measurement(None, None, "%", said)
        # the measured patches alone: a lower bound, which decides the grade past the last boundary (Ri5)
        pct = 100.0 * known / covered_area_m2
        return Measurement(None, None, "%", f"{said}: at least {pct:.4g} % ({known:.4g} m2 rusted of "
                                            f"{covered_area_m2:.4g} m2{of} inspected)", low=pct)
    total = sum(float(f.measurements["area_m2"].value) for f in rust)  # type: ignore[arg-type]
    sigma = float(np.sqrt(sum((f.measurements["area_m2"].sigma or 0.0) ** 2 for f in rust)))
    return Measurement(100.0 * total / covered_area_m2, 100.0 * sigma / covered_area_m2, "%",
                       f"{total:.4g} m2 rusted of {covered_area_m2:.4g} m2{of} inspected")


def grade_all(findings: list[Finding] | tuple[Finding, ...], rules: dict[str, Rule] | None = None,
              profile: str | None = None, covered_area_m2: float | None = None,
              zones: dict[str, str] | None = None, rules_dir: Path | None = None,
              joint_like: frozenset[str] | set[str] = frozenset(),
              components: dict[str, tuple[str, float]] | None = None) -> Grades:
    """Every finding graded by every rule its class has in ``profile`` (primary first). A class with
    no rule in the profile gets one indeterminate grade saying so. ``zones``: finding id -> zone;
    ``joint_like``: crack findings flagged as joint-like (not counted for crack spacing);
    ``components``: finding id -> (its component id, that component's covered m2), when a registry
    assigned it (its ``rusted_area_pct`` is then over that component, module doc)."""
    rules = rules if rules is not None else load_rules(Path(rules_dir or RULES_DIR))
    _, mapping = resolve_profile(profile, rules_dir)
    spacing, left_out = _spacing(findings, joint_like)
    rusted = rusted_area_pct(findings, covered_area_m2)
    parts = components or {}
    by_part = {(cid, m2): rusted_area_pct([f for f in findings if parts.get(f.finding_id, ("",))[0] == cid], m2, cid)
               for cid, m2 in set(parts.values())}
    out: Grades = {}
    for f in findings:
        extra = {"rusted_area_pct": by_part[parts[f.finding_id]] if f.finding_id in parts else rusted}
        if f.finding_id in spacing:
            extra["crack_spacing_m"] = spacing[f.finding_id]
        ids = mapping.get(f.class_name, ())
        grades = []
        for rid in ids:
            if rid not in rules:
                raise InputError(describe(Path(rules_dir or RULES_DIR) / "profiles.yaml",
                                          f"profile names unknown rule {rid!r}"))
            g = grade_finding(f, rules[rid], extra, (zones or {}).get(f.finding_id, ""))
            aside = left_out.get(f.finding_id, "")
            # say which flagged line the spacing left out, unless the note quotes the spacing's own note,
            # which says it (the demo's F-0010-J had the same sentence twice)
            if aside and "crack_spacing_m" in g.values and aside not in g.note:
                g = replace(g, note="; ".join(x for x in (g.note, f"crack spacing: not counted: {aside}") if x))
            grades.append(g)
        if not grades:
            grades.append(Grade(f.finding_id, "", INDETERMINATE, "not gradable", "", "", None, None,
                                "Grade by hand.", {}, "exact", f"no rule for class '{f.class_name}' in the profile"))
        out[f.finding_id] = tuple(grades)
    return out


def grades_to_json(grades: Grades) -> dict[str, Any]:
    return {fid: [g.to_dict() for g in gs] for fid, gs in grades.items()}


def grades_from_json(data: dict[str, Any]) -> Grades:
    return {fid: tuple(Grade.from_dict(g) for g in gs) for fid, gs in data.items()}


def primary(grades: Grades, finding_id: str) -> Grade | None:
    gs = grades.get(finding_id) or ()
    return gs[0] if gs else None


__all__ = ["INDETERMINATE", "Grade", "Grades", "Rule", "grade_all", "grade_finding", "grades_from_json",
           "grades_to_json", "load_rules", "primary", "resolve_profile", "rules_digest", "worse"]
