"""The pipeline's ``grade`` stage: assign findings to asset components (when a registry is given),
then grade them by the profile's rules. Stored as ``out/stages/grades.json`` like the other stages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from groundstation.grading import (RULES_DIR, Grades, grade_all, grades_from_json, grades_to_json, load_rules,
                                   resolve_profile, rules_digest)
from skyinspect.findings import Finding


@dataclass(frozen=True)
class GradeOutput:
    profile: str
    grades: Grades
    assignments: dict[str, dict[str, Any]] = field(default_factory=dict)  # finding id -> component facts
    asset_id: str = ""
    rules: dict[str, str] = field(default_factory=dict)  # rule ref -> sha256 of its file
    # class -> rule ids of the profile as read then: publish checks the profile it re-grades a review by
    profile_rules: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # rule ref -> its states in order of severity: change detection ranks grades by the rules they had
    rule_states: dict[str, tuple[str, ...]] = field(default_factory=dict)


def grade_fingerprint_parts(profile: str | None, registry: Path | None, asset_id: str | None,
                            rules_dir: Path | None = None) -> list[object]:
    rules = load_rules(Path(rules_dir or RULES_DIR))
    reg = hashlib.sha256(Path(registry).read_bytes()).hexdigest() if registry else None
    name, mapping = resolve_profile(profile, rules_dir)
    # "rust per component": grades stored before corrosion was graded per component are graded again
    # "check urgency": grades stored before an indeterminate interval kept its worst state (Grade.could_be)
    # "position on component": assignments stored before they said where on the component (registry.locate)
    # "unmeasured check urgency": grades stored before a quantity not measured kept its worst state too
    return [name, sorted(mapping.items()), rules_digest(rules), reg, asset_id, "check urgency",
            "unmeasured check urgency"] + (
        ["rust per component", "position on component"] if reg else [])


def check_registry_site(registry: Path, asset_id: str | None, lat_deg: float, lon_deg: float, flight: Path) -> None:
    """Refuse a registry asset far from the flight (another site's registry, another asset's id): no
    finding was assigned to it, yet every work order and inspection.json carried its asset id."""
    from pyproj import Geod

    from groundstation.registry import Registry
    from skyinspect.errors import InputError, describe
    from skyinspect.geodesy import SITE_RADIUS_M

    reg = Registry.read(Path(registry))
    asset = reg.assets[asset_id or reg.only_asset_id()]
    # an asset's parts lie within SITE_RADIUS_M of its reference point (the planner checks), the flight by them
    limit = 2 * SITE_RADIUS_M
    apart = Geod(ellps="WGS84").inv(asset.origin[1], asset.origin[0], lon_deg, lat_deg)[2]
    if apart > limit:
        raise InputError(describe(registry, f"asset {asset.asset_id!r} lies {apart / 1000:,.1f} km from the flight "
                                            f"{flight}; expected the inspected structure (its reference point "
                                            f"within {limit / 1000:g} km)",
                                  "Pass the registry, or the --asset-id, of the asset this flight inspected"))


def components_covered(assignments: dict[str, dict[str, Any]]) -> dict[str, tuple[str, float]]:
    """finding id -> (component id, its covered m2) for grade_all, from the assignments run_grade
    stored; a component no covered area was found on is left out (graded over the whole flight)."""
    return {fid: (str(a["component_id"]), float(a["component_covered_m2"])) for fid, a in assignments.items()
            if a.get("component_covered_m2")}


def run_grade(findings: list[Finding], covered_area_m2: float | None, profile: str | None = None,
              registry: Path | None = None, asset_id: str | None = None,
              rules_dir: Path | None = None, joint_like: frozenset[str] = frozenset(),
              cover: Callable[[Any, str], dict[str, float]] | None = None) -> GradeOutput:
    """``rules_dir``: a folder of rule YAML files + profiles.yaml (default: the shipped rules);
    ``joint_like``: crack findings flagged as joint-like (groundstation.joints.joint_note); ``cover``:
    (registry, asset id) -> {component id: covered m2} (groundstation.grading.coverage), stored in
    each assignment as ``component_covered_m2``: corrosion is then graded per component."""
    rules = load_rules(Path(rules_dir or RULES_DIR))
    name, mapping = resolve_profile(profile, rules_dir)
    assignments: dict[str, dict[str, Any]] = {}
    chosen_asset = asset_id or ""
    if registry is not None:
        from groundstation.registry import Registry, assign_findings

        reg = Registry.read(Path(registry))
        chosen_asset = asset_id or reg.only_asset_id()
        assignments = {fid: a.to_dict() for fid, a in assign_findings(findings, reg, chosen_asset).items()}
        areas = cover(reg, chosen_asset) if cover is not None else {}
        for a in assignments.values():
            a["component_covered_m2"] = areas.get(a["component_id"])
    zones = {fid: a.get("zone", "") for fid, a in assignments.items()}
    grades = grade_all(findings, rules, name, covered_area_m2, zones, rules_dir, joint_like,
                       components_covered(assignments))
    return GradeOutput(name, grades, assignments, chosen_asset, {r.ref: r.sha256 for r in rules.values()},
                       dict(mapping), {r.ref: tuple(s.state for s in r.states) for r in rules.values()})


def grade_output_to_json(g: GradeOutput) -> dict[str, Any]:
    return {"profile": g.profile, "grades": grades_to_json(g.grades), "assignments": g.assignments,
            "asset_id": g.asset_id, "rules": g.rules,
            "profile_rules": {cls: list(ids) for cls, ids in g.profile_rules.items()},
            "rule_states": {ref: list(states) for ref, states in g.rule_states.items()}}


def grade_output_from_json(x: dict[str, Any]) -> GradeOutput:
    return GradeOutput(x["profile"], grades_from_json(x["grades"]), dict(x.get("assignments", {})),
                       str(x.get("asset_id", "")), dict(x.get("rules", {})),
                       {str(c): tuple(ids) for c, ids in (x.get("profile_rules") or {}).items()},  # {}: stored before
                       {str(r): tuple(st) for r, st in (x.get("rule_states") or {}).items()})
