"""A face's extent written the wrong way round: say so, and which range holds the views.

A face's u runs to the viewer's right when facing it, from the surface file's point (``PlaneChart``). A
face known by its two ends is easily written with u towards the other end when that end lies to the
viewer's left: on the SITL facade scan (a west-facing pier face 30 m north of its south-end point) u_range_m
[0, 30] instead of [-30, 0] left 43 of 57 frames 'not georeferenced' with only one frame's 'outside its
extent (at u=-6.00 m, ...)' said. The image centres' hits on the face's plane tell the mistake apart from a
flight that looked past a face really shorter: the mirrored range [-u1, -u0] holds most of them, the given
one fewer.

Also a facade scan processed without its surface (``level_on_default_ground``): the default ground plane
at the take-off altitude is met by a camera looking a few degrees down only far away, at metres a pixel.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from groundstation.georef import Georeferenced, camera_center_ned
from groundstation.load import LoadedFlight
from groundstation.registry.locate import compass
from skyinspect.surfaces.base import BoundPlane, intersect_plane_rays

LEVEL_DEG = 20.0  # an image centre this little below the horizon looks at a structure, not at the ground
MIRRORED_SHARE = 0.8  # of the centres that meet the face's plane, at least this many inside the mirrored range


def mirrored_extent_hints(flight: LoadedFlight, geo: Georeferenced) -> tuple[str, ...]:
    """One sentence per bounded face whose u_range_m, mirrored, would hold the frames' image centres that it
    does not: their span on the face's chart, which way u runs there, and the range to write."""
    if all(f.is_georeferenced for f in geo.frames):
        return ()
    faces = [m for m in geo.surface.bind(flight.origin).surfaces()
             if isinstance(m, BoundPlane) and m.bounds_uv is not None and not m.chart_.is_horizontal]
    if not faces:
        return ()
    centre = np.array([[flight.camera.cx_px, flight.camera.cy_px]])
    look = flight.camera.pixel_to_ray(centre)[0]
    cams, axes = [], []
    for rec in flight.frames:
        cam = camera_center_ned(rec.pose, flight.origin)
        r_ned_cam = rec.pose.r_ned_cam()
        if np.all(np.isfinite(cam)) and np.all(np.isfinite(r_ned_cam)):
            cams.append(cam)
            axes.append(r_ned_cam @ look)
    hints = []
    for face in faces:
        uv = _centre_hits(face, cams, axes)
        hint = _mirrored(face, uv)
        if hint:
            hints.append(hint)
    return tuple(hints)


def _centre_hits(face: BoundPlane, cams: list[np.ndarray], axes: list[np.ndarray]) -> np.ndarray:
    """(N, 2) chart coordinates where the optical axes meet the face's (unbounded) plane from its outer side."""
    c = face.chart_
    hits = []
    for cam, axis in zip(cams, axes):
        pts, _, hit = intersect_plane_rays(cam, axis[None], c.origin_ned_m, c.n_ned)
        if hit[0]:
            hits.append(c.to_2d(pts)[0])
    return np.array(hits, np.float64).reshape(-1, 2)


def _mirrored(face: BoundPlane, uv: np.ndarray) -> str:
    if len(uv) == 0:
        return ""
    u0, u1, v0, v1 = face.bounds_uv  # type: ignore[misc]
    on_v = (uv[:, 1] >= v0) & (uv[:, 1] <= v1)
    given = int(np.sum(on_v & (uv[:, 0] >= u0) & (uv[:, 0] <= u1)))
    m0, m1 = -u1 + 0.0, -u0 + 0.0  # + 0.0: no '-0' in the message
    mirrored = int(np.sum(on_v & (uv[:, 0] >= m0) & (uv[:, 0] <= m1)))
    if mirrored <= given or mirrored < MIRRORED_SHARE * len(uv):
        return ""
    c = face.chart_
    facing = compass(float(c.n_ned[1]), float(c.n_ned[0]))  # (east, north) of the NED vectors
    right = compass(float(c.u_ned[1]), float(c.u_ned[0]))
    return (f"the image centres meet the plane of {face.kind} {face.name!r} at u {uv[:, 0].min():.1f} to "
            f"{uv[:, 0].max():.1f} m, v {uv[:, 1].min():.1f} to {uv[:, 1].max():.1f} m from its point, and its "
            f"u_range_m [{u0:g}, {u1:g}] holds {given} of {len(uv)} of them, the mirrored [{m0:g}, {m1:g}] "
            f"{mirrored}: u runs to the viewer's right when facing the face (for one facing {facing}, towards the "
            f"{right}), so write u_range_m [{m0:g}, {m1:g}] in the surface file")


def level_on_default_ground(geo: Georeferenced, origin: Any) -> str:
    """A note when most frames georeferenced onto the default ground plane met it less than LEVEL_DEG below
    the horizon: a facade or pier scan processed without --surface. The SITL facade scan's tilted lanes
    (gimbal -3 to -10 deg) landed 98-172 m away at 0.70-4.10 m a pixel, and nothing said so."""
    if not geo.from_flight:
        return ""
    planes = [m for m in geo.surface.bind(origin).surfaces() if isinstance(m, BoundPlane)]
    ok = [f for f in geo.frames if f.is_georeferenced and math.isfinite(f.range_m) and f.range_m > 0]
    if not planes or not ok:
        return ""  # nothing placed: process says why each frame was not
    c = planes[0].chart_
    height = np.array([float((f.camera_ned_m - c.origin_ned_m) @ c.n_ned) for f in ok])
    ranges = np.array([f.range_m for f in ok])  # finite, as ``ok`` holds them
    below_deg = np.degrees(np.arcsin(np.clip(height / ranges, -1.0, 1.0)))
    level = below_deg < LEVEL_DEG
    if level.sum() * 2 <= len(ok):
        return ""
    rng = np.median(ranges)
    gsd = np.median([f.gsd_m for f in ok if math.isfinite(f.gsd_m)])
    return (f"{int(level.sum())} of {len(ok)} georeferenced frames met the default ground plane (the take-off "
            f"altitude) less than {LEVEL_DEG:g} deg below the horizon (median {np.median(below_deg):.1f} deg, "
            f"{rng:.0f} m away, {gsd * 1000:.0f} mm a pixel): a camera looking at a facade or pier needs "
            "--surface with what it looked at (a face's file: docs/georeferencing.md, Surfaces)")
