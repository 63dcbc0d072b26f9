"""Coverage: project the planned frames through the camera model onto the requested surfaces.

Each photo station gives a camera pose (position; yaw and gimbal pitch with the camera level in
roll, as the stabilised gimbal holds it) and ``CameraModel`` maps surface points to pixels.
- point coverage (any surface): a sample point is seen when it projects inside the image, in
  front of the camera, on the side its normal faces, at less than ``MAX_INCIDENCE_DEG``;
  the GSD there is depth / fx / cos(incidence). Occlusion by other parts is not modelled.
- planar surfaces also get exact footprints: the image border is cast as rays onto the plane
  (``pixel_to_ray`` + ``intersect_plane``), giving polygons in face coordinates; coverage is the
  area of the face not inside any footprint; front overlap is shared area of consecutive frames
  in a pass, side overlap the best shared area with a frame of the next pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely.geometry import Polygon, box
from shapely.ops import unary_union

from skyinspect.camera import CameraModel
from skyinspect.pose import R_GIMBAL_CAM, euler_zyx_to_matrix
from skyinspect.surface import intersect_plane

from missions.planning.geometry import Surface
from missions.planning.patterns import Pass

MAX_INCIDENCE_DEG = 60.0
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
    max_gsd_m: float
    frames: int


def camera_rotation(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """R_ned_cam for a level (roll 0) earth-stabilised gimbal at this heading and pitch."""
    return euler_zyx_to_matrix(0.0, pitch_deg, yaw_deg) @ R_GIMBAL_CAM


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


def coverage(passes: tuple[Pass, ...], surface: Surface, cam: CameraModel) -> SurfaceCoverage:
    lanes = _frames(passes, surface)
    flat = [f for lane in lanes for f in lane]
    x = surface.points_ned
    best_gsd = np.full(len(x), np.inf)
    for c, r in flat:
        pc = (x - c) @ r  # camera-frame coordinates (rows: points)
        z = pc[:, 2]
        uv = cam.project(pc)
        inside = (z > 0) & (uv[:, 0] >= -0.5) & (uv[:, 0] <= cam.width_px - 0.5) & (uv[:, 1] >= -0.5) & \
                 (uv[:, 1] <= cam.height_px - 0.5)
        to_cam = c[None, :] - x
        cos_inc = np.einsum("ij,ij->i", surface.normals_ned, to_cam) / np.linalg.norm(to_cam, axis=1)
        ok = inside & (cos_inc > np.cos(np.radians(MAX_INCIDENCE_DEG)))
        axis_cos = np.abs(surface.normals_ned @ r[:, 2])
        gsd = z / cam.fx_px / np.maximum(axis_cos, 1e-6)
        best_gsd = np.where(ok, np.minimum(best_gsd, gsd), best_gsd)
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
    return SurfaceCoverage(surface.name, len(x), float(seen.mean()) if len(x) else 0.0, area_frac, front, side,
                           float(np.median(g)) if len(g) else float("nan"), float(g.max()) if len(g) else float("nan"),
                           len(flat))


def plan_coverage(plan) -> list[SurfaceCoverage]:  # type: ignore[no-untyped-def]
    cam = plan.camera.model(plan.design.focal_length_mm)
    return [coverage(plan.passes, s, cam) for s in plan.surfaces]
