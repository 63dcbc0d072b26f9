"""Findings to components: nearest part in 3D (bridge), chainage (pipeline), blade coordinates (turbine)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundstation.registry.locate import locate_on_footprint, locate_on_pipe
from groundstation.registry.model import ZONES, Asset, Assignment, Component, Registry, _enu

SPECIFICITY = {"bearing": 0, "girder": 1, "pier": 2, "abutment": 3, "deck": 4, "tower": 5, "nacelle": 5}


def assign_point(reg: Registry, asset_id: str, finding_id: str, lat: float, lon: float, alt_msl: float,
                 tolerance_m: float = 1.0) -> Assignment | None:
    """The component of ``asset_id`` a point belongs to, or None when none is within ``tolerance_m``."""
    from shapely.geometry import Point

    asset = reg.assets[asset_id]
    p = _enu(asset.frame, lat, lon, alt_msl)
    pt = Point(p[:2])
    comps = reg.components_of(asset_id)
    if asset.kind == "pipeline":
        route = reg.geometry(asset.params["route_wkt"])
        chainage, offset = float(route.project(pt)), float(route.distance(pt))
        if offset > asset.params["right_of_way_m"] / 2:
            return None
        seg = next((c for c in comps if c.chainage_start_m is not None and c.chainage_end_m is not None
                    and c.chainage_start_m <= chainage <= c.chainage_end_m), comps[-1])
        at = locate_on_pipe(route, asset.params, p)
        return Assignment(finding_id, asset_id, seg.component_id, seg.kind,
                          f"{seg.label} (chainage {chainage:.1f} m)", offset, chainage, offset, side=at["side"],
                          reference=at["reference"], clock=at.get("clock", ""), above_base_m=at.get("above_base_m"))
    if asset.kind == "wind_turbine":
        blade = _assign_blade(asset, comps, finding_id, p, tolerance_m)
        if blade is not None:
            return blade
    best: tuple[float, int, Any] | None = None
    for c in comps:
        if c.kind == "blade":
            continue
        dh = float(reg.geometry(c.local_wkt).distance(pt))
        dz = max(c.z_min_m - p[2], 0.0, p[2] - c.z_max_m)
        d = math.hypot(dh, dz)
        key = (round(d, 2), SPECIFICITY.get(c.kind, 9), c)
        if best is None or key[:2] < best[:2]:
            best = key
    if best is None or best[0] > tolerance_m:
        return None
    c = best[2]
    from groundstation.registry.components import DECK_BELOW_M

    bottom = c.z_min_m + DECK_BELOW_M if c.kind == "deck" else c.z_min_m  # the soffit, not the range's padding
    at = locate_on_footprint(reg.geometry(c.local_wkt), bottom, c.z_max_m, p,
                             _tower_radius(asset, float(p[2])) if c.kind == "tower" else None)
    return Assignment(finding_id, asset_id, c.component_id, c.kind, c.label, best[0], **at)


def _tower_radius(asset: Asset, z_m: float) -> float | None:
    """The tower's radius at height ``z_m``: the planner's frustum, base to the hub less the nacelle."""
    from missions.planning.patterns_more import NACELLE_RADIUS_M

    par = asset.params
    if "tower_base_radius_m" not in par:
        return None
    top = float(par["hub_height_m"]) - NACELLE_RADIUS_M
    t = min(1.0, max(0.0, z_m / top)) if top > 0 else 0.0
    r0, r1 = float(par["tower_base_radius_m"]), float(par["tower_top_radius_m"])
    return r0 + (r1 - r0) * t


def _assign_blade(asset: Asset, comps: list[Component], fid: str, p: np.ndarray, tol: float) -> Assignment | None:
    par = asset.params
    hub, normal, L = np.array(par["hub"]), np.array(par["normal"]), float(par["blade_length_m"])
    v = p - hub
    best = None
    for name, ax in par["blades"].items():
        axis, rot = np.array(ax["axis"]), np.array(ax["rotation"])
        r = float(v @ axis)
        perp = v - r * axis
        d = float(np.linalg.norm(perp))
        if -tol <= r <= L + tol and d <= par["chord_m"] + tol and (best is None or d < best[0]):
            a, t = float(perp @ normal), float(perp @ rot)
            side = ("LE" if t >= 0 else "TE") if abs(t) >= abs(a) else ("PS" if a >= 0 else "SS")
            best = (d, name, r, side)
    if best is None:
        return None
    d, name, r, side = best
    zone = ZONES[min(2, max(0, int(3 * r / L)))]
    comp = next(c for c in comps if c.blade == name and c.zone == zone)
    root = float(par.get("blade_root_offset_m") or 0.0)  # registries built before the asset file could say
    ref = (f"blade root flange, {root:.2f} m from the hub centre" if root > 0 else
           "blade root (the registry's blade starts at the hub centre)")
    return Assignment(fid, asset.asset_id, comp.component_id, "blade", f"blade {name}, {zone} zone, {side}",
                      max(0.0, d - par["chord_m"] / 2), None, None, r, zone, side,
                      reference=ref, from_root_m=round(r - root, 3))


def assign_findings(findings: Any, reg: Registry, asset_id: str, tolerance_m: float = 1.0) -> dict[str, Assignment]:
    """Every finding's component (findings with none within tolerance + their CE90 are left out)."""
    out = {}
    for f in findings:
        tol = max(tolerance_m, f.ce90_m if math.isfinite(f.ce90_m) else 0.0)
        a = assign_point(reg, asset_id, f.finding_id, f.lat_deg, f.lon_deg, f.alt_msl_m, tol)
        if a is not None:
            out[f.finding_id] = a
    return out
