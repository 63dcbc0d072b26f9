"""Coverage: project the planned frames through the camera model onto the requested surfaces.

Each photo station gives a camera pose (position; yaw and gimbal pitch with the camera level in
roll, as the stabilised gimbal holds it) and ``CameraModel`` maps surface points to pixels.
- point coverage (any surface): a sample point is seen when it projects inside the image, in
  front of the camera, on the side its normal faces, at less than ``MAX_INCIDENCE_DEG``;
  the GSD there is the exact local GSD (``gsd.local_gsd_m``: the longest surface distance one
  pixel spans). Occlusion by other parts is not modelled.
- at the required GSD (``gsd_limit_m``; ``plan_coverage`` uses the requirement + GSD_TOLERANCE):
  a frame *uses* the points it sees at GSD <= the limit. Reported: the fraction of points used by
  some frame, and the overlap of used point sets (front: consecutive frames of a pass; side: the
  best frame of the next pass), which is what curved surfaces and oblique views are planned on.
- planar surfaces also get exact footprints: the image border is cast as rays onto the plane
  (``pixel_to_ray`` + ``intersect_plane``), giving polygons in face coordinates; coverage is the
  area of the face not inside any footprint; front overlap is shared area of consecutive frames
  in a pass, side overlap the best shared area with a frame of the next pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy.sparse import csr_matrix
from shapely.geometry import Polygon, box
from shapely.ops import unary_union

from skyinspect.camera import CameraModel
from skyinspect.surface import intersect_plane

from missions.planning.geometry import Surface
from missions.planning.blocks import CELL_SPACINGS, point_blocks
from missions.planning.gsd import (GSD_TOLERANCE, MAX_INCIDENCE_DEG, camera_rotation, seen_gsd_m, tangent_basis,
                                  view_half_tangents)
from missions.planning.patterns import Pass

BORDER_SAMPLES = 16


@dataclass(frozen=True)
class SurfaceCoverage:
    surface: str
    points: int
    covered_fraction: float  # sample points seen by at least one frame
    area_covered_fraction: float | None  # planar only: exact footprint union over the face
    min_front_overlap: float | None  # planar only
    min_side_overlap: float | None  # planar only
    median_gsd_m: float  # best view per point
    max_gsd_m: float  # worst over the points of their best view (exact local GSD)
    frames: int
    gsd_limit_m: float | None = None
    covered_at_gsd_fraction: float | None = None  # points some frame sees at GSD <= gsd_limit_m
    used_front_overlap: float | None = None  # min over consecutive frames of shared used points / used points
    used_side_overlap: float | None = None  # min over frames of the best share with a frame of the next pass


def _frames(passes: tuple[Pass, ...], surface: Surface) -> list[list[tuple[np.ndarray, np.ndarray]]]:
    return [[(p, camera_rotation(y, g)) for p, y, g in ps.stations()] for ps in passes
            if ps.name.startswith(surface.name)]


def footprint_uv(cam: CameraModel, c_ned: np.ndarray, r: np.ndarray, surface: Surface) -> Polygon | None:
    origin, u, v, _, _ = surface.plane  # type: ignore[misc]
    w, h = cam.width_px, cam.height_px  # outer pixel edges: -0.5 .. size - 0.5
    t = np.linspace(0, 1, BORDER_SAMPLES, endpoint=False)
    border = np.concatenate([np.stack([t * w, 0 * t], 1), np.stack([w + 0 * t, t * h], 1),
                             np.stack([w - t * w, h + 0 * t], 1), np.stack([0 * t, h - t * h], 1)]) - 0.5
    rays = cam.pixel_to_ray(border) @ r.T
    pts, rng = intersect_plane(c_ned, rays, origin, surface.normals_ned[0])
    if np.any(~np.isfinite(rng)):
        return None
    rel = pts - origin
    return Polygon(np.stack([rel @ u, rel @ v], 1)).buffer(0)


def coverage(passes: tuple[Pass, ...], surface: Surface, cam: CameraModel,
             gsd_limit_m: float | None = None, on_frame: Callable[[], None] | None = None) -> SurfaceCoverage:
    """``on_frame`` after each photo (a progress bar). Each photo looks only at the points of the
    blocks near its view (``blocks.PointBlocks``): the same points seen, without a pass over all."""
    lanes = _frames(passes, surface)
    flat = [f for lane in lanes for f in lane]
    x = surface.points_ned
    best_gsd = np.full(len(x), np.inf)
    used: list[np.ndarray] = []
    tangents = tangent_basis(surface.normals_ned)
    blocks = point_blocks(x, CELL_SPACINGS * surface.spacing_m, surface.normals_ned)
    tan_u, tan_v = view_half_tangents(cam)
    for c, r in flat:
        if on_frame is not None:
            on_frame()
        idx, gsd = seen_gsd_m(cam, c, r, x, surface.normals_ned, tangents, blocks.candidates(c, r, tan_u, tan_v))
        best_gsd[idx] = np.minimum(best_gsd[idx], gsd)
        if gsd_limit_m is not None:  # the points a frame uses, as sorted indices: a frame sees a few of
            used.append(idx[gsd <= gsd_limit_m].astype(np.int32))  # them; dense masks took N x frames bytes
    seen = np.isfinite(best_gsd)
    area_frac = front = side = None
    if surface.plane is not None and flat:
        _, _, _, width, height = surface.plane
        fps = [[footprint_uv(cam, c, r, surface) for c, r in lane] for lane in lanes]
        region = box(0, 0, width, height)
        union = unary_union([p for lane in fps for p in lane if p is not None])
        area_frac = 1.0 - region.difference(union).area / region.area
        fronts = [a.intersection(b).area / a.area for lane in fps for a, b in zip(lane[:-1], lane[1:])
                  if a is not None and b is not None]
        sides = [max(a.intersection(b).area for b in nxt if b is not None) / a.area
                 for lane, nxt in zip(fps[:-1], fps[1:]) for a in lane if a is not None]
        front = min(fronts) if fronts else None
        side = min(sides) if sides else None
    g = best_gsd[seen]
    out = SurfaceCoverage(surface.name, len(x), float(seen.mean()) if len(x) else 0.0, area_frac, front, side,
                          float(np.median(g)) if len(g) else float("nan"),
                          float(g.max()) if len(g) else float("nan"), len(flat))
    if gsd_limit_m is None:
        return out
    return replace(out, gsd_limit_m=gsd_limit_m, **_used_overlaps(lanes, used, len(x)))


def _used_overlaps(lanes: list[list[tuple[np.ndarray, np.ndarray]]], used: list[np.ndarray],
                   n_points: int) -> dict[str, float | None]:
    """Coverage and overlaps of the point sets each frame sees at the GSD limit (``used``: each
    frame's point indices, sorted). Shared points are counted for all pairs at once as products of
    sparse frame x point incidence matrices (a frame against every frame of the next pass)."""
    per_lane, k = [], 0
    for lane in lanes:
        per_lane.append(_incidence(used[k:k + len(lane)], n_points))
        k += len(lane)
    any_used = np.zeros(n_points, bool)
    for idx in used:
        any_used[idx] = True
    fronts: list[float] = []
    sides: list[float] = []
    for m, nxt in zip(per_lane, per_lane[1:] + [None]):
        sizes = np.diff(m.indptr)
        if m.shape[0] > 1:
            shared = np.asarray(m[:-1].multiply(m[1:]).sum(axis=1)).ravel()
            fronts += list(shared[sizes[:-1] > 0] / sizes[:-1][sizes[:-1] > 0])
        if nxt is not None and nxt.shape[0] > 0 and m.shape[0] > 0:
            best = (m @ nxt.T).max(axis=1).toarray().ravel()
            sides += list(best[sizes > 0] / sizes[sizes > 0])
    return {"covered_at_gsd_fraction": float(any_used.mean()) if n_points else 0.0,
            "used_front_overlap": float(min(fronts)) if fronts else None,
            "used_side_overlap": float(min(sides)) if sides else None}


def _incidence(frames: list[np.ndarray], n_points: int) -> csr_matrix:
    """Frames x points, 1 where a frame uses a point."""
    indptr = np.concatenate([[0], np.cumsum([len(f) for f in frames], dtype=np.int64)])
    index_type = np.int32 if indptr[-1] < np.iinfo(np.int32).max else np.int64  # scipy's own choice
    indptr = indptr.astype(index_type)
    indices = np.concatenate(frames).astype(index_type, copy=False) if frames else np.zeros(0, index_type)
    return csr_matrix((np.ones(len(indices), np.int32), indices, indptr), shape=(len(frames), n_points))


def plan_coverage(plan, on_frame: Callable[[], None] | None = None) -> list[SurfaceCoverage]:  # type: ignore[no-untyped-def]
    """Coverage of every requested surface, with the used-part figures at the required GSD (+2 %)."""
    cam = plan.camera.model(plan.design.focal_length_mm)
    limit = plan.design.requirement.gsd_required_m * (1.0 + GSD_TOLERANCE)
    return [coverage(plan.passes, s, cam, limit, on_frame) for s in plan.surfaces]


def coverage_frame_count(plan) -> int:  # type: ignore[no-untyped-def]
    """How many photos ``plan_coverage`` checks (those of passes over a requested surface)."""
    return sum(len(f) for s in plan.surfaces for f in _frames(plan.passes, s))


__all__ = ["MAX_INCIDENCE_DEG", "SurfaceCoverage", "camera_rotation", "coverage", "coverage_frame_count",
           "footprint_uv", "plan_coverage"]
