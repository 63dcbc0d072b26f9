"""The flight's images and pixel skeletons, for the crack width (groundstation.measure).

Read lazily, one image at a time (the findings whose width comes from the same image are measured
one after the other). For each detection: its frame's image, the instance's pixel skeleton, and the
surface metres per image pixel *across* the crack there (measure's module doc says how). A finding
split off a crack (groundstation.joint_split) reads its width from the stretch of the skeleton that
is its own (``keep``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from groundstation.crackwidth import WidthEstimate, crack_width_px
from groundstation.plane import PlaneBasis
from skyinspect.findings import Detection

if TYPE_CHECKING:
    from groundstation.measure import MeasureLimits

MIN_KEPT_PX = 8  # the shortest stretch of a pixel skeleton a split finding's width is read from
Keep = Callable[[np.ndarray], np.ndarray]  # surface points (N, 3) NED → (N,) bool: which are this finding's


@dataclass(frozen=True, eq=False)
class WidthView:
    """What the image-based width needs about one view: the frame's image, the instance's pixel
    skeleton, and a function mapping pixel skeleton points + image directions to metres across."""

    image_path: Path
    skeleton_px: np.ndarray
    frame_index: int
    m_per_px_across: float  # surface metres per image pixel across the crack (measure's module doc)


class FlightImages:
    """The frames' images and pixel skeletons of one flight, read lazily (one image at a time)."""

    def __init__(self, flight: Any, surface: Any = None, basis: PlaneBasis | None = None):
        from groundstation.georef import camera_center_ned

        self._records = {rec.frame_index: rec for rec in flight.frames}
        self._camera = flight.camera
        self._origin = flight.origin
        self._centre = camera_center_ned
        self._members: dict[str, Any] = {}
        if surface is not None and hasattr(surface, "bind"):
            self._members = {m.name: m for m in surface.bind(flight.origin).surfaces()}
        self._basis = basis
        self._cached: tuple[Path, np.ndarray] | None = None

    def view(self, det: Detection, keep: Keep | None = None) -> tuple[WidthView | None, str]:
        """The instance's image and pixel skeleton; with ``keep`` (surface points → which are this
        finding's) only the longest stretch of the skeleton it keeps, at least MIN_KEPT_PX long."""
        rec = self._records.get(det.frame_index)
        if rec is None or det.instance_index >= len(rec.instances):
            return None, f"frame {det.frame_index} is not in the flight record"
        skel = rec.instances[det.instance_index].skeleton_px
        if skel is None or len(skel) < 2:
            return None, f"frame {det.frame_index} has no pixel skeleton for instance {det.instance_index}"
        if rec.image_path is None or not Path(rec.image_path).is_file():
            return None, f"no image file for frame {det.frame_index}"
        skel = np.asarray(skel, dtype=np.float64)
        if keep is not None:
            cam = self._centre(rec.pose, self._origin)
            hits = self._on_surface(cam, self._camera.pixel_to_ray(skel) @ rec.pose.r_ned_cam().T, det)
            kept = _longest_run(keep(hits[0])) if hits is not None else None
            if kept is None or kept[1] - kept[0] + 1 < MIN_KEPT_PX:
                return None, f"frame {det.frame_index}'s pixel skeleton has no stretch of this finding's alone"
            skel = skel[kept[0]:kept[1] + 1]
        scale = self._across_scale(rec, det, skel)
        if not math.isfinite(scale):
            return None, f"the skeleton of frame {det.frame_index} does not meet the surface"
        return WidthView(Path(rec.image_path), skel, det.frame_index, scale), ""

    def _on_surface(self, cam: np.ndarray, rays: np.ndarray, det: Detection) -> tuple[np.ndarray, np.ndarray] | None:
        """(points, normals) where the rays from ``cam`` meet the detection's surface; None without one."""
        member = self._members.get(det.surface_name)
        if member is not None:
            hits = member.intersect(cam, rays)
            return hits.points, hits.normals
        if self._basis is not None and hasattr(self._basis, "n_ned"):
            from skyinspect.surfaces.base import intersect_plane_rays

            point = intersect_plane_rays(cam, rays, self._basis.origin_ned_m, self._basis.n_ned)[0]
            return point, np.broadcast_to(self._basis.n_ned, (len(rays), 3))
        return None

    def _across_scale(self, rec: Any, det: Detection, skel: np.ndarray) -> float:
        """Median surface metres per image pixel across the crack (measure's module doc)."""
        pose = rec.pose
        cam = self._centre(pose, self._origin)
        r = pose.r_ned_cam()
        t = np.gradient(skel, axis=0)
        t /= np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-12)
        a = np.stack([-t[:, 1], t[:, 0]], axis=1)
        rays = self._camera.pixel_to_ray(np.concatenate([skel, skel + a, skel + t])) @ r.T
        n = len(skel)
        hits = self._on_surface(cam, rays[:n], det)
        if hits is None:
            return det.gsd_m  # no surface geometry: the worst-axis GSD (reads high by up to 1/cos(incidence))
        point, normal = hits
        with np.errstate(divide="ignore", invalid="ignore"):
            def on_plane(rr: np.ndarray) -> np.ndarray:
                s = np.einsum("ij,ij->i", point - cam, normal) / np.einsum("ij,ij->i", rr, normal)
                return cam + rr * s[:, None]

            across = on_plane(rays[n:2 * n]) - point
            along = on_plane(rays[2 * n:]) - point
            along /= np.linalg.norm(along, axis=1, keepdims=True)
            perp = across - np.einsum("ij,ij->i", across, along)[:, None] * along
            k = np.linalg.norm(perp, axis=1)
        k = k[np.isfinite(k)]
        return float(np.median(k)) if len(k) else math.nan

    def estimate(self, view: WidthView, limits: MeasureLimits) -> WidthEstimate | None:
        """Width in pixels on a crop around the skeleton (the image is read once per file)."""
        gray = self._gray(view.image_path)
        if gray is None:
            return None
        pad = limits.max_crack_width_px / 2 + 12.0
        lo = np.maximum(np.floor(view.skeleton_px.min(axis=0) - pad), 0).astype(int)
        hi = np.minimum(np.ceil(view.skeleton_px.max(axis=0) + pad) + 1, [gray.shape[1], gray.shape[0]]).astype(int)
        crop = gray[lo[1]:hi[1], lo[0]:hi[0]]
        return crack_width_px(crop, view.skeleton_px - lo, max_width_px=limits.max_crack_width_px,
                              step_px=limits.width_step_px)

    def _gray(self, path: Path) -> np.ndarray | None:
        if self._cached is not None and self._cached[0] == path:
            return self._cached[1]
        import cv2

        img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if img is None:
            return None
        self._cached = (path, img)
        return img


def _longest_run(mask: np.ndarray) -> tuple[int, int] | None:
    """(first, last) index of the longest run of True; None when there is none."""
    idx = np.flatnonzero(np.r_[False, mask, False][1:] != np.r_[False, mask, False][:-1])
    if len(idx) == 0:
        return None
    starts, ends = idx[::2], idx[1::2] - 1
    k = int(np.argmax(ends - starts))
    return int(starts[k]), int(ends[k])
