"""Local GSD on any surface, and the design of orbits round cylinders and cones that keeps it.

Local GSD: the longest distance on the surface that one pixel spans at a point. The pinhole
projection's Jacobian restricted to the surface's tangent plane maps surface metres to pixels;
its smallest singular value is the fewest pixels per metre, so GSD = 1 / sigma_min. Square to the
surface it is depth / f_px (the design formula); tilted by ``i`` at the image centre it is
range / (f_px cos i) along the tilt and range / f_px across it.

Round surfaces curve away from the camera, so GSD grows towards the image edges (the old ring
design reached 1.19x the requirement, 1.25x by this measure). ``round_design`` flies closer than
the flat-face standoff (never closer than the site minimum) and uses only the part of each image
where the GSD stays within the requirement: an arc of +-``usable_half_angle_rad`` about the axis
and +-``usable_half_height_m`` about the frame centre. Stations and turns are spaced on that part
for the front and side overlap; the range is picked to need the fewest photos.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from skyinspect.camera import CameraModel
from skyinspect.errors import InputError
from skyinspect.pose import R_GIMBAL_CAM, euler_zyx_to_matrix

from missions.planning.design import Design

MAX_INCIDENCE_DEG = 60.0  # points seen more obliquely are not counted as covered
GSD_TOLERANCE = 0.02  # coverage counts a point at up to 2 % over the required GSD (pinhole rounding)
CHORD_MARGIN_M = 0.05  # straight legs between orbit stations keep this much beyond the minimum standoff
_RANGE_STEPS = 40
_HEIGHT_FRACTIONS = (0.5, 0.625, 0.75, 0.875, 1.0)
_ANGLE_SAMPLES = 541
VIEW_MARGIN = 1.1  # the angular pre-filters widen the view pyramid by this factor


def camera_rotation(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    """R_ned_cam for a level (roll 0) earth-stabilised gimbal at this heading and pitch."""
    return euler_zyx_to_matrix(0.0, pitch_deg, yaw_deg) @ R_GIMBAL_CAM


def tangent_basis(normals_ned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors spanning each point's tangent plane (rows match ``normals_ned``)."""
    n = np.atleast_2d(normals_ned)
    helper = np.where(np.abs(n[:, 2:3]) < 0.9, np.array([[0.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 0.0]]))
    t1 = np.cross(n, helper)
    t1 /= np.linalg.norm(t1, axis=1, keepdims=True)
    return t1, np.cross(n, t1)


def _in_cam(vectors: np.ndarray, r_ned_cam: np.ndarray, origin_ned: np.ndarray | None = None) -> np.ndarray:
    """Rows of NED vectors (points when ``origin_ned`` is given) in the camera frame, (N, 3).
    Column by column: numpy's (N, 3) @ (3, 3) is an order of magnitude slower than three (N, 3) @ (3,)."""
    v = np.atleast_2d(vectors)
    cols = [v @ r_ned_cam[:, k] - (0.0 if origin_ned is None else float(np.asarray(origin_ned) @ r_ned_cam[:, k]))
            for k in range(3)]
    return np.stack(cols, axis=1)


def view_half_tangents(cam: CameraModel) -> tuple[float, float]:
    """tan of the widest half-angle of the image across and down, widened by VIEW_MARGIN."""
    tan_u = max(cam.cx_px + 0.5, cam.width_px - 0.5 - cam.cx_px) / cam.fx_px * VIEW_MARGIN
    tan_v = max(cam.cy_px + 0.5, cam.height_px - 0.5 - cam.cy_px) / cam.fy_px * VIEW_MARGIN
    return tan_u, tan_v


def local_gsd_m(cam: CameraModel, c_ned: np.ndarray, r_ned_cam: np.ndarray, points_ned: np.ndarray,
                normals_ned: np.ndarray, tangents: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Worst-direction GSD (m/px) at each surface point seen from a camera at ``c_ned``.

    Ideal pinhole (the planning profiles have no distortion); points behind the camera give inf.
    ``tangents``: ``tangent_basis(normals_ned)`` when already computed."""
    pc = _in_cam(points_ned, r_ned_cam, c_ned)
    x, y, z = pc[:, 0], pc[:, 1], pc[:, 2]
    t1, t2 = tangents if tangents is not None else tangent_basis(normals_ned)
    out = np.full(len(pc), np.inf)
    front = z > 1e-9
    if not np.any(front):
        return out
    zf = z[front]
    jac = np.empty((int(front.sum()), 2, 2))
    for k, t in enumerate((_in_cam(t1[front], r_ned_cam), _in_cam(t2[front], r_ned_cam))):  # tangents, camera frame
        jac[:, 0, k] = cam.fx_px * (t[:, 0] - x[front] / zf * t[:, 2]) / zf
        jac[:, 1, k] = cam.fy_px * (t[:, 1] - y[front] / zf * t[:, 2]) / zf
    # smallest singular value of each 2x2 Jacobian in closed form
    frob2 = np.einsum("nij,nij->n", jac, jac)
    det = jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0]
    sigma_min2 = 2.0 * det * det / (frob2 + np.sqrt(np.maximum(frob2 * frob2 - 4.0 * det * det, 0.0)))
    out[front] = 1.0 / np.sqrt(np.maximum(sigma_min2, 1e-300))
    return out


def seen_mask(cam: CameraModel, c_ned: np.ndarray, r_ned_cam: np.ndarray, points_ned: np.ndarray,
              normals_ned: np.ndarray) -> np.ndarray:
    """Inside the image, in front of the camera, facing it at less than MAX_INCIDENCE_DEG."""
    pts = np.atleast_2d(points_ned)
    pc = _in_cam(pts, r_ned_cam, c_ned)
    uv = cam.project(pc)
    inside = (pc[:, 2] > 0) & (uv[:, 0] >= -0.5) & (uv[:, 0] <= cam.width_px - 0.5) & (uv[:, 1] >= -0.5) & \
             (uv[:, 1] <= cam.height_px - 0.5)
    to_cam = np.asarray(c_ned)[None, :] - pts
    cos_inc = np.einsum("ij,ij->i", normals_ned, to_cam) / np.linalg.norm(to_cam, axis=1)
    return inside & (cos_inc > math.cos(math.radians(MAX_INCIDENCE_DEG)))


def frame_gsd_m(cam: CameraModel, c_ned: np.ndarray, r_ned_cam: np.ndarray, points_ned: np.ndarray,
                normals_ned: np.ndarray, tangents: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """``local_gsd_m`` where ``seen_mask`` holds, inf elsewhere (``seen_gsd_m`` over all points)."""
    pts = np.atleast_2d(points_ned)
    out = np.full(len(pts), np.inf)
    idx, g = seen_gsd_m(cam, c_ned, r_ned_cam, pts, normals_ned, tangents)
    out[idx] = g
    return out


def seen_gsd_m(cam: CameraModel, c_ned: np.ndarray, r_ned_cam: np.ndarray, points_ned: np.ndarray,
               normals_ned: np.ndarray, tangents: tuple[np.ndarray, np.ndarray] | None = None,
               candidates: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The points a camera sees (``seen_mask``; ascending indices) and their ``local_gsd_m``.

    Only ``candidates`` (ascending indices; all points when None) are looked at: callers pass the
    points of the blocks near the view (``blocks.PointBlocks.candidates``). Of those, only points
    inside the view pyramid widened by 10 % are projected (a cheap angular pre-filter)."""
    pts = np.atleast_2d(points_ned)
    sub = pts if candidates is None else pts[candidates]
    x, y, z = (sub @ r_ned_cam[:, k] - float(np.asarray(c_ned) @ r_ned_cam[:, k]) for k in range(3))
    tan_u, tan_v = view_half_tangents(cam)
    inside = np.flatnonzero((z > 1e-9) & (np.abs(x) <= z * tan_u) & (np.abs(y) <= z * tan_v))
    near = inside if candidates is None else candidates[inside]
    if len(near) == 0:
        return near, np.zeros(0)
    sub_t = None if tangents is None else (tangents[0][near], tangents[1][near])
    g = local_gsd_m(cam, c_ned, r_ned_cam, pts[near], normals_ned[near], sub_t)
    ok = seen_mask(cam, c_ned, r_ned_cam, pts[near], normals_ned[near]) & np.isfinite(g)
    return near[ok], g[ok]


def plane_gsd_batch_m(cam: CameraModel, c_ned: np.ndarray, yaw_deg: float, pitch_deg: np.ndarray, pts_ned: np.ndarray,
               normal_ned: np.ndarray) -> np.ndarray:
    """``frame_gsd_m`` for points (P) of one vertical plane (outward ``normal_ned``) seen from many
    cameras (M) sharing a heading, each with its own pitch: (M, P), inf where not seen. Vectorised
    over the cameras for the girder search (ideal pinhole)."""
    r = np.stack([camera_rotation(yaw_deg, float(p)) for p in pitch_deg])  # (M, 3, 3)
    d = pts_ned[None, :, :] - c_ned[:, None, :]
    pc = np.einsum("mpk,mkj->mpj", d, r)
    x, y, z = pc[..., 0], pc[..., 1], np.maximum(pc[..., 2], 1e-9)
    along = np.cross(np.array([0.0, 0.0, -1.0]), normal_ned)
    tangents = [np.einsum("k,mkj->mj", t, r)[:, None, :] for t in (along, np.array([0.0, 0.0, -1.0]))]
    j = np.empty(x.shape + (2, 2))
    for k, t in enumerate(tangents):
        j[..., 0, k] = cam.fx_px * (t[..., 0] - x / z * t[..., 2]) / z
        j[..., 1, k] = cam.fy_px * (t[..., 1] - y / z * t[..., 2]) / z
    frob2 = np.einsum("...ij,...ij->...", j, j)
    det = j[..., 0, 0] * j[..., 1, 1] - j[..., 0, 1] * j[..., 1, 0]
    sigma2 = 2.0 * det * det / (frob2 + np.sqrt(np.maximum(frob2 * frob2 - 4.0 * det * det, 0.0)))
    gsd = 1.0 / np.sqrt(np.maximum(sigma2, 1e-300))
    u, v = cam.fx_px * x / z + cam.cx_px, cam.fy_px * y / z + cam.cy_px
    cos_inc = -np.einsum("mpk,k->mp", d, normal_ned) / np.linalg.norm(d, axis=2)
    seen = (pc[..., 2] > 1e-9) & (u >= -0.5) & (u <= cam.width_px - 0.5) & (v >= -0.5) & \
        (v <= cam.height_px - 0.5) & (cos_inc > math.cos(math.radians(MAX_INCIDENCE_DEG)))
    return np.where(seen, gsd, np.inf)


@dataclass(frozen=True)
class RoundDesign:
    """Orbit numbers for one cylinder/cone: every photo's used part keeps GSD <= the requirement."""

    range_m: float  # camera to the surface at the frame centre (horizontal, on the axis line)
    usable_half_angle_rad: float  # used arc each side of the frame centre, about the axis
    usable_half_height_m: float  # used height each side of the frame centre
    stations_per_turn: int
    turn_spacing_m: float  # between rings / helix turns: 2 x half height x (1 - side overlap)
    worst_gsd_m: float  # over the used part, at the most curved radius
    centre_gsd_m: float

    @property
    def step_rad(self) -> float:
        return 2.0 * math.pi / self.stations_per_turn


def _patch_profile(cam: CameraModel, radius_m: float, camera_dist_m: float, half_height: float,
                   samples: int = _ANGLE_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Angles 0..limb about the axis of a vertical cylinder (axis at the origin) seen level from
    ``camera_dist_m`` on the axis line, and the worst GSD over the patch |angle| <= each of them,
    |h| <= half_height (running maximum; points outside the image or too oblique count as inf)."""
    ang = np.linspace(0.0, math.acos(min(radius_m / camera_dist_m, 1.0)), samples)
    a, h = np.meshgrid(ang, np.linspace(0.0, half_height, 4), indexing="ij")
    a, h = a.ravel(), h.ravel()
    normals = np.stack([np.cos(a), np.sin(a), np.zeros_like(a)], axis=1)
    pts = np.stack([radius_m * normals[:, 0], radius_m * normals[:, 1], -h], axis=1)
    c = np.array([camera_dist_m, 0.0, 0.0])
    r = camera_rotation(180.0, 0.0)
    gsd = frame_gsd_m(cam, c, r, pts, normals)
    return ang, np.maximum.accumulate(gsd.reshape(samples, -1).max(axis=1))


def usable_half_angle(cam: CameraModel, radius_m: float, camera_dist_m: float, half_height: float,
                      gsd_limit_m: float) -> tuple[float, float]:
    """Largest arc half-angle whose patch keeps GSD <= gsd_limit_m (0 when even the centre fails),
    and the worst GSD over that patch."""
    ang, worst = _patch_profile(cam, radius_m, camera_dist_m, half_height)
    ok = worst <= gsd_limit_m
    if not ok[0]:
        return 0.0, float(worst[0])
    k = int(np.argmin(ok)) - 1 if not ok.all() else len(ok) - 1
    return float(ang[k]), float(worst[k])


def round_design(name: str, design: Design, radius_min_m: float, radius_max_m: float, band_height_m: float,
                 min_standoff_m: float, taper_m_per_m: float = 0.0, turns_extra: int = 0) -> RoundDesign:
    """Pick the range (site minimum .. flat-face standoff) needing the fewest photos over a band.

    ``radius_min_m``/``radius_max_m``: the smallest and largest surface radius in the band (cones);
    ``taper_m_per_m``: radius change per metre of height (the top of a frame is that much further);
    ``turns_extra``: turns added to the count (1 for a helix's closing flat turn). Raises InputError
    when no range keeps the GSD within the requirement."""
    cam = design.camera.model(design.focal_length_mm)
    g = design.requirement.gsd_required_m
    fo, so = design.requirement.front_overlap, design.requirement.side_overlap
    lo = min_standoff_m + CHORD_MARGIN_M
    best: tuple[float, RoundDesign] | None = None
    ranges = np.linspace(lo, design.standoff_m, _RANGE_STEPS, endpoint=False) if design.standoff_m > lo else []
    for rho in ranges:
        full_half_h = float(rho) * ((cam.height_px - 1) / 2.0) / cam.fy_px * 0.999
        for frac in _HEIGHT_FRACTIONS:
            hh = full_half_h * frac
            extra = taper_m_per_m * hh  # the top of the frame is this much further away on a cone
            halves = [usable_half_angle(cam, r - extra, r + float(rho), hh, g) for r in {radius_min_m, radius_max_m}]
            half = min(a for a, _ in halves)
            if half <= 1e-4:
                continue
            n = max(3, int(math.ceil(2 * math.pi / (2 * half * (1 - fo)) - 1e-9)))
            r_big = radius_max_m
            if (r_big + rho) * math.cos(math.pi / n) - r_big < min_standoff_m + CHORD_MARGIN_M - 1e-9:
                continue  # a straight leg between stations would cut inside the minimum standoff
            spacing = 2 * hh * (1 - so)
            turns = 1 + max(0, int(math.ceil((band_height_m - 2 * hh) / spacing - 1e-9))) + turns_extra
            cost = n * turns
            worst = max(w for _, w in halves)
            cand = RoundDesign(float(rho), half, hh, n, spacing, worst, float(rho) / cam.fx_px)
            if best is None or cost < best[0]:
                best = (cost, cand)
    if best is None:
        raise InputError(
            f"{name}: expected a range between the minimum standoff {min_standoff_m} m and the flat-face standoff "
            f"{design.standoff_m:.2f} m at which the curved surface (radius {radius_min_m:.2f}-{radius_max_m:.2f} m) "
            f"keeps GSD <= {g * 1000:.3f} mm/px across the used image, got none. Use a longer focal length or a "
            f"zoom camera (the standoff grows with it), or grade a wider crack")
    return best[1]


__all__ = ["CHORD_MARGIN_M", "GSD_TOLERANCE", "MAX_INCIDENCE_DEG", "RoundDesign", "camera_rotation", "frame_gsd_m",
           "local_gsd_m", "plane_gsd_batch_m", "round_design", "seen_gsd_m", "seen_mask", "tangent_basis", "usable_half_angle",
           "view_half_tangents"]
