"""Deck-underside (soffit) lanes: level lanes under the deck, camera straight up (gimbal +90 deg).

Lanes run along the girders (the longest one's direction; the deck's long axis when it has none), so
a lane stays in one strip (a bay of soffit between girders or deck edges, or under one girder) at one
height and never ducks under a girder, whatever the girders' heading on the deck (cross girders, a
short span under a wide deck); without girders lanes are long (fewer turns, stops and trigger on/off
items) and a pier cuts each lane once. The image width lies along the lane (the vehicle flies sideways, as on a pier face), so
photo spacing, lane spacing and the trigger-interval speed limit are the design's
(``spacing_along_m``, ``spacing_across_m``).

Heights: soffit strips are flown ``design.standoff_m`` below the soffit, girder-bottom strips the
same below the girder bottoms, so every photo has the design GSD square to a surface parallel to
the image plane (the pinhole formula holds over the whole frame). Refused (InputError, nothing
planned) when the gimbal cannot look straight up, or when the lowest lane would be below the
ground/water clearance (``Bridge.floor_agl_m``). An oblique variant for a +30 deg gimbal is not
offered: its optical axis meets the soffit at 60 deg incidence (the limit coverage counts), the
GSD along the tilt is 4x the vertical gap x pitch / f, and girders 1 m deep hide 1.7 m of each bay.

Clearance: lanes keep the minimum standoff + 5 cm from every solid and keep-out volume; a strip's
lanes are cut together where any of them comes closer (piers; abutments and embankments, which the
bridge description does not hold, when given as ``site.keep_out`` volumes). Photos reach half a
footprint past a lane's end; the soffit beyond (next to a pier) is left out of the requested surface
and noted. Photo spacing on a lane piece is shrunk to fit whole intervals between its clear ends
(the planner slows the mission to keep the camera's trigger interval).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from shapely.geometry import LineString, Polygon

from skyinspect.errors import InputError

from missions.planning.cameras import CameraProfile
from missions.planning.design import STANDOFF_MARGIN_M, Design
from missions.planning.geometry import (Prism, Solid, Surface, compass_point, horizontal_heading_deg, rectangle_surface,
                                        unit)
from missions.planning.gsd import CHORD_MARGIN_M
from missions.planning.patterns import Pass, PatternResult, stations_1d

UP_PITCH_DEG = 90.0
SAMPLE_STEP_M = 0.1  # along the lanes, when finding the stretches clear of piers
MAX_GIRDER_SKEW_DEG = 3.0
EDGE_TOL_M = 0.05  # a deck edge this close to the axis-parallel line counts as on it (outline precision)
PREFIX = "underside "
Vec = tuple[float, float, float]


@dataclass(frozen=True)
class UndersideGirder:
    name: str
    start_ne: tuple[float, float]
    end_ne: tuple[float, float]
    width_m: float
    depth_m: float


@dataclass(frozen=True)
class Strip:
    """A band of the underside along the deck axis at one height (u along, v across the axis, m)."""

    name: str
    v_lo_m: float
    v_hi_m: float
    u_lo_m: float
    u_hi_m: float
    surface_agl_m: float


@dataclass(frozen=True)
class _Axes:
    axis_en: tuple[float, float]
    across_en: tuple[float, float]

    def ned(self, u: float | np.ndarray, v: float | np.ndarray, h_agl: float) -> np.ndarray:
        u, v = np.broadcast_arrays(np.asarray(u, float), np.asarray(v, float))
        e = u * self.axis_en[0] + v * self.across_en[0]
        n = u * self.axis_en[1] + v * self.across_en[1]
        return np.stack([n, e, np.full(n.shape, -float(h_agl))], axis=-1)

    def uv(self, e: float, n: float) -> tuple[float, float]:
        return (e * self.axis_en[0] + n * self.axis_en[1], e * self.across_en[0] + n * self.across_en[1])


def check_gimbal(camera: CameraProfile) -> None:
    """Refuse a camera whose gimbal cannot point straight up."""
    up = camera.gimbal_max_up_deg
    if up < UP_PITCH_DEG - 1e-6:
        raise InputError(
            f"camera {camera.name}: the deck-underside lanes need the camera pointing straight up: expected "
            f"gimbal_max_up_deg >= {UP_PITCH_DEG:g}, got {up:g} deg. An oblique view from a +{up:g} deg gimbal "
            f"meets the soffit at {UP_PITCH_DEG - up:g} deg or more from square and girders hide the bays, so it is "
            f"not planned. Use a camera on a gimbal "
            f"that looks straight up (e.g. a top mount; --camera-file with gimbal_max_up_deg: 90, see "
            f"missions/examples/camera_upward_gimbal.json) or set inspect.underside: false")


def underside_standoff_m(underside_agl_m: float, girder_depths_m: list[float], floor_agl_m: float,
                         min_standoff_m: float) -> tuple[float, float]:
    """(preferred, highest) standoff for a zoom camera. Preferred: the usual minimum + 1 m, and soffit
    lanes at least the minimum + 5 cm below the girder bottoms wherever they are in the bay; highest:
    the lanes under the deepest girder stay above the floor."""
    d = max(girder_depths_m, default=0.0)
    preferred = max(min_standoff_m + STANDOFF_MARGIN_M, d + min_standoff_m + CHORD_MARGIN_M)
    return preferred, underside_agl_m - d - floor_agl_m


def check_heights(name: str, underside_agl_m: float, depth_m: float, standoff_m: float, ground_agl_m: float,
                  floor_agl_m: float) -> None:
    """Refuse a deck too low for the standoff below it and the clearance above the ground/water."""
    need = floor_agl_m + depth_m + standoff_m
    if underside_agl_m < need - 1e-9:
        girder = f" + deepest girder {depth_m:g} m" if depth_m > 0 else ""
        raise InputError(
            f"bridge {name!r}: deck.underside_agl_m: expected at least {need:.2f} m for the underside lanes (lowest "
            f"allowed flight {floor_agl_m:g} m AGL: ground/water at {ground_agl_m:g} m + clearance, or the site "
            f"minimum{girder} + standoff {standoff_m:.2f} m for the GSD), got {underside_agl_m:g} m. Nothing is "
            f"planned: use a shorter standoff (a zoom camera at a shorter focal length, or a finer GSD with a prime "
            f"lens), lower deck.min_ground_clearance_m if the site allows it, or set inspect.underside: false")


def _longest(girders: tuple[UndersideGirder, ...]) -> UndersideGirder:
    """The girder the lanes run along (``_axes``) and the others are checked against (``_strips``)."""
    return max(girders, key=lambda g: math.dist(g.start_ne, g.end_ne))


def _axes(deck: Prism, girders: tuple[UndersideGirder, ...]) -> tuple[_Axes, Polygon]:
    """The lane axis and the outline in (u, v): along the longest girder (girders across the deck's
    long outline were refused before), else the deck's long axis (longer side of its minimum rotated
    rectangle)."""
    poly = deck.polygon()
    if girders:
        g = _longest(girders)
        a = unit(np.array([g.end_ne[1] - g.start_ne[1], g.end_ne[0] - g.start_ne[0]]))
    else:
        rect = list(poly.minimum_rotated_rectangle.exterior.coords)[:4]
        edges = [np.subtract(rect[(k + 1) % 4], rect[k]) for k in range(2)]
        a = unit(max(edges, key=lambda e: float(np.hypot(*e))))
    axes = _Axes((float(a[0]), float(a[1])), (float(-a[1]), float(a[0])))
    return axes, Polygon([axes.uv(e, n) for e, n in poly.exterior.coords])


def _inner_u(poly_uv: Polygon, v_lo: float, v_hi: float) -> tuple[float, float] | None:
    """The u-range over which the whole band [v_lo, v_hi] is inside the deck (skewed ends cut off).
    The band's edges are probed EDGE_TOL_M inside: a deck not aligned with north/east has edges a few
    millimetres off its axis once its corners are rounded to 1e-7 deg, and probing 1e-6 m inside cut
    the edge bay of such a deck to 0.13 m of its 60 m, with no note (the example bridge turned 35 deg)."""
    minx, _, maxx, _ = poly_uv.bounds
    lo, hi = -math.inf, math.inf
    inset = min(EDGE_TOL_M, (v_hi - v_lo) / 4)
    for v in np.linspace(v_lo + inset, v_hi - inset, 5):
        seg = poly_uv.intersection(LineString([(minx - 1.0, v), (maxx + 1.0, v)]))
        if seg.is_empty:
            return None
        lo, hi = max(lo, seg.bounds[0]), min(hi, seg.bounds[2])
    return (lo, hi) if hi > lo else None


def _strips(deck: Prism, axes: _Axes, poly_uv: Polygon, girders: tuple[UndersideGirder, ...]) -> list[Strip]:
    _, v_min, _, v_max = poly_uv.bounds
    bands = []  # (v_lo, v_hi, u_lo, u_hi, name, depth)
    ref = _longest(girders).name if girders else ""
    for g in girders:
        (u0, v0), (u1, v1) = axes.uv(g.start_ne[1], g.start_ne[0]), axes.uv(g.end_ne[1], g.end_ne[0])
        skew = math.degrees(math.atan2(abs(v1 - v0), abs(u1 - u0)))
        if skew > MAX_GIRDER_SKEW_DEG:
            raise InputError(f"girder {g.name}: expected parallel to girder {ref} (the longest; the underside lanes "
                             f"run along the girders) within {MAX_GIRDER_SKEW_DEG:g} deg, got {skew:.1f} deg off. "
                             f"Check the girder's ends, or set inspect.underside: false")
        vc = (v0 + v1) / 2
        bands.append((vc - g.width_m / 2, vc + g.width_m / 2, min(u0, u1), max(u0, u1), g.name, g.depth_m))
    bands.sort()
    strips: list[Strip] = []
    pos, bay = v_min, 0
    for v_lo, v_hi, _, _, _, _ in bands + [(v_max, v_max, 0, 0, "", 0)]:
        if v_lo > pos + 1e-3:
            inner = _inner_u(poly_uv, pos, min(v_lo, v_max))
            if inner:
                bay += 1
                strips.append(Strip(f"{PREFIX}bay {bay}", pos, min(v_lo, v_max), *inner, deck.bottom_agl_m))
        pos = max(pos, v_hi)
    for v_lo, v_hi, u_lo, u_hi, name, depth in bands:
        lo, hi = max(v_lo, v_min), min(v_hi, v_max)
        inner = _inner_u(poly_uv, lo, hi) if hi > lo else None
        if inner and min(inner[1], u_hi) > max(inner[0], u_lo):
            strips.append(Strip(f"{PREFIX}girder {name} bottom", lo, hi, max(inner[0], u_lo), min(inner[1], u_hi),
                                deck.bottom_agl_m - depth))
    return sorted(strips, key=lambda s: (s.v_lo_m + s.v_hi_m) / 2)


@dataclass(frozen=True)
class _Piece:
    strip: Strip
    a_m: float  # first and last photo along the axis
    b_m: float
    lanes_v_m: tuple[float, ...]
    surface: Surface


def underside_scan(deck: Prism, girders: tuple[UndersideGirder, ...], design: Design, obstacles: tuple[Solid, ...],
                   min_standoff_m: float, floor_agl_m: float, ground_agl_m: float = 0.0,
                   bridge_name: str = "bridge") -> PatternResult:
    """Lanes under the soffit and the girder bottoms; ``obstacles``: every solid and keep-out volume."""
    check_gimbal(design.camera)
    s = design.standoff_m
    check_heights(bridge_name, deck.bottom_agl_m, max((g.depth_m for g in girders), default=0.0), s, ground_agl_m,
                  floor_agl_m)
    axes, poly_uv = _axes(deck, girders)
    fw, fh = design.footprint_w_m, design.footprint_h_m
    clearance = min_standoff_m + CHORD_MARGIN_M
    step = min(fw, fh) / 8
    u_ref = poly_uv.bounds[0]  # names and notes give metres from this end of the deck
    end = compass_point(-axes.ned(1.0, 0.0, 0.0))
    pieces: list[_Piece] = []
    notes: list[str] = []
    side = (compass_point(-axes.ned(0.0, 1.0, 0.0)), poly_uv.bounds[1])
    for whole in _strips(deck, axes, poly_uv, girders):
        h = whole.surface_agl_m - s
        a0, b0 = whole.u_lo_m + fw / 2, whole.u_hi_m - fw / 2
        if a0 > b0:  # shorter than a footprint: one photo in the middle
            a0 = b0 = (whole.u_lo_m + whole.u_hi_m) / 2
        us = np.unique(np.append(np.arange(a0, b0, SAMPLE_STEP_M), b0))
        parts, dead_notes = _live_parts(whole, axes, us, h, obstacles, clearance, side)
        notes += dead_notes
        for strip in parts:
            vs = stations_1d(strip.v_lo_m, strip.v_hi_m, fh, design.spacing_across_m)
            pieces_, notes_ = _strip_pieces(strip, vs, us, h, axes, obstacles, clearance, fw, step, u_ref, end)
            pieces += pieces_
            notes += notes_
    if not pieces:
        return PatternResult((), (), tuple(notes + ["underside: no lane keeps the standoff; nothing planned"]))
    passes = _lanes(pieces, axes, design, s)
    yaw = passes[0].yaw_deg[0]
    heights = sorted({round(-p.waypoints_ned[0][2], 2) for p in passes})
    notes.append(f"underside: {len(passes)} lanes at {', '.join(f'{x:.2f}' for x in heights)} m AGL ({s:.2f} m "
                 f"below the soffit / girder bottoms), gimbal +{UP_PITCH_DEG:g} deg, heading {yaw:.0f} deg (image "
                 f"width along the lanes); GNSS is poor under a deck: the waypoints are nominal, fly it with a "
                 f"vision-positioning drone and a pilot ready to take over")
    return PatternResult(tuple(passes), tuple(p.surface for p in pieces), tuple(notes))


def _live_parts(strip: Strip, axes: _Axes, us: np.ndarray, h: float, obstacles: tuple[Solid, ...],
                clearance: float, side: tuple[str, float]) -> tuple[list[Strip], list[str]]:
    """The strip cut across where a lane would be blocked over its whole length (a pier under lanes
    that run across the deck, along cross girders): each clear part gets lanes of its own, where
    the old cut-together lanes lost the whole bay. (parts, notes on the bands left out)."""
    n = max(2, int(math.ceil((strip.v_hi_m - strip.v_lo_m) / SAMPLE_STEP_M)) + 1)
    vs = np.linspace(strip.v_lo_m, strip.v_hi_m, n)
    pts = axes.ned(np.tile(us, n), np.repeat(vs, len(us)), h)
    bad = {o.name: (o.distance_m(pts) < clearance).reshape(n, len(us)) for o in obstacles}
    dead = np.logical_or.reduce(list(bad.values())).all(axis=1) if bad else np.zeros(n, bool)
    if not dead.any():
        return [strip], []
    runs = np.split(np.arange(n), np.flatnonzero(np.diff(dead.astype(int)) != 0) + 1)
    live = [r for r in runs if not dead[r[0]] and vs[r[-1]] - vs[r[0]] > SAMPLE_STEP_M / 2]
    parts = [replace(strip, name=f"{strip.name} part {k + 1}" if len(live) > 1 else strip.name,
                     v_lo_m=float(vs[r[0]]), v_hi_m=float(vs[r[-1]])) for k, r in enumerate(live)]
    notes, pos = [], strip.v_lo_m
    for lo, hi in [(p.v_lo_m, p.v_hi_m) for p in parts] + [(strip.v_hi_m, strip.v_hi_m)]:
        if lo > pos + 1e-6:
            band = (vs >= pos - 1e-9) & (vs <= lo + 1e-9)
            why = sorted(name for name, m in bad.items() if m[band].any())
            notes.append(f"{strip.name}: {pos - side[1]:.1f}-{lo - side[1]:.1f} m from the deck's {side[0]} edge not "
                         f"covered (every lane there would pass within the standoff of {', '.join(why)} over its "
                         f"whole length)")
        pos = max(pos, hi)
    return parts, notes


def _strip_pieces(strip: Strip, vs: np.ndarray, us: np.ndarray, h: float, axes: _Axes, obstacles: tuple[Solid, ...],
                  clearance: float, fw: float, step: float, u_ref: float, end: str) -> tuple[list[_Piece], list[str]]:
    """The strip's lanes cut together where any of them comes within ``clearance`` of an obstacle."""
    pieces: list[_Piece] = []
    ok = np.ones(len(us), bool)
    blocked_by: dict[str, np.ndarray] = {}
    for v in vs:
        pts = axes.ned(us, v, h)
        for o in obstacles:
            bad = o.distance_m(pts) < clearance
            if bad.any():
                blocked_by[o.name] = blocked_by.get(o.name, np.zeros(len(us), bool)) | bad
                ok &= ~bad
    runs = [r for r in np.split(np.arange(len(us)), np.flatnonzero(np.diff(ok.astype(int)) != 0) + 1) if ok[r[0]]]
    covered = []
    for run in runs:
        a, b = float(us[run[0]]), float(us[run[-1]])
        lo, hi = max(strip.u_lo_m, a - fw / 2), min(strip.u_hi_m, b + fw / 2)
        name = f"{strip.name} {lo - u_ref:.1f}-{hi - u_ref:.1f} m"
        surf = rectangle_surface(name, axes.ned(lo, strip.v_lo_m, strip.surface_agl_m), axes.ned(1.0, 0.0, 0.0),
                                 axes.ned(0.0, 1.0, 0.0), hi - lo, strip.v_hi_m - strip.v_lo_m,
                                 np.array([0.0, 0.0, 1.0]), step)
        pieces.append(_Piece(strip, a, b, tuple(float(v) for v in vs), surf))
        covered.append((lo, hi))
    return pieces, _gap_notes(strip, covered, us, blocked_by, fw / 2, u_ref, end)


def _gap_notes(strip: Strip, covered: list[tuple[float, float]], us: np.ndarray, blocked_by: dict[str, np.ndarray],
               reach_m: float, u_ref: float, end: str) -> list[str]:
    """One note per stretch of the strip no photo covers, naming what kept the lanes away from it."""
    out, pos = [], strip.u_lo_m
    for lo, hi in sorted(covered) + [(strip.u_hi_m, strip.u_hi_m)]:
        if lo > pos + 1e-6:
            near = (us >= pos - reach_m - 1e-9) & (us <= lo + reach_m + 1e-9)  # lane stations that would see it
            why = sorted(n for n, m in blocked_by.items() if np.any(m & near))
            out.append(f"{strip.name}: {pos - u_ref:.1f}-{lo - u_ref:.1f} m from the deck's {end} end not covered "
                       f"(lanes keep the standoff from {', '.join(why) or 'a structure'}; photos reach half a "
                       f"footprint past a lane's end)")
        pos = max(pos, hi)
    return out


def _lanes(pieces: list[_Piece], axes: _Axes, design: Design, s: float) -> list[Pass]:
    """Serpentine: span by span along the deck (pieces whose lanes overlap along the axis), strip by
    strip across it, alternating direction, so each move is short."""
    order = sorted(range(len(pieces)), key=lambda i: pieces[i].a_m)
    spans: list[list[int]] = []
    for i in order:
        if spans and pieces[i].a_m <= max(pieces[j].b_m for j in spans[-1]) + 1e-6:
            spans[-1].append(i)
        else:
            spans.append([i])
    axis_ned = axes.ned(1.0, 0.0, 0.0)
    yaw = (horizontal_heading_deg(axis_ned) - 90.0) % 360.0  # image width (camera right) along the axis
    passes: list[Pass] = []
    forward = True
    for k, span in enumerate(spans):
        across = sorted(span, key=lambda i: pieces[i].lanes_v_m[0], reverse=k % 2 == 1)
        for i in across:
            pc = pieces[i]
            h = pc.strip.surface_agl_m - s
            length = pc.b_m - pc.a_m
            n_int = max(1, math.ceil(length / design.spacing_along_m - 1e-9))
            spacing = length / n_int  # <= the design spacing: whole intervals between the clear ends
            for j, v in enumerate(pc.lanes_v_m[::-1] if k % 2 == 1 else pc.lanes_v_m):
                ends = (pc.a_m, pc.b_m) if forward else (pc.b_m, pc.a_m)
                pts = tuple(_v(axes.ned(u, v, h)) for u in ends)
                name = f"{pc.surface.name} lane {j + 1}"
                if length < 1e-6:
                    passes.append(Pass(name, pts[:1], (yaw,), (UP_PITCH_DEG,), "each"))
                else:
                    passes.append(Pass(name, pts, (yaw, yaw), (UP_PITCH_DEG,) * 2, "distance", spacing))
                forward = not forward
    return passes


def _v(p: np.ndarray) -> Vec:
    p = np.asarray(p, float).ravel()
    return (float(p[0]), float(p[1]), float(p[2]))


__all__ = ["PREFIX", "Strip", "UP_PITCH_DEG", "UndersideGirder", "check_gimbal", "check_heights", "underside_scan",
           "underside_standoff_m"]
