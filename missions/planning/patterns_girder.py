"""Oblique lines along bridge girders: the camera below or beside the deck, gimbal pitched up.

Each side face of a girder (a vertical strip ``depth_m`` tall under the deck, the girder's length)
gets a straight line parallel to the girder. The line's place in the girder's cross-section
(offset from the face, height) is searched on a 0.1 m grid for the one whose photos use the most
girder length, subject to:
- clearance: at least the site's minimum standoff (+5 cm) from the deck and every girder (piers
  are checked along the line afterwards; blocked stretches are dropped and noted);
- the gimbal: pitch up at most the camera profile's ``gimbal_max_up_deg``;
- line of sight to the face's top and bottom edges past the deck and the other girders;
- GSD: the camera looks at the face's mid-depth; a point of the face counts as used when its
  local GSD (``gsd.local_gsd_m``: along the tilt the oblique view stretches it by 1/cos(incidence),
  and the far, upper part of the face is further away) is at most the requirement. The used
  length must cover the whole face depth; photos are spaced for the front overlap of used lengths.
Photos by distance (DO_SET_CAM_TRIGG_DIST) on a level lane, heading square to the girder, gimbal
pitch fixed (DO_GIMBAL_MANAGER_PITCHYAW), as for pier faces.

The deck underside between girders is not covered by these lines: from lines that keep the standoff
it is seen at more than the 60 deg incidence coverage accepts; ``patterns_underside`` flies it with
a gimbal that can look straight up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from missions.planning.design import Design
from missions.planning.geometry import (Frustum, Prism, Solid, Surface, compass_point, horizontal_heading_deg,
                                        rectangle_surface, unit)
from missions.planning.gsd import CHORD_MARGIN_M, camera_rotation, plane_gsd_batch_m
from missions.planning.patterns import Pass, PatternResult
from missions.planning.safety import is_keep_out

GRID_STEP_M = 0.1
SEARCH_STEP_M = 0.2  # coarser grid used when comparing standoffs
LINE_CHECK_STEP_M = 0.25
SURFACE_SAMPLES_PER_USED_LENGTH = 48
_X_SAMPLES, _Z_SAMPLES = 33, 7
_BATCH = 512


@dataclass(frozen=True)
class GirderFace:
    name: str
    origin_ned: tuple[float, float, float]  # start of the girder, on the face, at ground level
    along_ned: tuple[float, float, float]  # unit, horizontal, start to end
    normal_ned: tuple[float, float, float]  # unit, horizontal, out of the face
    length_m: float
    bottom_agl_m: float
    top_agl_m: float

    def point(self, x_m: float | np.ndarray, h_agl_m: float | np.ndarray, out_m: float | np.ndarray = 0.0
              ) -> np.ndarray:
        """NED points at distance x along the girder, height h, out_m in front of the face."""
        x, h, o = np.broadcast_arrays(np.asarray(x_m, float), np.asarray(h_agl_m, float), np.asarray(out_m, float))
        return (np.asarray(self.origin_ned)[None, :] + x.reshape(-1, 1) * np.asarray(self.along_ned)[None, :]
                + o.reshape(-1, 1) * np.asarray(self.normal_ned)[None, :]
                + np.stack([0 * h.ravel(), 0 * h.ravel(), -h.ravel()], axis=1))


@dataclass(frozen=True)
class GirderView:
    """Where a face's line flies in the girder's cross-section and what its photos deliver."""

    out_m: float  # horizontal, from the face plane outwards
    height_agl_m: float
    pitch_deg: float  # gimbal, up positive
    yaw_deg: float
    aim_height_agl_m: float  # the optical axis meets the face at this height
    range_m: float  # camera to the aim point along the optical axis
    incidence_deg: float  # between the optical axis and the face normal
    usable_half_length_m: float  # used length of face each side of the frame centre
    clearance_m: float  # to the deck and girders


def girder_faces(name: str, p0_ne: tuple[float, float], p1_ne: tuple[float, float], width_m: float,
                 bottom_agl_m: float, top_agl_m: float) -> tuple[GirderFace, GirderFace]:
    a = np.array([p1_ne[0] - p0_ne[0], p1_ne[1] - p0_ne[1], 0.0])
    length = float(np.linalg.norm(a))
    along = unit(a)
    faces = []
    for n in (np.array([-along[1], along[0], 0.0]), np.array([along[1], -along[0], 0.0])):
        origin = np.array([p0_ne[0], p0_ne[1], 0.0]) + n * width_m / 2
        faces.append(GirderFace(f"girder {name} {compass_point(n)} face", _v(origin), _v(along), _v(n), length,
                                bottom_agl_m, top_agl_m))
    return faces[0], faces[1]


def best_view(face: GirderFace, design: Design, long_solids: tuple[Solid, ...], min_standoff_m: float,
              min_agl_m: float, gimbal_max_up_deg: float, step_m: float = GRID_STEP_M
              ) -> tuple[GirderView | None, str]:
    """The cross-section position whose photos use the most face length; (None, why) if none works."""
    cam = design.camera.model(design.focal_length_mm)
    g = design.requirement.gsd_required_m
    x_mid = face.length_m / 2
    aim_h = (face.bottom_agl_m + face.top_agl_m) / 2
    outs = np.arange(step_m, design.standoff_m + 1e-9, step_m)
    hs = np.arange(min_agl_m, face.top_agl_m + 1e-9, step_m)
    oo, hh = (a.ravel() for a in np.meshgrid(outs, hs))
    pts = face.point(x_mid, hh, oo)
    clear = np.min([s.distance_m(pts) for s in long_solids], axis=0)
    pitch = np.degrees(np.arctan2(aim_h - hh, oo))
    ok = (clear >= min_standoff_m + CHORD_MARGIN_M) & (pitch <= gimbal_max_up_deg + 1e-9)
    if not np.any(clear >= min_standoff_m + CHORD_MARGIN_M):
        return None, "no place below the deck keeps the minimum standoff"
    if not np.any(ok):
        needed = float(np.min(pitch[clear >= min_standoff_m + CHORD_MARGIN_M]))
        return None, f"needs the gimbal to look up {needed:.0f} deg (this camera's limit: {gimbal_max_up_deg:g} deg)"
    yaw = horizontal_heading_deg(-np.asarray(face.normal_ned))
    x_lim = design.standoff_m * (cam.width_px / 2) / cam.fx_px * 1.2
    xs = np.linspace(0.0, x_lim, _X_SAMPLES)
    zs = np.linspace(face.bottom_agl_m, face.top_agl_m, _Z_SAMPLES)
    xx, zz = (a.ravel() for a in np.meshgrid(xs, zs, indexing="ij"))
    face_pts = face.point(x_mid + xx, zz)
    idx = np.flatnonzero(ok)
    usable = np.zeros(len(idx))
    for lo in range(0, len(idx), _BATCH):
        k = idx[lo:lo + _BATCH]
        gsd = plane_gsd_batch_m(cam, pts[k], yaw, pitch[k], face_pts, np.asarray(face.normal_ned))
        worst = np.maximum.accumulate(gsd.reshape(len(k), _X_SAMPLES, _Z_SAMPLES).max(axis=2), axis=1)
        good = worst <= g
        last = np.where(good.all(axis=1), _X_SAMPLES - 1, np.argmin(good, axis=1) - 1)
        usable[lo:lo + len(k)] = np.where(good[:, 0], xs[np.maximum(last, 0)], -1.0)
    order = np.lexsort((-clear[idx], -usable))  # most usable length first, then most clearance
    edges = face.point(x_mid, np.array([face.bottom_agl_m, face.top_agl_m]))
    for j in order:
        if usable[j] <= 1e-6:
            break
        k = idx[j]
        if not _line_of_sight(pts[k], edges, long_solids):
            continue
        axis = camera_rotation(yaw, float(pitch[k]))[:, 2]
        aim = face.point(x_mid, aim_h)[0]
        inc = math.degrees(math.acos(min(1.0, abs(float(axis @ np.asarray(face.normal_ned))))))
        return GirderView(float(oo[k]), float(hh[k]), float(pitch[k]), yaw, aim_h, float(np.linalg.norm(aim - pts[k])),
                          inc, float(usable[j]), float(clear[k])), ""
    return None, (f"no place within the gimbal limit sees the whole face depth at GSD <= {g * 1000:.3f} mm/px "
                  f"(the standoff {design.standoff_m:.2f} m is too short for the oblique view)")


def _line_of_sight(c: np.ndarray, targets: np.ndarray, solids: tuple[Solid, ...]) -> bool:
    t = np.linspace(0.0, 1.0, 41)[:-1, None]  # the last sample would touch the face itself
    for p in targets:
        seg = c[None, :] * (1 - t * 0.995) + p[None, :] * t * 0.995
        if any(float(np.min(s.distance_m(seg))) <= 1e-3 for s in solids):
            return False
    return True


def girder_scan(face: GirderFace, view: GirderView, design: Design, solids: tuple[Solid, ...],
                min_standoff_m: float, reverse: bool = False) -> PatternResult:
    """Lanes along the face at ``view``'s place; stretches within the standoff of a solid (piers) are
    dropped, each remaining run covering its own piece of the face."""
    u = view.usable_half_length_m
    spacing = 2 * u * (1 - design.requirement.front_overlap)
    length = face.length_m
    if length <= 2 * u:
        xs = np.array([length / 2])
    else:
        k = int(math.ceil((length - 2 * u) / spacing - 1e-9)) + 1
        half = (k - 1) * spacing / 2
        xs = length / 2 - half + np.arange(k) * spacing
    line = face.point(xs, view.height_agl_m, view.out_m)
    ok = np.array([_leg_clear(line[i], line[i], solids, min_standoff_m) for i in range(len(xs))])
    runs = [r for r in np.split(np.arange(len(xs)), np.flatnonzero(np.diff(ok.astype(int)) != 0) + 1) if ok[r[0]]]
    runs = [piece for r in runs for piece in _split_blocked(r, line, solids, min_standoff_m)]
    passes, surfaces, notes = [], [], []
    step = min(2 * u, face.top_agl_m - face.bottom_agl_m) / SURFACE_SAMPLES_PER_USED_LENGTH
    covered = []
    for j, run in enumerate(runs[::-1] if reverse else runs):
        a, b = max(0.0, xs[run[0]] - u), min(length, xs[run[-1]] + u)
        covered.append((a, b))
        name = face.name if len(runs) == 1 else f"{face.name} {a:.1f}-{b:.1f} m"
        pts = tuple(_v(line[i]) for i in (run[::-1] if reverse else run))
        if len(pts) == 1:
            passes.append(Pass(f"{name} line", pts, (view.yaw_deg,), (view.pitch_deg,), "each"))
        else:
            passes.append(Pass(f"{name} line", (pts[0], pts[-1]), (view.yaw_deg,) * 2, (view.pitch_deg,) * 2,
                               "distance", spacing))
        origin = face.point(a, face.bottom_agl_m)[0]
        surfaces.append(rectangle_surface(name, origin, np.asarray(face.along_ned), np.array([0.0, 0.0, -1.0]), b - a,
                                          face.top_agl_m - face.bottom_agl_m, np.asarray(face.normal_ned), step))
    for solid, a, b in _occluders(face, view, solids):
        notes.append(f"{face.name}: {solid} stands between the line and the face at {a:.1f}-{b:.1f} m along the "
                     f"girder; it hides part of the face there (occlusion is not modelled in the coverage figures)")
    gaps = _gaps(sorted(covered), length)
    if gaps:
        notes.append(f"{face.name}: " + ", ".join(f"{a:.1f}-{b:.1f} m" for a, b in gaps)
                     + " along the girder not planned (a pier or other structure within the standoff of the line)")
    notes.append(f"{face.name}: line {view.out_m:.1f} m out, {view.height_agl_m:.1f} m AGL, gimbal "
                 f"{view.pitch_deg:+.1f} deg, {view.range_m:.2f} m to the face at {view.incidence_deg:.1f} deg "
                 f"incidence; {2 * u:.2f} m of girder used per photo, photos every {spacing:.2f} m")
    return PatternResult(tuple(passes), tuple(surfaces), tuple(notes))


def girder_patterns(faces: tuple[GirderFace, ...], design: Design, solids: tuple[Solid, ...], min_standoff_m: float,
                    min_agl_m: float) -> PatternResult:
    """A line per face that has a view, serpentine from face to face; faces without one are noted.
    Moves between faces go round the girder ends (``_round_the_end``), never under the deck; a
    stretch of line that no transit can reach (piers closing a bay under the deck) is dropped and
    noted rather than flown."""
    long_solids = tuple(s for s in solids if s.name == "deck" or s.name.startswith("girder "))
    passes: list[Pass] = []
    surfaces: list[Surface] = []
    notes: list[str] = []
    planned = 0
    for face in faces:
        view, why = best_view(face, design, long_solids, min_standoff_m, min_agl_m, design.camera.gimbal_max_up_deg)
        if view is None:
            notes.append(f"{face.name}: not planned ({why})")
            continue
        r = girder_scan(face, view, design, solids, min_standoff_m, reverse=planned % 2 == 1)
        planned += 1
        notes += r.notes
        new_face = True
        for ps, surf in zip(r.passes, r.surfaces):
            if not passes:
                out = _beyond(ps, ps.waypoints_ned[0], solids, min_standoff_m)
                via: tuple[tuple[float, float, float], ...] | None = (out,) if out else ()
            else:
                via = _connect(passes[-1], ps, solids, min_standoff_m, new_face)
            if via is None:
                notes.append(f"{surf.name}: not planned (no transit reaches this stretch of line while keeping the "
                             f"standoff; piers close the bay under the deck, or abutments / keep-outs the ends)")
                continue
            passes.append(replace(ps, via_ned=via))
            surfaces.append(surf)
            new_face = False
    if passes:
        out = _beyond(passes[-1], passes[-1].waypoints_ned[-1], solids, min_standoff_m)
        passes[-1] = replace(passes[-1], exit_ned=(out,) if out else ())
    return PatternResult(tuple(passes), tuple(surfaces), tuple(notes))


def _connect(prev: Pass, nxt: Pass, solids: tuple[Solid, ...], min_standoff_m: float, new_face: bool
             ) -> tuple[tuple[float, float, float], ...] | None:
    """Transit points from ``prev``'s end to ``nxt``'s start, or None when none is found."""
    from missions.planning.routing import detour

    a, b = np.asarray(prev.end_ned, float), np.asarray(nxt.waypoints_ned[0], float)
    if _leg_clear(a, b, solids, min_standoff_m):
        return ()
    if new_face:
        via = _round_the_end(prev, nxt, solids, min_standoff_m) or _over_the_top(prev, nxt, solids, min_standoff_m)
        if via:
            return via
    pts = [a] + detour(a, b, solids, min_standoff_m + CHORD_MARGIN_M) + [b]
    if len(pts) > 2 and all(_leg_clear(p, q, solids, min_standoff_m) for p, q in zip(pts[:-1], pts[1:])):
        return tuple(_v(p) for p in pts[1:-1])
    return None


def _outward(ps: Pass, end: tuple[float, float, float]) -> np.ndarray:
    a, b = np.asarray(ps.waypoints_ned[0]), np.asarray(ps.waypoints_ned[-1])
    mid = (a + b) / 2
    d = np.asarray(end) - mid
    d[2] = 0.0
    if np.linalg.norm(d) < 1e-6:
        d = np.array([np.cos(np.radians(ps.yaw_deg[0] + 90)), np.sin(np.radians(ps.yaw_deg[0] + 90)), 0.0])
    return unit(d)


def _beyond(ps: Pass, end: tuple[float, float, float], solids: tuple[Solid, ...], min_standoff_m: float
            ) -> tuple[float, float, float] | None:
    """A point on the line's extension past ``end`` far enough to be clear of every solid."""
    e, out = np.asarray(end, float), _outward(ps, end)
    structure = tuple(s for s in solids if not is_keep_out(s))  # room to turn; keep-outs: the standoff
    for c in np.arange(min_standoff_m, 60.0, 0.5):
        p = e + out * c
        if _leg_clear(e, p, solids, min_standoff_m) and _leg_clear(p, p, structure, 2 * min_standoff_m):
            return _v(p)
    return None  # no clear way out along the line (an abutment beside it): the router takes it from the end


def _round_the_end(prev: Pass, nxt: Pass, solids: tuple[Solid, ...], min_standoff_m: float
                   ) -> tuple[tuple[float, float, float], ...]:
    """Transit points from ``prev``'s end to ``nxt``'s start: none if the straight leg is clear,
    else out along both lines past the girder end, far enough for the cross leg to be clear."""
    a, b = np.asarray(prev.end_ned, float), np.asarray(nxt.waypoints_ned[0], float)
    if _leg_clear(a, b, solids, min_standoff_m):
        return ()
    oa, ob = _outward(prev, prev.waypoints_ned[-1]), _outward(nxt, nxt.waypoints_ned[0])
    for c in np.arange(min_standoff_m, 60.0, 0.5):
        pa, pb = a + oa * c, b + ob * c
        if _leg_clear(a, pa, solids, min_standoff_m) and _leg_clear(pa, pb, solids, min_standoff_m) and \
                _leg_clear(pb, b, solids, min_standoff_m):
            return (_v(pa), _v(pb))
    return ()  # routing and the safety check take it from here


def _over_the_top(prev: Pass, nxt: Pass, solids: tuple[Solid, ...], min_standoff_m: float
                  ) -> tuple[tuple[float, float, float], ...]:
    """Out from each line away from its face, up over the deck at the standoff, across and down: the
    way to the other side when abutments (keep-outs) close the girder ends. () when none is clear."""
    a, b = np.asarray(prev.end_ned, float), np.asarray(nxt.waypoints_ned[0], float)
    top = max(s.top_agl_m for s in solids if not is_keep_out(s)) + min_standoff_m + 2 * CHORD_MARGIN_M
    away = [np.array([-math.cos(math.radians(ps.yaw_deg[0])), -math.sin(math.radians(ps.yaw_deg[0])), 0.0])
            for ps in (prev, nxt)]  # the camera looks at the face: away from it is behind the camera
    for c in np.arange(0.0, 30.0, 0.5):
        pa, pb = a + away[0] * c, b + away[1] * c
        ua, ub = np.array([pa[0], pa[1], -top]), np.array([pb[0], pb[1], -top])
        legs = ((a, pa), (pa, ua), (ua, ub), (ub, pb), (pb, b))
        if all(_leg_clear(p, q, solids, min_standoff_m) for p, q in legs):
            return tuple(_v(p) for p in ((pa, ua, ub, pb) if c > 0 else (ua, ub)))
    return ()


def girder_photos(faces: tuple[GirderFace, ...], design: Design, solids: tuple[Solid, ...], min_standoff_m: float,
                  min_agl_m: float) -> tuple[int, float]:
    """(faces planned, photos needed) on the coarse grid: the planner compares zoom standoffs with it."""
    long_solids = tuple(s for s in solids if s.name == "deck" or s.name.startswith("girder "))
    planned, photos = 0, 0.0
    for face in faces:
        view, _ = best_view(face, design, long_solids, min_standoff_m, min_agl_m, design.camera.gimbal_max_up_deg,
                            SEARCH_STEP_M)
        if view is not None:
            planned += 1
            u = view.usable_half_length_m
            photos += max(0.0, math.ceil((face.length_m - 2 * u) / (2 * u * (1 - design.requirement.front_overlap))))
            photos += 1
    return planned, photos


def _occluders(face: GirderFace, view: GirderView, solids: tuple[Solid, ...]) -> list[tuple[str, float, float]]:
    """Solids other than the deck and girders (piers) inside the plan-view strip between the line and
    the face, as (name, from, to) along the girder, widened by the used half length."""
    import shapely
    from shapely.geometry import Point, Polygon

    corners = [face.point(x, 0.0, o)[0] for x, o in ((0.0, 0.0), (face.length_m, 0.0), (face.length_m, view.out_m),
                                                      (0.0, view.out_m))]
    strip = Polygon([(float(p[1]), float(p[0])) for p in corners])
    out = []
    for s in solids:
        if isinstance(s, Prism) and s.name != "deck" and not s.name.startswith("girder "):
            foot = s.polygon()
        elif isinstance(s, Frustum):
            foot = Point(s.centre_ne_m[1], s.centre_ne_m[0]).buffer(max(s.bottom_radius_m, s.top_radius_m))
        else:
            continue
        if s.bottom_agl_m > face.top_agl_m or strip.intersection(foot).is_empty:
            continue
        en = shapely.get_coordinates(strip.intersection(foot))
        xs = (np.stack([en[:, 1], en[:, 0], 0 * en[:, 0]], axis=1) - np.asarray(face.origin_ned)) @ \
            np.asarray(face.along_ned)
        u = view.usable_half_length_m
        out.append((s.name, max(0.0, float(xs.min()) - u), min(face.length_m, float(xs.max()) + u)))
    return out


def _leg_clear(a: np.ndarray, b: np.ndarray, solids: tuple[Solid, ...], min_standoff_m: float) -> bool:
    n = max(2, int(math.ceil(float(np.linalg.norm(b - a)) / LINE_CHECK_STEP_M)) + 1)
    t = np.linspace(0.0, 1.0, n)[:, None]
    seg = a[None, :] * (1 - t) + b[None, :] * t
    return all(float(np.min(s.distance_m(seg))) >= min_standoff_m + CHORD_MARGIN_M for s in solids)


def _split_blocked(run: np.ndarray, line: np.ndarray, solids: tuple[Solid, ...], min_standoff_m: float
                   ) -> list[np.ndarray]:
    """Split a run of clear stations where the leg between two of them is not clear."""
    cuts = [i + 1 for i in range(len(run) - 1) if not _leg_clear(line[run[i]], line[run[i + 1]], solids,
                                                                  min_standoff_m)]
    return [r for r in np.split(run, cuts) if len(r)]


def _gaps(covered: list[tuple[float, float]], length: float) -> list[tuple[float, float]]:
    gaps, pos = [], 0.0
    for a, b in covered:
        if a > pos + 1e-6:
            gaps.append((pos, a))
        pos = max(pos, b)
    if pos < length - 1e-6:
        gaps.append((pos, length))
    return gaps


def _v(p: np.ndarray) -> tuple[float, float, float]:
    return (float(p[0]), float(p[1]), float(p[2]))


__all__ = ["GirderFace", "GirderView", "best_view", "girder_faces", "girder_patterns", "girder_photos",
           "girder_scan"]
