"""Orbits round cylinders and cones (wind-turbine towers, round piers): stacked rings or a helix.

Both use ``gsd.round_design``: the camera flies ``range_m`` from the surface (closer than the flat
faces, never inside the site's minimum standoff), level, facing the axis, and only the part of each
photo whose GSD meets the requirement counts. Stations are ``step`` apart about the axis so those
parts overlap by the front overlap; rings / helix turns are ``turn_spacing_m`` apart so they overlap
by the side overlap. Every turn uses the same station angles, so a station and the one a turn above
differ by exactly the turn spacing. Stations sit ``range_m`` off the local surface radius (a cone's
stations follow its taper); straight legs between stations keep the minimum standoff (the design
refuses a step whose chord would cut inside it). The scan is entered and left radially through a
point one minimum standoff further out, so transits never graze the surface.

- ``rings``: level rings, serpentine in direction, camera pointed by ROI at the axis at ring height
  (DO_SET_ROI_LOCATION, stop and shoot).
- ``helix``: one continuous climb: a level turn at the bottom, turns rising by ``turn_spacing_m``
  per revolution, a level turn at the top (so the band's ends are covered). Heights change at every
  station, so the heading is set per station (ArduPilot CONDITION_YAW, PX4 waypoint yaw) with the
  gimbal level, stop and shoot. One ``Pass`` per turn (coverage measures side overlap turn to turn).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from missions.planning.design import Design
from missions.planning.geometry import Frustum, frustum_surface, horizontal_heading_deg
from missions.planning.gsd import RoundDesign, round_design
from missions.planning.patterns import Pass, PatternResult, stations_1d

STYLES = ("rings", "helix")
SURFACE_SAMPLES_PER_USED_WIDTH = 48  # coverage samples across a photo's used arc and used height


def _v(p: np.ndarray) -> tuple[float, float, float]:
    return (float(p[0]), float(p[1]), float(p[2]))


def _radial(body: Frustum, p: tuple[float, float, float], out_m: float) -> tuple[float, float, float]:
    d = np.array([p[0] - body.centre_ne_m[0], p[1] - body.centre_ne_m[1], 0.0])
    return _v(np.asarray(p) + d / np.linalg.norm(d) * out_m)


def _station(body: Frustum, rd: RoundDesign, angle: float, h: float) -> tuple[tuple[float, float, float], float]:
    cn, ce = body.centre_ne_m
    radius = float(body.radius_at(h)) + rd.range_m
    p = np.array([cn + radius * math.cos(angle), ce + radius * math.sin(angle), -h])
    return _v(p), horizontal_heading_deg(np.array([-math.cos(angle), -math.sin(angle)]))


def tower_scan(name: str, body: Frustum, bottom_agl_m: float, top_agl_m: float, design: Design,
               min_agl_m: float, min_standoff_m: float, ceiling_agl_m: float = math.inf,
               style: str = "helix") -> PatternResult:
    """Orbit passes covering the side of ``body`` between two heights AGL (clamped to the minimum
    flight height and the ceiling, which is the highest station height allowed)."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    notes: list[str] = []
    # the band any design could scan (the used half height is at most the image's at the flat-face standoff)
    cam = design.camera.model(design.focal_length_mm)
    hh_max = design.standoff_m * ((cam.height_px - 1) / 2) / cam.fy_px
    band = (max(bottom_agl_m, min_agl_m - hh_max), min(top_agl_m, ceiling_agl_m + hh_max))
    radii = [float(body.radius_at(h)) for h in band]
    taper = abs(body.bottom_radius_m - body.top_radius_m) / max(body.top_agl_m - body.bottom_agl_m, 1e-9)
    rd = round_design(name, design, min(radii), max(radii), band[1] - band[0], min_standoff_m, taper,
                      1 if style == "helix" else 0)
    hh = rd.usable_half_height_m
    lo = max(bottom_agl_m, min_agl_m - hh)
    hi = min(top_agl_m, ceiling_agl_m + hh)
    if lo > bottom_agl_m + 1e-9:
        notes.append(f"{name}: {bottom_agl_m:.2f}-{lo:.2f} m AGL not scanned (lowest orbit at the minimum flight "
                     f"height {min_agl_m} m)")
    if hi < top_agl_m - 1e-9:
        notes.append(f"{name}: {hi:.2f}-{top_agl_m:.2f} m AGL not scanned (structure above within the standoff)")
    if hi - lo <= 1e-6:
        return PatternResult((), (), tuple(notes + [f"{name}: nothing scannable"]))
    notes.append(f"{name}: {style} at {rd.range_m:.2f} m from the surface, {rd.stations_per_turn} photos per turn, "
                 f"turns {rd.turn_spacing_m:.2f} m apart; used part of each photo +-"
                 f"{math.degrees(rd.usable_half_angle_rad):.1f} deg x +-{hh:.2f} m, worst GSD there "
                 f"{rd.worst_gsd_m * 1000:.3f} mm/px (required {design.requirement.gsd_required_m * 1000:.3f})")
    passes = _rings(name, body, rd, lo, hi) if style == "rings" else _helix(name, body, rd, lo, hi)
    # enter and leave radially, one minimum standoff further out, so transits start clear of the surface
    passes[0] = replace(passes[0], via_ned=(_radial(body, passes[0].waypoints_ned[0], min_standoff_m),))
    passes[-1] = replace(passes[-1], exit_ned=(_radial(body, passes[-1].waypoints_ned[-1], min_standoff_m),))
    k = SURFACE_SAMPLES_PER_USED_WIDTH
    surf = frustum_surface(name, body, lo, hi, 2 * hh / k, 2 * rd.usable_half_angle_rad / k)
    return PatternResult(tuple(passes), (surf,), tuple(notes))


def _rings(name: str, body: Frustum, rd: RoundDesign, lo: float, hi: float) -> list[Pass]:
    """Level rings, serpentine; ring i+1 starts where ring i ended (same station angles)."""
    passes = []
    n, step = rd.stations_per_turn, rd.step_rad
    k0 = 0
    cn, ce = body.centre_ne_m
    for i, h in enumerate(stations_1d(lo, hi, 2 * rd.usable_half_height_m, rd.turn_spacing_m)):
        sign = 1 if i % 2 == 0 else -1
        ks = [k0 + sign * k for k in range(n)]
        pts, yaws = zip(*(_station(body, rd, k * step, float(h)) for k in ks))
        passes.append(Pass(f"{name} ring {i + 1} ({h:.1f} m)", tuple(pts), tuple(yaws), (0.0,) * n, "each",
                           roi_ned=(cn, ce, -float(h))))
        k0 = ks[-1]
    return passes


def helix_heights(lo_centre: float, hi_centre: float, stations_per_turn: int, turn_spacing_m: float) -> np.ndarray:
    """Station heights, whole turns of ``stations_per_turn``: one level turn at ``lo_centre``, turns
    climbing evenly (at most ``turn_spacing_m`` per turn) to reach ``hi_centre`` at the end of the
    last one, one level turn at ``hi_centre``. Each station is at most one turn spacing above the
    station a turn below it."""
    n = stations_per_turn
    if hi_centre - lo_centre <= 1e-9:
        return np.full(n, lo_centre)
    turns = int(math.ceil((hi_centre - lo_centre) / turn_spacing_m - 1e-9))
    climb = lo_centre + np.arange(1, turns * n + 1) * (hi_centre - lo_centre) / (turns * n)
    return np.concatenate([np.full(n, lo_centre), climb, np.full(n, hi_centre)])


def _helix(name: str, body: Frustum, rd: RoundDesign, lo: float, hi: float) -> list[Pass]:
    hh = rd.usable_half_height_m
    lo_c, hi_c = (lo + hi) / 2.0, (lo + hi) / 2.0
    if hi - lo > 2 * hh:
        lo_c, hi_c = lo + hh, hi - hh
    n = rd.stations_per_turn
    heights = helix_heights(lo_c, hi_c, n, rd.turn_spacing_m)
    passes = []
    for t, k0 in enumerate(range(0, len(heights), n)):
        ks = range(k0, min(k0 + n, len(heights)))
        pts, yaws = zip(*(_station(body, rd, k * rd.step_rad, float(heights[k])) for k in ks))
        kind = "level" if heights[ks[0]] == heights[ks[-1]] else "climbing"
        passes.append(Pass(f"{name} helix turn {t + 1} ({kind}, {heights[ks[0]]:.1f}-{heights[ks[-1]]:.1f} m)",
                           tuple(pts), tuple(yaws), (0.0,) * len(pts), "each"))
    return passes
