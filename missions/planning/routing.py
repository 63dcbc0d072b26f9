"""Transit routing: straight when clear, otherwise a detour round the structures at the standoff.

Transits join passes (and home to the first pass and back). A leg is clear when every sample
along it keeps ``clearance_m`` from every solid. A blocked leg gets one or two detour points
offset sideways from the leg (or, failing that, lifted), tried in growing steps, or, failing
those, one dog-leg point from a grid round the leg; the safety check still judges the result, so a
route this cannot find is refused, never flown. The planner passes keep-out volumes as obstacles too.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from missions.planning.geometry import Solid
from missions.planning.patterns import Pass

STEP_M = 0.25
GRID_STEP_M, GRID_REACH_M = 2.0, 30.0
ENDPOINT_SLACK_M = 0.05  # the margin the planner adds to the standoff for routing
Vec = tuple[float, float, float]


def leg_clear(a: np.ndarray, b: np.ndarray, solids: tuple[Solid, ...], clearance_m: float) -> bool:
    n = max(2, int(math.ceil(float(np.linalg.norm(b - a)) / STEP_M)) + 1)
    t = np.linspace(0.0, 1.0, n)[:, None]
    pts = a[None, :] * (1 - t) + b[None, :] * t
    return all(float(np.min(s.distance_m(pts))) >= clearance_m for s in solids)


def detour(a: np.ndarray, b: np.ndarray, solids: tuple[Solid, ...], clearance_m: float,
           max_agl_m: float = math.inf) -> list[np.ndarray]:
    """Points to fly through between a and b (b excluded); [] when the straight leg is clear."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    # a pass may end at the standoff itself, inside the router's margin (a pier's top ring right under
    # the girders): every leg from it then failed at its first sample, no detour was ever found and
    # the transit went straight, through both piers of the example bridge turned 290 deg (refused).
    # Such a leg may keep the end's own distance, down to the standoff (the margin less ENDPOINT_SLACK_M).
    ends_m = min((float(np.min(s.distance_m(np.stack([a, b])))) for s in solids), default=math.inf)
    if ends_m < clearance_m:
        clearance_m = max(ends_m, clearance_m - ENDPOINT_SLACK_M) - 1e-3
    if leg_clear(a, b, solids, clearance_m):
        return []
    d = b - a
    horiz = np.array([-d[1], d[0], 0.0])
    side = horiz / np.linalg.norm(horiz) if np.linalg.norm(horiz) > 1e-6 else np.array([0.0, 1.0, 0.0])
    margin = clearance_m * 1.05
    for k in range(1, 41):
        off = margin * k
        for sgn in (1.0, -1.0):
            # two corners: beside a and beside b, then straight along the offset line
            p1, p2 = a + sgn * side * off, b + sgn * side * off
            if (leg_clear(a, p1, solids, clearance_m) and leg_clear(p1, p2, solids, clearance_m)
                    and leg_clear(p2, b, solids, clearance_m)):
                return [p1, p2]
    for k in range(1, 41):  # over the top
        lift = np.array([0.0, 0.0, -margin * k])
        p1, p2 = a + lift, b + lift
        if -p1[2] > max_agl_m or -p2[2] > max_agl_m:
            break
        if (leg_clear(a, p1, solids, clearance_m) and leg_clear(p1, p2, solids, clearance_m)
                and leg_clear(p2, b, solids, clearance_m)):
            return [p1, p2]
    return _via_one_point(a, b, solids, clearance_m, max_agl_m)


def _via_one_point(a: np.ndarray, b: np.ndarray, solids: tuple[Solid, ...], clearance_m: float,
                   max_agl_m: float) -> list[np.ndarray]:
    """Last resort: the shortest dog-leg through one point of a 2 m grid round the leg (at either
    end's height), e.g. out from under a deck and round a pier; [] when none is clear."""
    if min(float(np.min(s.distance_m(np.stack([a, b])))) for s in solids) < clearance_m:
        return []  # an end is itself too close: no leg to it can be clear
    lo = np.minimum(a[:2], b[:2]) - GRID_REACH_M
    hi = np.maximum(a[:2], b[:2]) + GRID_REACH_M
    gn, ge = np.meshgrid(np.arange(lo[0], hi[0] + 1e-9, GRID_STEP_M), np.arange(lo[1], hi[1] + 1e-9, GRID_STEP_M))
    cands = [np.stack([gn.ravel(), ge.ravel(), np.full(gn.size, z)], axis=1) for z in {float(a[2]), float(b[2])}
             if -z <= max_agl_m]
    if not cands:
        return []
    pts = np.concatenate(cands)
    pts = pts[np.min([s.distance_m(pts) for s in solids], axis=0) >= clearance_m]
    cost = np.linalg.norm(pts - a, axis=1) + np.linalg.norm(pts - b, axis=1)
    # every grid point, cheapest first: the 400-point cap gave up on the way home from pier P2 of the
    # example bridge with its abutments as keep-outs (a dog-leg north of the deck, ~900 points down the
    # list) and the leg went straight through pier P1. A failing search took 1.1 s on that 64 m leg.
    for i in np.argsort(cost):
        if leg_clear(a, pts[i], solids, clearance_m) and leg_clear(pts[i], b, solids, clearance_m):
            return [pts[i]]
    return []


def route_passes(passes: tuple[Pass, ...], solids: tuple[Solid, ...], clearance_m: float, entry_agl_m: float,
                 max_agl_m: float = math.inf) -> tuple[tuple[Pass, ...], tuple[Vec, ...]]:
    """Add detours to each pass's transit points; also route the way back over home.

    Returns the passes and the via points of the return to (0, 0, -entry_agl_m)."""
    pos = np.array([0.0, 0.0, -entry_agl_m])
    out = []
    for ps in passes:
        vias: list[Vec] = []
        for target in list(ps.via_ned) + [ps.waypoints_ned[0]]:
            t = np.asarray(target, float)
            vias += [_v(p) for p in detour(pos, t, solids, clearance_m, max_agl_m)]
            if target is not ps.waypoints_ned[0]:
                vias.append(_v(t))
            pos = t
        out.append(replace(ps, via_ned=tuple(vias)))
        pos = np.asarray(ps.end_ned, float)
    home = np.array([0.0, 0.0, pos[2]])
    back = tuple(_v(p) for p in detour(pos, home, solids, clearance_m, max_agl_m))
    return tuple(out), back


def _v(p: np.ndarray) -> Vec:
    return (float(p[0]), float(p[1]), float(p[2]))
