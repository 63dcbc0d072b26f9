"""How much of a surface one pixel covers where a point is seen: its longest span (the local GSD) and its
area. Both cast the pixel's half-pixel neighbours onto the surface's tangent plane at the point (lens
distortion included)."""

from __future__ import annotations

import numpy as np

from skyinspect.camera import CameraModel

__all__ = ["local_gsd_m", "pixel_area_m2"]


def _pixel_steps(camera: CameraModel, r_ned_cam: np.ndarray, cam: np.ndarray, points_ned: np.ndarray,
                 normals_ned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres on the tangent plane per pixel across (u) and down (v) at each point: (N, 3) each."""
    pts = np.atleast_2d(points_ned)
    n = np.broadcast_to(np.atleast_2d(normals_ned), pts.shape)
    uv = camera.project((pts - cam) @ r_ned_cam)
    steps = []
    for du in (np.array([0.5, 0.0]), np.array([0.0, 0.5])):
        ends = []
        for sign in (1.0, -1.0):
            rays = camera.pixel_to_ray(uv + sign * du) @ r_ned_cam.T
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.einsum("ij,ij->i", pts - cam, n) / np.einsum("ij,ij->i", rays, n)
            ends.append(cam + rays * t[:, None])
        steps.append(ends[0] - ends[1])
    return steps[0], steps[1]


def local_gsd_m(camera: CameraModel, r_ned_cam: np.ndarray, cam: np.ndarray, points_ned: np.ndarray,
                normals_ned: np.ndarray) -> np.ndarray:
    """The longest distance one pixel spans on the surface's tangent plane at each point (m/px): the
    pixel and its neighbours half a pixel either way across and down, cast onto that plane (lens
    distortion included). range / fx / cos(incidence) holds only at the image centre: off the axis a
    pixel subtends less (a nadir camera over flat ground has height / fx everywhere, where that
    formula read up to 1.9x at a Phantom 3 photo's corner)."""
    a, b = _pixel_steps(camera, r_ned_cam, cam, points_ned, normals_ned)
    aa, bb, ab = np.einsum("ij,ij->i", a, a), np.einsum("ij,ij->i", b, b), np.einsum("ij,ij->i", a, b)
    # largest singular value of the 3x2 Jacobian [a b]: sqrt of the larger eigenvalue of its Gram matrix
    gsd = np.sqrt((aa + bb) / 2.0 + np.sqrt(((aa - bb) / 2.0) ** 2 + ab * ab))
    return np.where(np.isfinite(gsd), gsd, np.inf)


def pixel_area_m2(camera: CameraModel, r_ned_cam: np.ndarray, cam: np.ndarray, points_ned: np.ndarray,
                  normals_ned: np.ndarray) -> np.ndarray:
    """The area one pixel covers on the surface's tangent plane at each point (m2/px): |across x down|.
    A mask's pixel count times this at its centroid is its area on the surface (perspective varies
    linearly across a defect, so the centroid's value is the mean to first order)."""
    a, b = _pixel_steps(camera, r_ned_cam, cam, points_ned, normals_ned)
    area = np.linalg.norm(np.cross(a, b), axis=1)
    return np.where(np.isfinite(area), area, np.inf)
