"""Stage 2, georeference: instance pixels → camera rays → local NED → intersection with the surface.

Camera position: the pose's lat/lon/alt_msl in the flight's LocalFrame. Orientation: Pose.r_ned_cam()
(conventions: docs/georeferencing.md). Each polygon/skeleton vertex becomes a ray
(CameraModel.pixel_to_ray, distortion removed) that is intersected with the surface from its outer
side. The surface is any ``skyinspect.surfaces`` surface (plane, bounded face, cylinder, DEM) or a
set of them: **each frame uses the surface its image centre looks at** (the nearest hit of the
centre ray; a centre just past a face's end takes the face most of a grid of its pixels meet), and all
of that frame's instances are placed on it. Per detection we also record:

- area on the surface: the mask's pixels (Instance.area_px) times the area one pixel covers on the surface's
  tangent plane at the centroid (pixel_scale.pixel_area_m2), as segment's GeoJSON and the simulator's truth
  count it. The outline runs through its boundary pixels' centres, so the area inside it drops half a pixel
  all round (a 3-px line read 2/3 of its pixels);
- range and incidence at the centroid (incidence = angle between the viewing ray and the local
  surface normal);
- local GSD (local_gsd_m): the longest distance one pixel spans on the surface's tangent plane at the
  centroid, the pixel cast through the lens (the worse of the two axes);
- a 3x3 position covariance of the centroid by linearising the ray-surface intersection p(c, r)
  about the estimate, with the surface replaced by its tangent plane there: p moves with the camera
  position c by J = I - r nᵀ / (r·n) (motion along the ray changes nothing) and with a ray rotation
  δr by range · J δr. Position σ: the pose's h_acc (per horizontal axis) and v_acc, or
  DEFAULT_H_ACC_M / DEFAULT_V_ACC_M when the receiver gave none; pointing σ: the pose's
  attitude_sigma_deg and GIMBAL_SIGMA_DEG combined in quadrature, in both directions
  perpendicular to the ray. sigma_h_m / sigma_v_m summarise it (RMS of north/east, down);
  groundstation.uncertainty turns the covariance into CE90 / LE90. On the default ground plane,
  which the flight's own GNSS height places (the take-off altitude), the camera's vertical error
  moves plane and camera together: it is the point's own vertical error and moves it nowhere else.

A frame is "not georeferenced: <reason>" when its pose is not finite, it has no 3D GNSS fix, or
its image-centre ray meets no surface and no face (above) is seen (the reason names the surface:
camera behind it, looking at the sky, the DEM does not cover the point...); its instances
are then not placed rather than placed wrongly. Single instances whose rays miss the surface or
graze it are dropped with a note on the frame.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from groundstation.load import LoadedFlight
from groundstation.pixel_scale import local_gsd_m, pixel_area_m2
from skyinspect.camera import CameraModel
from skyinspect.findings import Detection
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import Pose
from skyinspect.record import FrameRecord
from skyinspect.surface import PlaneSurface, intersect_plane
from skyinspect.surfaces.base import BoundPlane, BoundSurface, intersect_plane_rays

DEFAULT_H_ACC_M = 2.5  # standalone GNSS, 1-sigma per horizontal axis, when the log has no h_acc
DEFAULT_V_ACC_M = 4.0  # standalone GNSS, 1-sigma vertical, when the log has no v_acc
GIMBAL_SIGMA_DEG = 0.0  # extra pointing error of the gimbal encoders/IMU, added to attitude σ
MAX_INCIDENCE_DEG = 85.0  # beyond this, a pixel smears over metres: drop the instance
# No inspection photo looks at its surface from farther (a drone flies 120 m above ground at most):
# a surface that far along the view is a wrong surface file (swapped latitude and longitude put the
# demo face 3,957 km off, and measuring kilometre-long "cracks" at millimetre steps ran out of memory)
# or a view at the horizon. Such frames are not georeferenced, such instances dropped, with the reason.
MAX_RANGE_M = 1000.0
# pixels (across, down) cast to find the face a frame whose centre looks just past its end sees
OFF_CENTRE_GRID = (17, 13)
FOOTPRINT_POINTS_PER_EDGE = 4
STATUS_OK = "ok"
GPS_FIX_NO_FIX = 1
GPS_FIX_2D = 2


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
    surface_name: str = ""  # the surface the image centre looks at

    @property
    def is_georeferenced(self) -> bool:
        return self.status == STATUS_OK


@dataclass(frozen=True, eq=False)
class Georeferenced:
    """Output of the georeference stage."""

    surface: Any  # PlaneSurface, FaceSurface, CylinderSurface, DemSurface or SurfaceSet
    frames: tuple[FrameGeoref, ...]
    detections: tuple[Detection, ...]
    from_flight: bool = False  # the surface is the default ground plane, placed by the flight's GNSS height
    # frames whose passes image tie points laid onto one another (groundstation.tiepoints.realign):
    # fusion's pass vote by defects does not move them again (groundstation.passes)
    tied_frames: tuple[int, ...] = ()


def footprint_polygons(geo: Georeferenced, chart: Any, surface_name: str | None = None) -> dict[int, Any]:
    """frame index → its footprint as a shapely polygon in ``chart`` (a PlaneBasis or any chart with
    ``to_2d``; georeferenced frames, on the named surface when there are several)."""
    import shapely
    from shapely.geometry import Polygon

    out: dict[int, Any] = {}
    for f in geo.frames:
        if not f.is_georeferenced or f.footprint_ned_m is None or len(f.footprint_ned_m) < 3:
            continue
        if surface_name is not None and f.surface_name != surface_name:
            continue
        poly = shapely.make_valid(Polygon(chart.to_2d(np.asarray(f.footprint_ned_m))))
        if not poly.is_empty:
            out[f.frame_index] = poly
    return out


def default_surface(flight: LoadedFlight) -> PlaneSurface:
    """A horizontal ground plane at the home (take-off) altitude below the first tagged frame."""
    first = flight.frames[0].pose
    return PlaneSurface.ground(first.lat_deg, first.lon_deg, flight.home_alt_msl_m)


def georeference(flight: LoadedFlight, surface: Any = None, progress: bool = False,
                 from_flight: bool | None = None) -> Georeferenced:
    """Place every instance of every tagged frame on ``surface`` (default: the ground plane).
    ``from_flight``: the surface was placed by the flight's own GNSS height (default: when none is given)."""
    from_flight = surface is None if from_flight is None else from_flight
    surface = surface or default_surface(flight)
    bound = surface.bind(flight.origin)
    frames: list[FrameGeoref] = []
    detections: list[Detection] = []
    for rec in _maybe_progress(flight.frames, progress):
        fg, dets = georeference_frame(rec, flight.camera, flight.origin, bound, from_flight)
        frames.append(fg)
        detections.extend(dets)
    return Georeferenced(surface, tuple(frames), tuple(detections), from_flight)


def _maybe_progress(frames: tuple[FrameRecord, ...], progress: bool) -> Iterable[FrameRecord]:
    if not progress:
        return frames
    from rich.progress import track

    return track(frames, description="georeferencing frames", total=len(frames), transient=False)


def camera_center_ned(pose: Pose, frame: LocalFrame) -> np.ndarray:
    return frame.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m)


def _pick_surface(bound: BoundSurface, cam: np.ndarray, axis: np.ndarray) -> tuple[BoundSurface | None, str]:
    """The member surface the optical axis meets first, or None and why not."""
    members = bound.surfaces()
    best, best_t = None, math.inf
    for m in members:
        h = m.intersect(cam, axis[None])
        if h.hit[0] and h.range_m[0] < best_t:
            best, best_t = m, float(h.range_m[0])
    if best is None:
        return None, "; ".join(m.miss_reason(cam, axis) for m in members)
    return best, ""


def _surface_seen_off_centre(bound: BoundSurface, camera: CameraModel, r_ned_cam: np.ndarray, cam: np.ndarray,
                             axis: np.ndarray) -> tuple[BoundSurface | None, np.ndarray]:
    """For a frame whose centre ray meets the plane of a bounded face outside its extent: the face most
    of a grid of its pixels meet (the nearer on a tie) and the pixel of that grid nearest the centre that
    meets it; (None, ...) if none does. A lane flown level with a face's end puts its first and last
    photos' centres just past it, while half of each photo sees the face. Other misses (looking away,
    at the sky, a level camera over the ground) stay misses: a camera stated wrongly is not placed."""
    faces = [m for m in bound.surfaces() if isinstance(m, BoundPlane) and m.bounds_uv is not None
             and intersect_plane_rays(cam, axis[None], m.chart_.origin_ned_m, m.chart_.n_ned)[2][0]]
    w, h = camera.width_px, camera.height_px
    uu, vv = np.meshgrid(np.linspace(-0.5, w - 0.5, OFF_CENTRE_GRID[0]), np.linspace(-0.5, h - 0.5, OFF_CENTRE_GRID[1]))
    grid = np.column_stack([uu.ravel(), vv.ravel()])
    rays = camera.pixel_to_ray(grid) @ r_ned_cam.T
    seen_by = []  # (pixels that meet it, -their median range): the most, then the nearest, first on a tie
    for m in faces:
        hits = m.intersect(cam, rays)
        if hits.hit.any():
            seen_by.append(((int(hits.hit.sum()), -float(np.nanmedian(hits.range_m))), m, hits.hit))
    if not seen_by:
        return None, grid[:0]
    _, face, hit = max(seen_by, key=lambda s: s[0])
    seen = grid[hit]
    nearest = int(np.argmin(np.hypot(seen[:, 0] - camera.cx_px, seen[:, 1] - camera.cy_px)))
    return face, seen[nearest:nearest + 1]


def georeference_frame(rec: FrameRecord, camera: CameraModel, frame: LocalFrame,
                       basis: Any, from_flight: bool = False) -> tuple[FrameGeoref, list[Detection]]:
    """One frame → its FrameGeoref and the Detections of its instances. ``basis``: a bound surface
    (``surface.bind(frame)``), or a PlaneBasis (the foundation's signature); ``from_flight``: it was
    placed by the flight's GNSS height (``position_cov_m2``)."""
    bound = _as_bound(basis)
    pose = rec.pose
    image = str(rec.image_path) if rec.image_path else None
    nan3 = np.full(3, np.nan)

    def failed(reason: str, cam: np.ndarray = nan3) -> tuple[FrameGeoref, list[Detection]]:
        return FrameGeoref(rec.frame_index, rec.capture_time_utc_s, f"not georeferenced: {reason}", cam,
                           None, math.nan, math.nan, image), []

    if pose.fix_type == GPS_FIX_NO_FIX:
        return failed("no GPS fix (fix_type 1)")
    if pose.fix_type == GPS_FIX_2D:
        return failed("2D GPS fix only: the camera height is unknown (fix_type 2)")
    cam = camera_center_ned(pose, frame)
    r_ned_cam = pose.r_ned_cam()
    if not (np.all(np.isfinite(cam)) and np.all(np.isfinite(r_ned_cam))):
        return failed("pose has non-finite position or attitude")
    look = np.array([[camera.cx_px, camera.cy_px]])
    axis = r_ned_cam @ camera.pixel_to_ray(look)[0]
    surf, why = _pick_surface(bound, cam, axis)
    frame_notes: list[str] = []
    if surf is None:
        surf, look = _surface_seen_off_centre(bound, camera, r_ned_cam, cam, axis)
        if surf is None:
            return failed(why, cam)
        frame_notes.append(f"image centre on no surface ({why}): placed by the part of the image that sees "
                           f"{surf.kind} {surf.name!r} (range and GSD at pixel ({look[0, 0]:.0f}, {look[0, 1]:.0f}))")
    # One ray cast for the whole frame (look point, border, every outline and skeleton): per-call
    # numpy overhead, not arithmetic, dominates with a few dozen vertices per instance.
    border = _border_pixels(camera.width_px, camera.height_px)
    pieces = [look, border]
    for inst in rec.instances:
        pieces.append(inst.polygon_px)
        pieces.append(inst.skeleton_px if inst.skeleton_px is not None else np.zeros((0, 2)))
    bounds = np.cumsum([0] + [len(p) for p in pieces])
    rays = camera.pixel_to_ray(np.concatenate(pieces)) @ r_ned_cam.T
    hits = surf.intersect(cam, rays)
    pts, rng, hit = hits.points, hits.range_m, hits.hit
    if float(rng[0]) > MAX_RANGE_M:
        return failed(f"the image centre meets {surf.kind} {surf.name!r} {float(rng[0]) / 1000:,.1f} km away (more "
                      f"than {MAX_RANGE_M:g} m): check the surface file's point (latitude first) against the "
                      "flight", cam)
    centre_gsd = float(local_gsd_m(camera, r_ned_cam, cam, pts[:1], hits.normals[:1])[0])
    footprint = _footprint(surf, cam, rays[bounds[1]:bounds[2]], pts[bounds[1]:bounds[2]], hit[bounds[1]:bounds[2]])
    chart = surf.chart()

    placed: list[tuple[int, np.ndarray, np.ndarray | None, np.ndarray]] = []
    notes: list[str] = frame_notes
    for i, inst in enumerate(rec.instances):
        a, b, c = bounds[2 + 2 * i], bounds[3 + 2 * i], bounds[4 + 2 * i]
        if not hit[a:b].all():
            notes.append(f"instance {i}: {int((~hit[a:b]).sum())} of {b - a} outline rays miss surface {surf.name!r}")
            continue
        skeleton = pts[b:c] if c - b >= 2 and hit[b:c].all() else None
        placed.append((i, pts[a:b], skeleton, chart.to_2d(pts[a:b])))
    detections: list[Detection] = []
    if placed:
        centroids = chart.to_3d(np.array([_polygon_centroid_2d(p[3]) for p in placed]))
        c_rays = centroids - cam
        ranges = np.linalg.norm(c_rays, axis=1)
        c_rays /= ranges[:, None]
        normals = _normals_at(surf, cam, c_rays, centroids)
        cos_inc = np.minimum(1.0, np.abs(np.einsum("ij,ij->i", c_rays, normals)))
        incidence = np.degrees(np.arccos(cos_inc))
        cov = position_cov_m2(pose, c_rays, normals, ranges, from_flight)
        gsd = local_gsd_m(camera, r_ned_cam, cam, centroids, normals)
        px_m2 = pixel_area_m2(camera, r_ned_cam, cam, centroids, normals)
        sig_h = np.sqrt(np.maximum(0.0, (cov[:, 0, 0] + cov[:, 1, 1]) / 2.0))
        sig_v = np.sqrt(np.maximum(0.0, cov[:, 2, 2]))
        for k, (i, outline, skeleton, _) in enumerate(placed):
            if incidence[k] > MAX_INCIDENCE_DEG:
                notes.append(f"instance {i}: grazing view ({incidence[k]:.1f} deg > {MAX_INCIDENCE_DEG} deg)")
                continue
            if ranges[k] > MAX_RANGE_M:
                notes.append(f"instance {i}: {ranges[k]:.0f} m away (more than {MAX_RANGE_M:g} m)")
                continue
            inst = rec.instances[i]
            area = float(inst.area_px) * float(px_m2[k])
            detections.append(Detection(
                frame_index=rec.frame_index, instance_index=i, class_id=inst.class_id, score=float(inst.score),
                outline_ned_m=outline, centroid_ned_m=centroids[k], skeleton_ned_m=skeleton, area_m2=area,
                gsd_m=float(gsd[k]), range_m=float(ranges[k]),
                incidence_deg=float(incidence[k]), sigma_h_m=float(sig_h[k]), sigma_v_m=float(sig_v[k]),
                cov_ned_m2=cov[k], surface_name=surf.name))
    fg = FrameGeoref(rec.frame_index, rec.capture_time_utc_s, STATUS_OK, cam, footprint, centre_gsd,
                     float(rng[0]), image, tuple(notes), surf.name)
    return fg, detections


def _as_bound(basis: Any) -> BoundSurface:
    if isinstance(basis, BoundSurface):
        return basis
    from skyinspect.surfaces.base import BoundPlane, PlaneChart

    if isinstance(basis, PlaneChart):
        return BoundPlane(basis)
    raise TypeError(f"expected a bound surface or a PlaneBasis, got {type(basis).__name__}")


def _normals_at(surf: BoundSurface, cam: np.ndarray, rays: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Outward normals at points on the surface (re-cast along the rays: exact for every type)."""
    h = surf.intersect(cam, rays)
    normals = h.normals.copy()
    miss = ~h.hit
    if miss.any():  # a centroid of a concave outline can fall just off a bounded surface
        normals[miss] = -rays[miss]
    return normals


def cast_pixels(uv: np.ndarray, camera: CameraModel, r_ned_cam: np.ndarray, cam: np.ndarray,
                basis: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixels → (points (N, 3) NED, range (N,), hit mask (N,)): where each pixel's ray meets the
    surface from its outer side (a ray that misses has hit False and NaN points)."""
    rays = camera.pixel_to_ray(uv) @ r_ned_cam.T
    if not isinstance(basis, BoundSurface):  # the foundation's PlaneBasis
        pts, t = intersect_plane(cam, rays, basis.origin_ned_m, basis.n_ned)
        hit = np.isfinite(t) & ((rays @ basis.n_ned) < 0)
        return pts, t, hit
    h = basis.intersect(cam, rays)
    return h.points, h.range_m, h.hit


def _footprint(surf: BoundSurface, cam: np.ndarray, rays: np.ndarray, pts: np.ndarray,
               ok: np.ndarray) -> np.ndarray | None:
    """The image border on the surface: the border samples that hit it, or, where some of them look
    past a face's end, the border's outline on the face's plane cut at the face's extent (the samples
    that hit stop at the last one before the end: up to a quarter of the image short)."""
    hits_only = pts[ok] if ok.sum() >= 3 else None
    if ok.all() or not isinstance(surf, BoundPlane) or surf.bounds_uv is None:
        return hits_only
    chart = surf.chart()
    on_plane, _, front = intersect_plane_rays(cam, rays, chart.origin_ned_m, chart.n_ned)
    if not front.all():  # part of the image above the plane's horizon: no closed outline to cut
        return hits_only
    import shapely
    from shapely.geometry import Polygon, box

    u0, u1, v0, v1 = surf.bounds_uv
    cut = shapely.make_valid(Polygon(chart.to_2d(on_plane))).intersection(box(u0, v0, u1, v1))
    if not isinstance(cut, Polygon) or cut.is_empty:
        return hits_only
    return chart.to_3d(np.asarray(cut.exterior.coords)[:-1])


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


def pointing_sigma_rad(pose: Pose) -> float:
    att = pose.attitude_sigma_deg if math.isfinite(pose.attitude_sigma_deg) else 0.5
    return math.radians(math.hypot(att, GIMBAL_SIGMA_DEG))


def position_cov_m2(pose: Pose, rays_ned: np.ndarray, normals_ned: np.ndarray, ranges_m: np.ndarray,
                    from_flight: bool = False) -> np.ndarray:
    """(K, 3, 3) covariance of ray-surface intersections (see module doc); rays (K, 3) unit
    vectors from the camera, normals (K, 3) or (3,), ranges (K,). ``from_flight``: the surface was
    placed by the flight's GNSS height, so a vertical camera error moves surface and point with it."""
    h = pose.h_acc_m if math.isfinite(pose.h_acc_m) and pose.h_acc_m > 0 else DEFAULT_H_ACC_M
    v = pose.v_acc_m if math.isfinite(pose.v_acc_m) and pose.v_acc_m > 0 else DEFAULT_V_ACC_M
    att = pointing_sigma_rad(pose)
    r = np.atleast_2d(rays_ned)
    n = np.broadcast_to(np.atleast_2d(normals_ned), r.shape)
    rng = np.atleast_1d(ranges_m)
    eye = np.eye(3)
    j = eye - np.einsum("ki,kj->kij", r, n) / np.einsum("ki,ki->k", r, n)[:, None, None]
    cov_cam = np.diag([h * h, h * h, 0.0 if from_flight else v * v])
    cov_ray = (att * att) * (eye - np.einsum("ki,kj->kij", r, r)) * (rng * rng)[:, None, None]
    cov = j @ (cov_cam + cov_ray) @ np.transpose(j, (0, 2, 1))
    return cov + np.diag([0.0, 0.0, v * v]) if from_flight else cov


def position_sigma_m(pose: Pose, rays_ned: np.ndarray, normal_ned: np.ndarray,
                     ranges_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-sigma (horizontal RMS of north/east, vertical) of ray-surface intersections."""
    cov = position_cov_m2(pose, rays_ned, normal_ned, ranges_m)
    sig_h = np.sqrt(np.maximum(0.0, (cov[:, 0, 0] + cov[:, 1, 1]) / 2.0))
    return sig_h, np.sqrt(np.maximum(0.0, cov[:, 2, 2]))
