"""Stage 2, georeference: instance pixels → camera rays → local NED → intersection with the surface.

Camera position: the pose's lat/lon/alt_msl in the flight's LocalFrame. Orientation: Pose.r_ned_cam().
Each polygon/skeleton vertex becomes a ray (CameraModel.pixel_to_ray, distortion removed) that is
intersected with the plane from its outer side. Per detection we also record:

- area on the surface: shoelace of the outline in the plane's 2D coordinates (plane.py);
- range and incidence at the centroid (incidence = angle between the viewing ray and the normal);
- local GSD = range / fx / cos(incidence): the size of one pixel along the surface at the centroid
  in the direction of steepest foreshortening (the worse of the two axes); fx is used for both
  axes because our cameras have square pixels;
- a 1-sigma position uncertainty by linearising the ray-plane intersection p(c, r) about the
  estimate: p moves with the camera position c by J = I - r nᵀ / (r·n) (motion along the ray
  changes nothing) and with a ray rotation δr by range · J δr. Position σ comes from the pose's
  h_acc/v_acc (DEFAULT_H_ACC_M / DEFAULT_V_ACC_M when the receiver gave none, typical for a
  standalone GNSS fix) and the ray σ is attitude_sigma_deg in both directions perpendicular to the
  ray. The result is split into a horizontal σ (RMS of north and east) and a vertical σ (down).

A frame is "not georeferenced: <reason>" when its pose is not finite, the camera is behind the
surface, or its image-centre ray does not meet the surface; its instances are then not placed
rather than placed wrongly. Single instances whose rays miss the surface or graze it are dropped
with a note on the frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from groundstation.load import LoadedFlight
from groundstation.plane import PlaneBasis, plane_basis, shoelace_area_m2
from skyinspect.camera import CameraModel
from skyinspect.findings import Detection
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import Pose
from skyinspect.record import FrameRecord
from skyinspect.surface import PlaneSurface, intersect_plane

DEFAULT_H_ACC_M = 2.5  # standalone GNSS, 1-sigma horizontal, when the log has no h_acc
DEFAULT_V_ACC_M = 4.0  # standalone GNSS, 1-sigma vertical, when the log has no v_acc
MAX_INCIDENCE_DEG = 85.0  # beyond this, a pixel smears over metres: drop the instance
FOOTPRINT_POINTS_PER_EDGE = 4
STATUS_OK = "ok"


@dataclass(frozen=True, eq=False)
class FrameGeoref:
    """Where one tagged frame looked: its status, camera position and footprint on the surface."""

    frame_index: int
    capture_time_utc_s: float
    status: str  # "ok" or "not georeferenced: <reason>"
    camera_ned_m: np.ndarray  # (3,), NaN when the pose is not finite
    footprint_ned_m: np.ndarray | None  # (K, 3) image border on the surface (the part that meets it)
    gsd_m: float  # at the image centre, NaN when not georeferenced
    range_m: float  # to the surface along the optical axis
    image_path: str | None
    notes: tuple[str, ...] = ()  # instances left out and why

    @property
    def is_georeferenced(self) -> bool:
        return self.status == STATUS_OK


@dataclass(frozen=True, eq=False)
class Georeferenced:
    """Output of the georeference stage."""

    surface: PlaneSurface
    frames: tuple[FrameGeoref, ...]
    detections: tuple[Detection, ...]


def default_surface(flight: LoadedFlight) -> PlaneSurface:
    """A horizontal ground plane at the home (take-off) altitude below the first tagged frame."""
    first = flight.frames[0].pose
    return PlaneSurface.ground(first.lat_deg, first.lon_deg, flight.home_alt_msl_m)


def georeference(flight: LoadedFlight, surface: PlaneSurface | None = None,
                 progress: bool = False) -> Georeferenced:
    """Place every instance of every tagged frame on ``surface`` (default: the ground plane)."""
    surface = surface or default_surface(flight)
    basis = plane_basis(surface, flight.origin)
    frames: list[FrameGeoref] = []
    detections: list[Detection] = []
    for rec in _maybe_progress(flight.frames, progress):
        fg, dets = georeference_frame(rec, flight.camera, flight.origin, basis)
        frames.append(fg)
        detections.extend(dets)
    return Georeferenced(surface, tuple(frames), tuple(detections))


def _maybe_progress(frames: tuple[FrameRecord, ...], progress: bool) -> Iterable[FrameRecord]:
    if not progress:
        return frames
    from rich.progress import track

    return track(frames, description="georeferencing frames", total=len(frames), transient=False)


def camera_center_ned(pose: Pose, frame: LocalFrame) -> np.ndarray:
    return frame.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m)


def georeference_frame(rec: FrameRecord, camera: CameraModel, frame: LocalFrame,
                       basis: PlaneBasis) -> tuple[FrameGeoref, list[Detection]]:
    """One frame → its FrameGeoref and the Detections of its instances."""
    pose = rec.pose
    image = str(rec.image_path) if rec.image_path else None
    nan3 = np.full(3, np.nan)

    def failed(reason: str, cam: np.ndarray = nan3) -> tuple[FrameGeoref, list[Detection]]:
        return FrameGeoref(rec.frame_index, rec.capture_time_utc_s, f"not georeferenced: {reason}", cam,
                           None, math.nan, math.nan, image), []

    cam = camera_center_ned(pose, frame)
    r_ned_cam = pose.r_ned_cam()
    if not (np.all(np.isfinite(cam)) and np.all(np.isfinite(r_ned_cam))):
        return failed("pose has non-finite position or attitude")
    height_m = float((cam - basis.origin_ned_m) @ basis.n_ned)
    if height_m <= 0:
        return failed(f"camera is {-height_m:.2f} m behind surface {basis.name!r}", cam)
    # One ray cast for the whole frame (centre, border, every outline and skeleton): per-call
    # numpy overhead, not arithmetic, dominates with a few dozen vertices per instance.
    border = _border_pixels(camera.width_px, camera.height_px)
    pieces = [np.array([[camera.cx_px, camera.cy_px]]), border]
    for inst in rec.instances:
        pieces.append(inst.polygon_px)
        pieces.append(inst.skeleton_px if inst.skeleton_px is not None else np.zeros((0, 2)))
    bounds = np.cumsum([0] + [len(p) for p in pieces])
    pts, rng, hit = cast_pixels(np.concatenate(pieces), camera, r_ned_cam, cam, basis)
    if not hit[0]:
        return failed(f"image centre ray does not meet surface {basis.name!r} (camera looks away from it)", cam)
    axis = r_ned_cam @ camera.pixel_to_ray(pieces[0])[0]
    centre_gsd = float(rng[0]) / camera.fx_px / abs(float(axis @ basis.n_ned))
    fp_pts, fp_ok = pts[bounds[1]:bounds[2]], hit[bounds[1]:bounds[2]]
    footprint = fp_pts[fp_ok] if fp_ok.sum() >= 3 else None
    uv_all = basis.to_2d(pts)

    placed: list[tuple[int, np.ndarray, np.ndarray | None, np.ndarray, float]] = []
    notes: list[str] = []
    for i, inst in enumerate(rec.instances):
        a, b, c = bounds[2 + 2 * i], bounds[3 + 2 * i], bounds[4 + 2 * i]
        if not hit[a:b].all():
            notes.append(f"instance {i}: {int((~hit[a:b]).sum())} of {b - a} outline rays miss the surface")
            continue
        skeleton = pts[b:c] if c - b >= 2 and hit[b:c].all() else None
        uv = uv_all[a:b]
        placed.append((i, pts[a:b], skeleton, uv, shoelace_area_m2(uv)))
    detections: list[Detection] = []
    if placed:
        centroids = basis.to_3d(np.array([_polygon_centroid_2d(p[3]) for p in placed]))
        rays = centroids - cam
        ranges = np.linalg.norm(rays, axis=1)
        rays /= ranges[:, None]
        cos_inc = np.minimum(1.0, np.abs(rays @ basis.n_ned))
        incidence = np.degrees(np.arccos(cos_inc))
        sig_h, sig_v = position_sigma_m(pose, rays, basis.n_ned, ranges)
        for k, (i, outline, skeleton, _, area) in enumerate(placed):
            if incidence[k] > MAX_INCIDENCE_DEG:
                notes.append(f"instance {i}: grazing view ({incidence[k]:.1f} deg > {MAX_INCIDENCE_DEG} deg)")
                continue
            inst = rec.instances[i]
            detections.append(Detection(
                frame_index=rec.frame_index, instance_index=i, class_id=inst.class_id, score=float(inst.score),
                outline_ned_m=outline, centroid_ned_m=centroids[k], skeleton_ned_m=skeleton, area_m2=area,
                gsd_m=float(ranges[k] / camera.fx_px / cos_inc[k]), range_m=float(ranges[k]),
                incidence_deg=float(incidence[k]), sigma_h_m=float(sig_h[k]), sigma_v_m=float(sig_v[k])))
    fg = FrameGeoref(rec.frame_index, rec.capture_time_utc_s, STATUS_OK, cam, footprint, centre_gsd,
                     float(rng[0]), image, tuple(notes))
    return fg, detections


def cast_pixels(uv: np.ndarray, camera: CameraModel, r_ned_cam: np.ndarray, cam: np.ndarray,
          basis: PlaneBasis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixels → (points (N, 3) NED, range (N,), hit mask (N,)): where each pixel's ray meets the
    plane from its outer side (a ray that misses has hit False and NaN or meaningless points)."""
    rays = camera.pixel_to_ray(uv) @ r_ned_cam.T
    pts, t = intersect_plane(cam, rays, basis.origin_ned_m, basis.n_ned)
    hit = np.isfinite(t) & ((rays @ basis.n_ned) < 0)  # rays must come at the face from outside
    return pts, t, hit


def _border_pixels(width: int, height: int) -> np.ndarray:
    """Points clockwise around the image border (corners included), pixel-centre convention."""
    k = FOOTPRINT_POINTS_PER_EDGE
    x0, y0, x1, y1 = -0.5, -0.5, width - 0.5, height - 0.5
    s = np.linspace(0.0, 1.0, k, endpoint=False)
    top = np.stack([x0 + s * (x1 - x0), np.full(k, y0)], axis=1)
    right = np.stack([np.full(k, x1), y0 + s * (y1 - y0)], axis=1)
    bottom = np.stack([x1 - s * (x1 - x0), np.full(k, y1)], axis=1)
    left = np.stack([np.full(k, x0), y1 - s * (y1 - y0)], axis=1)
    return np.concatenate([top, right, bottom, left])


def _polygon_centroid_2d(uv: np.ndarray) -> np.ndarray:
    """Area centroid of a ring; falls back to the vertex mean for degenerate (zero-area) rings."""
    x, y = uv[:, 0], uv[:, 1]
    xn, yn = np.concatenate([x[1:], x[:1]]), np.concatenate([y[1:], y[:1]])
    cross = x * yn - xn * y
    a = cross.sum() / 2.0
    if abs(a) < 1e-12:
        return uv.mean(axis=0)
    return np.array([((x + xn) * cross).sum() / (6 * a), ((y + yn) * cross).sum() / (6 * a)])


def position_sigma_m(pose: Pose, rays_ned: np.ndarray, normal_ned: np.ndarray,
                     ranges_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-sigma (horizontal, vertical) uncertainty of ray-plane intersections (see module doc);
    rays (K, 3) unit vectors from the camera, ranges (K,)."""
    h = pose.h_acc_m if math.isfinite(pose.h_acc_m) and pose.h_acc_m > 0 else DEFAULT_H_ACC_M
    v = pose.v_acc_m if math.isfinite(pose.v_acc_m) and pose.v_acc_m > 0 else DEFAULT_V_ACC_M
    att = math.radians(pose.attitude_sigma_deg if math.isfinite(pose.attitude_sigma_deg) else 0.5)
    r = np.atleast_2d(rays_ned)
    rng = np.atleast_1d(ranges_m)
    eye = np.eye(3)
    j = eye - np.einsum("ki,j->kij", r, normal_ned) / (r @ normal_ned)[:, None, None]
    cov_cam = np.diag([h * h, h * h, v * v])
    cov_ray = (att * att) * (eye - np.einsum("ki,kj->kij", r, r)) * (rng * rng)[:, None, None]
    cov = j @ (cov_cam + cov_ray) @ np.transpose(j, (0, 2, 1))
    sig_h = np.sqrt(np.maximum(0.0, (cov[:, 0, 0] + cov[:, 1, 1]) / 2.0))
    return sig_h, np.sqrt(np.maximum(0.0, cov[:, 2, 2]))
