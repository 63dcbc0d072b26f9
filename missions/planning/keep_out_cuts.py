"""Photo lanes cut where they come within the standoff of a keep-out volume.

A keep-out across a lane (a power line over a pipeline's right of way, a road or railway corridor)
made the lane fly through it, and the plan was refused by the keep_out rule with nothing the operator
could change but the keep-out. Now each distance-triggered lane keeps only the stretches that stay
``clearance_m`` from every keep-out: a stretch starts at the lane's first photo inside it, so the photos
kept are exactly the lane's own (the distance trigger counts from the piece's start), and the photos
dropped are noted. The router then takes the transit between the pieces round the keep-out.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from missions.planning.geometry import Solid
from missions.planning.patterns import Pass, PatternResult

SAMPLE_STEP_M = 0.1


def cut_at_keep_outs(pattern: PatternResult, keep_outs: tuple[Solid, ...], clearance_m: float) -> PatternResult:
    if not keep_outs:
        return pattern
    passes: list[Pass] = []
    notes: list[str] = []
    for ps in pattern.passes:
        pieces, note = _cut(ps, keep_outs, clearance_m)
        passes += pieces
        notes += note
    return PatternResult(tuple(passes), pattern.surfaces, pattern.notes + tuple(notes))


def _cut(ps: Pass, keep_outs: tuple[Solid, ...], clearance_m: float) -> tuple[list[Pass], list[str]]:
    if ps.trigger != "distance" or len(ps.waypoints_ned) != 2 or ps.spacing_m <= 0:
        return [ps], []
    a, b = np.asarray(ps.waypoints_ned[0], float), np.asarray(ps.waypoints_ned[1], float)
    length = float(np.linalg.norm(b - a))
    if length <= 0:
        return [ps], []
    d = (b - a) / length
    u = np.append(np.arange(0.0, length, SAMPLE_STEP_M), length)
    pts = a[None, :] + u[:, None] * d[None, :]
    near = {s.name: s.distance_m(pts) < clearance_m for s in keep_outs}
    blocked = np.logical_or.reduce(list(near.values()))
    if not blocked.any():
        return [ps], []
    photos = np.arange(len(ps.stations())) * ps.spacing_m  # along the lane, as the trigger takes them
    runs = np.split(np.arange(len(u)), np.flatnonzero(np.diff(blocked.astype(int)) != 0) + 1)
    pieces: list[tuple[float, float]] = []
    for r in (r for r in runs if not blocked[r[0]]):
        lo, hi = float(u[r[0]]), float(u[r[-1]])
        inside = photos[(photos >= lo - 1e-9) & (photos <= hi + 1e-9)]
        if len(inside):
            pieces.append((float(inside[0]), hi))
    kept = sum(int(np.sum((photos >= lo - 1e-9) & (photos <= hi + 1e-9))) for lo, hi in pieces)
    why = ", ".join(sorted(n for n, m in near.items() if m.any()))
    gaps = [(float(u[r[0]]), float(u[r[-1]])) for r in runs if blocked[r[0]]]
    note = (f"{ps.name}: {', '.join(f'{lo:.1f}-{hi:.1f} m' for lo, hi in gaps)} along the lane not flown (within "
            f"the standoff of {why}); {len(photos) - kept} of its {len(photos)} photos left out")
    out = []
    for k, (lo, hi) in enumerate(pieces):
        name = ps.name if len(pieces) == 1 else f"{ps.name} ({chr(ord('a') + k)})"
        keep = dict(name=name, via_ned=ps.via_ned if k == 0 else (), exit_ned=ps.exit_ned if k == len(pieces) - 1 else ())
        if hi - lo < 1e-6:  # room for one photo only: taken at a hold
            out.append(replace(ps, waypoints_ned=(_v(a + d * lo),), yaw_deg=ps.yaw_deg[:1],
                               gimbal_pitch_deg=ps.gimbal_pitch_deg[:1], trigger="each", spacing_m=0.0, **keep))
        else:
            out.append(replace(ps, waypoints_ned=tuple(_v(a + d * x) for x in (lo, hi)), **keep))
    return out, [note]


def _v(p: np.ndarray) -> tuple[float, float, float]:
    return (float(p[0]), float(p[1]), float(p[2]))


__all__ = ["cut_at_keep_outs"]
