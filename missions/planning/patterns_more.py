"""Patterns beyond the pier face: the deck-top grid, the wind-turbine tower and blade scan, and the
pipeline corridor. Same ``Pass`` model as ``patterns.py``; orbits round towers and round piers are
in ``patterns_tower.py``; solids for turbines and pipelines are built here too.
"""

from __future__ import annotations

import math

import numpy as np

from skyinspect.geodesy import LocalFrame

from missions.planning.assets import Asset, Pipeline, Site, WindTurbine
from missions.planning.design import Design
from missions.planning.geometry import (Capsule, Frustum, Prism, Solid, Surface,
                                        horizontal_heading_deg, unit)
from missions.planning.patterns import Pass, PatternResult, stations_1d
from missions.planning.patterns_tower import tower_scan

NACELLE_RADIUS_M = 2.0
HUB_RADIUS_M = 2.0


def _v(p: np.ndarray) -> tuple[float, float, float]:
    return (float(p[0]), float(p[1]), float(p[2]))


def deck_top_grid(deck: Prism, design: Design, site: Site) -> PatternResult:
    """Nadir lanes over the deck at the standoff, along the deck's long axis, fixed heading."""
    poly = deck.polygon()
    rect = list(poly.minimum_rotated_rectangle.exterior.coords)[:4]
    edges = [np.subtract(rect[(k + 1) % 4], rect[k]) for k in range(2)]
    axis_en = unit(max(edges, key=lambda e: float(np.hypot(*e))))
    across_en = np.array([-axis_en[1], axis_en[0]])
    coords = np.asarray(poly.exterior.coords)
    us, vs = coords @ axis_en, coords @ across_en
    fw, fh = design.footprint_w_m, design.footprint_h_m  # nadir: image width across the lane
    spacing_photo, spacing_lane = fh * (1 - design.requirement.front_overlap), fw * (1 - design.requirement.side_overlap)
    h = deck.top_agl_m + design.standoff_m
    k = int(math.ceil((us.max() - us.min() - fh) / spacing_photo - 1e-9)) + 1 if np.ptp(us) > fh else 1
    mid, half = (us.max() + us.min()) / 2, (k - 1) * spacing_photo / 2
    yaw = horizontal_heading_deg(np.array([axis_en[1], axis_en[0]]))
    passes = []
    for i, v in enumerate(stations_1d(vs.min(), vs.max(), fw, spacing_lane)):
        ends = (mid - half, mid + half) if i % 2 == 0 else (mid + half, mid - half)
        pts = tuple(_v(np.array([u * axis_en[1] + v * across_en[1], u * axis_en[0] + v * across_en[0], -h]))
                    for u in ends)
        if k == 1:
            passes.append(Pass(f"deck top lane {i + 1}", pts[:1], (yaw,), (-90.0,), "each"))
        else:
            passes.append(Pass(f"deck top lane {i + 1}", pts, (yaw, yaw), (-90.0, -90.0), "distance", spacing_photo))
    step = min(fw, fh) / 8
    minx, miny, maxx, maxy = poly.bounds
    xs, ys = np.meshgrid(np.arange(minx + step / 2, maxx, step), np.arange(miny + step / 2, maxy, step))
    import shapely

    inside = shapely.contains_xy(poly, xs.ravel(), ys.ravel())
    pts = np.stack([ys.ravel()[inside], xs.ravel()[inside], np.full(int(inside.sum()), -deck.top_agl_m)], axis=1)
    surf = Surface("deck top", pts, np.repeat(np.array([[0.0, 0.0, -1.0]]), len(pts), axis=0), step)
    return PatternResult(tuple(passes), (surf,), ())


# --- wind turbine ----------------------------------------------------------------------------
def _turbine_geometry(t: WindTurbine, frame: LocalFrame) -> dict[str, object]:
    n, e, _ = frame.to_ned(t.tower_base_lat_lon[0], t.tower_base_lat_lon[1], frame.h0_m)
    a = math.radians(t.rotor_heading_deg)
    fwd = np.array([math.cos(a), math.sin(a), 0.0])  # the rotor faces this way
    right_seen_from_front = np.array([math.sin(a), -math.cos(a), 0.0])
    up = np.array([0.0, 0.0, -1.0])
    base = np.array([n, e, 0.0])
    hub = base + fwd * t.hub_overhang_m + up * t.hub_height_agl_m
    blades = []
    for k in range(3):
        th = math.radians(t.locked_blade_deg + 120.0 * k)
        blades.append(unit(up * math.cos(th) + right_seen_from_front * math.sin(th)))
    return {"base": base, "hub": hub, "fwd": fwd, "blades": blades}


def solids_for(asset: Asset, frame: LocalFrame) -> tuple[Solid, ...]:
    if isinstance(asset, WindTurbine):
        g = _turbine_geometry(asset, frame)
        base, hub, fwd = g["base"], g["hub"], g["fwd"]  # type: ignore[assignment]
        top = asset.hub_height_agl_m - NACELLE_RADIUS_M
        out: list[Solid] = [Frustum("tower", (float(base[0]), float(base[1])), asset.tower_base_diameter_m / 2,
                                    asset.tower_top_diameter_m / 2, 0.0, top),
                            Capsule("nacelle and hub", _v(hub - fwd * (asset.hub_overhang_m + 4.0)), _v(hub),
                                    max(NACELLE_RADIUS_M, HUB_RADIUS_M))]
        for k, b in enumerate(g["blades"]):  # type: ignore[attr-defined]
            out.append(Capsule(f"blade {k + 1}", _v(hub), _v(hub + b * asset.blade_length_m), asset.blade_max_chord_m / 2))
        return tuple(out)
    if isinstance(asset, Pipeline):
        ne = [frame.to_ned(lat, lon, frame.h0_m) for lat, lon in asset.route_lat_lon]
        h = asset.height_agl_m
        return tuple(Capsule(f"pipe segment {k + 1}", (float(a[0]), float(a[1]), -h), (float(b[0]), float(b[1]), -h),
                             asset.diameter_m / 2) for k, (a, b) in enumerate(zip(ne[:-1], ne[1:])))
    raise TypeError(f"no solids for {type(asset).__name__}")


def _turbine_patterns(t: WindTurbine, frame: LocalFrame, design: Design) -> PatternResult:
    g = _turbine_geometry(t, frame)
    base, hub, fwd, blades = g["base"], g["hub"], g["fwd"], g["blades"]  # type: ignore[misc]
    s, chord = design.standoff_m, t.blade_max_chord_m
    passes: list[Pass] = []
    surfaces: list[Surface] = []
    notes: list[str] = []
    solids = solids_for(t, frame)
    if t.inspect_tower:
        lowest_blade = min(float(-(hub + b * t.blade_length_m)[2]) for b in blades)
        ceiling = min(lowest_blade - chord / 2, t.hub_height_agl_m - NACELLE_RADIUS_M) - s - t.tower_top_diameter_m
        tower = Frustum("tower", (float(base[0]), float(base[1])), t.tower_base_diameter_m / 2,
                        t.tower_top_diameter_m / 2, 0.0, t.hub_height_agl_m - NACELLE_RADIUS_M)
        r = tower_scan("tower", tower, t.site.min_flight_agl_m, tower.top_agl_m, design, t.site.min_flight_agl_m,
                       t.site.min_standoff_m, ceiling, t.orbit_pattern)
        passes += r.passes
        surfaces += r.surfaces
        notes += list(r.notes) + ["tower above the lowest blade tip: scan it with the rotor turned (not planned)"]
    if t.inspect_blades:
        step = min(design.footprint_w_m, design.footprint_h_m) * (1 - design.requirement.front_overlap)
        r0 = HUB_RADIUS_M + chord / 2
        # leave the tower scan outwards and up to a point in front of the hub, clear of everything
        front = hub + fwd * (s + chord / 2 + HUB_RADIUS_M + 1.0)
        for k, b in enumerate(blades):
            edge = unit(np.cross(b, fwd))
            sides = [("front", fwd), ("edge A", edge), ("back", -fwd), ("edge B", -edge)]
            radii = np.arange(r0, t.blade_length_m + 1e-9, step)
            prev_off, prev_end_r = None, 0.0
            skipped: list[np.ndarray] = []  # offsets of sides not planned since the last one flown
            for side, d in sides:
                off = d * (chord / 2 + s)
                # each side starts at the end of the blade where the last one flown ended
                rs = radii if prev_off is None or abs(radii[0] - prev_end_r) <= abs(radii[-1] - prev_end_r) \
                    else radii[::-1]
                look = -d
                pitch = math.degrees(math.atan2(-look[2], math.hypot(look[0], look[1])))
                if pitch > design.camera.gimbal_max_up_deg:
                    notes.append(f"blade {k + 1} {side}: camera would look up {pitch:.0f} deg; not planned")
                    skipped.append(off)
                    continue
                yaw = horizontal_heading_deg(look) if math.hypot(look[0], look[1]) > 1e-6 else \
                    horizontal_heading_deg(fwd)
                cand = np.array([hub + b * rr + off for rr in rs])
                ok = np.min([sd.distance_m(cand) for sd in solids], axis=0) >= t.site.min_standoff_m + 0.05
                if not ok.all():
                    notes.append(f"blade {k + 1} {side}: {int((~ok).sum())} of {len(ok)} stations dropped "
                                 f"(tower or nacelle within the standoff)")
                via: list[tuple[float, float, float]] = []
                first_ok = int(np.argmax(ok)) if ok.any() else 0
                if prev_off is None:
                    via.append(_v(front))
                else:
                    # round the blade at the standoff, corner by corner, through any side not flown (its
                    # camera would look up): front to back straight across the blade would cut through it
                    chain = [prev_off, *skipped, off]
                    corners = [hub + b * rs[first_ok] + u + w for u, w in zip(chain[:-1], chain[1:])]
                    if all(min(float(sd.distance_m(c)[0]) for sd in solids) >= t.site.min_standoff_m + 0.05
                           for c in corners):
                        via += [_v(c) for c in corners]
                skipped = []
                runs = np.split(np.arange(len(ok)), np.where(np.diff(ok.astype(int)) != 0)[0] + 1)
                for run in (r_ for r_ in runs if ok[r_[0]]):
                    pts = tuple(_v(cand[i]) for i in run)
                    passes.append(Pass(f"blade {k + 1} {side}", pts, (yaw,) * len(pts),
                                       (max(pitch, -90.0),) * len(pts), "each", via_ned=tuple(via)))
                    via = []
                prev_off = off
                prev_end_r = rs[int(np.flatnonzero(ok)[-1])] if ok.any() else rs[-1]
        notes.append("blades: one line per side at the standoff from a capsule of the maximum chord; "
                     "coverage of blade surfaces is not computed")
    return PatternResult(tuple(passes), tuple(surfaces), tuple(notes))


def _pipeline_patterns(p: Pipeline, frame: LocalFrame, design: Design) -> PatternResult:
    ne = [frame.to_ned(lat, lon, frame.h0_m) for lat, lon in p.route_lat_lon]
    r = p.diameter_m / 2 + design.standoff_m
    # nadir along-track footprint is the image height; photos spaced for the front overlap
    spacing = design.footprint_h_m * (1 - design.requirement.front_overlap)
    if p.offset_lines == 1:
        lines = [(np.array([0.0, 0.0, -(p.height_agl_m + r)]), -90.0, 0.0)]
    else:
        c = r * math.cos(math.radians(45))
        lines = [(np.array([0.0, 0.0, -(p.height_agl_m + c)]), -45.0, side * c) for side in (1.0, -1.0)]
    passes = []
    chain = 0.0
    total = sum(float(np.hypot(b[0] - a[0], b[1] - a[1])) for a, b in zip(ne[:-1], ne[1:]))
    for li, (lift, pitch, lateral) in enumerate(lines):
        segs = list(zip(ne[:-1], ne[1:]))
        if li % 2 == 1:
            segs = [(b, a) for a, b in reversed(segs)]
        for k, (a, b) in enumerate(segs):
            d = unit(np.array([b[0] - a[0], b[1] - a[1], 0.0]))
            side = np.array([-d[1], d[0], 0.0]) * lateral
            yaw = horizontal_heading_deg(d) if lateral == 0 else horizontal_heading_deg(-np.sign(lateral) *
                                                                                          np.array([-d[1], d[0]]))
            length = float(np.hypot(b[0] - a[0], b[1] - a[1]))
            cuts = np.append(np.arange(0.0, length, p.chainage_every_m), length)
            for c0, c1 in zip(cuts[:-1], cuts[1:]):
                p0 = np.array([a[0], a[1], 0.0]) + d * c0 + side + lift
                p1 = np.array([a[0], a[1], 0.0]) + d * c1 + side + lift
                # named by the route's chainage (from its first point), also on a line flown back from the far end
                lo, hi = (chain + c0, chain + c1) if li % 2 == 0 else (total - chain - c1, total - chain - c0)
                passes.append(Pass(f"line {li + 1} ch {lo:.0f}-{hi:.0f} m", (_v(p0), _v(p1)),
                                   (yaw, yaw), (pitch, pitch), "distance", spacing))
            chain += length
        chain = 0.0
    return PatternResult(tuple(passes), (), ("pipeline: coverage of the pipe surface is not computed",))


def patterns_for(asset: Asset, frame: LocalFrame, design: Design) -> PatternResult:
    if isinstance(asset, WindTurbine):
        return _turbine_patterns(asset, frame, design)
    if isinstance(asset, Pipeline):
        return _pipeline_patterns(asset, frame, design)
    raise TypeError(f"no patterns for {type(asset).__name__}")
