"""The bound-surface interface, plane charts and the ray-plane intersection they share.

All vectors here are in a flight's local NED frame (metres). A *chart* maps points on (or near) a
surface to 2D coordinates (u, v) in metres and back; fusion, areas and drawings work in it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

UP_NED = np.array([0.0, 0.0, -1.0])
_HORIZONTAL_NORMAL_COS = 0.99  # |n·up| above this → treat a plane as horizontal (plan view)


@dataclass(frozen=True, eq=False)
class Hits:
    """Where rays meet a surface: points (N, 3), range along the unit ray (N,), unit outward
    normals at the points (N, 3) and a hit mask (N,). Rays that miss have hit False and NaN."""

    points: np.ndarray
    range_m: np.ndarray
    normals: np.ndarray
    hit: np.ndarray

    @classmethod
    def none(cls, n: int) -> Hits:
        return cls(np.full((n, 3), np.nan), np.full(n, np.nan), np.full((n, 3), np.nan), np.zeros(n, bool))


class Chart(Protocol):
    """2D coordinates on a surface (what fusion, measurement and drawings need)."""

    name: str

    @property
    def is_horizontal(self) -> bool: ...

    @property
    def axis_labels(self) -> tuple[str, str]: ...

    def to_2d(self, points_ned_m: np.ndarray) -> np.ndarray: ...

    def to_3d(self, uv_m: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, eq=False)
class PlaneChart:
    """A plane in local NED: origin and right-handed orthonormal axes (u, v, n).

    n is the outward normal (towards the camera); u runs horizontally along the face to the
    viewer's right when looking at the face (along -n), v runs up the face. For a horizontal plane
    u is east and v is north, so plan and elevation views both read naturally.
    """

    origin_ned_m: np.ndarray  # (3,)
    u_ned: np.ndarray  # (3,)
    v_ned: np.ndarray  # (3,)
    n_ned: np.ndarray  # (3,) outward normal
    name: str = "plane"

    @property
    def is_horizontal(self) -> bool:
        return abs(float(self.n_ned @ UP_NED)) > _HORIZONTAL_NORMAL_COS

    @property
    def axis_labels(self) -> tuple[str, str]:
        # measured from the surface's reference point (its file's "point"), which need not be a
        # corner: on a face negative metres are left of it as seen facing the face
        if self.is_horizontal:
            return ("east of the reference point (m)", "north of the reference point (m)")
        return ("along the face, right of its reference point (m)", "above the reference point (m)")

    def to_2d(self, points_ned_m: np.ndarray) -> np.ndarray:
        d = np.atleast_2d(points_ned_m) - self.origin_ned_m
        return np.stack([d @ self.u_ned, d @ self.v_ned], axis=1)

    def to_3d(self, uv_m: np.ndarray) -> np.ndarray:
        uv = np.atleast_2d(np.asarray(uv_m, dtype=np.float64))
        return self.origin_ned_m + uv[:, :1] * self.u_ned + uv[:, 1:2] * self.v_ned


def plane_chart(origin_ned_m: np.ndarray, normal_ned: np.ndarray, name: str = "plane") -> PlaneChart:
    n = np.asarray(normal_ned, dtype=np.float64)
    n = n / np.linalg.norm(n)
    if abs(float(n @ UP_NED)) > _HORIZONTAL_NORMAL_COS:
        u = np.array([0.0, 1.0, 0.0])  # east
        u = u - (u @ n) * n  # exactly in-plane for slightly tilted "horizontal" planes
    else:
        u = np.cross(-n, UP_NED)  # viewer's right when looking at the face along -n
    u = u / np.linalg.norm(u)
    v = np.cross(n, u)
    return PlaneChart(np.asarray(origin_ned_m, dtype=np.float64), u, v / np.linalg.norm(v), n, name)


def shoelace_area_m2(uv_m: np.ndarray) -> float:
    """Area of a simple polygon ring given in 2D metres (open or closed ring)."""
    x, y = uv_m[:, 0], uv_m[:, 1]
    return 0.5 * abs(float(x[:-1] @ y[1:] - y[:-1] @ x[1:] + x[-1] * y[0] - y[-1] * x[0]))


def intersect_plane_rays(origin: np.ndarray, rays: np.ndarray, point: np.ndarray,
                         normal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rays from one origin ∩ plane, from the outer side only: (points, t, hit)."""
    rays = np.atleast_2d(rays)
    denom = rays @ normal
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((point - origin) @ normal) / denom
    hit = np.isfinite(t) & (t > 0) & (denom < -1e-9)
    t = np.where(hit, t, np.nan)
    return origin + rays * t[:, None], t, hit


class BoundSurface:
    """A surface expressed in one flight's local NED frame (subclasses implement ``intersect`` and
    ``chart`` and have a ``name`` and a ``kind``: "plane", "face", "cylinder", "DEM")."""

    def intersect(self, origin_ned: np.ndarray, rays_ned: np.ndarray) -> Hits:
        raise NotImplementedError

    def chart(self) -> Chart:
        raise NotImplementedError

    def miss_reason(self, origin_ned: np.ndarray, ray_ned: np.ndarray) -> str:
        """Why one ray misses (for the per-frame status); subclasses say more."""
        return f"image centre ray does not meet {self.kind} {self.name!r} (camera looks away from it)"

    def surfaces(self) -> tuple[BoundSurface, ...]:
        return (self,)


@dataclass(eq=False)
class BoundPlane(BoundSurface):
    """An infinite plane, or a rectangle when ``bounds_uv`` = (u0, u1, v0, v1) in its chart."""

    chart_: PlaneChart
    bounds_uv: tuple[float, float, float, float] | None = None
    kind: str = "plane"

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.chart_.name

    def chart(self) -> PlaneChart:
        return self.chart_

    def intersect(self, origin_ned: np.ndarray, rays_ned: np.ndarray) -> Hits:
        c = self.chart_
        pts, t, hit = intersect_plane_rays(np.asarray(origin_ned, float), np.atleast_2d(rays_ned), c.origin_ned_m,
                                           c.n_ned)
        if self.bounds_uv is not None:
            u0, u1, v0, v1 = self.bounds_uv
            uv = c.to_2d(pts)
            with np.errstate(invalid="ignore"):
                hit &= (uv[:, 0] >= u0) & (uv[:, 0] <= u1) & (uv[:, 1] >= v0) & (uv[:, 1] <= v1)
        t = np.where(hit, t, np.nan)
        normals = np.where(hit[:, None], c.n_ned[None, :], np.nan)
        return Hits(np.where(hit[:, None], pts, np.nan), t, normals, hit)

    def miss_reason(self, origin_ned: np.ndarray, ray_ned: np.ndarray) -> str:
        c = self.chart_
        height = float((np.asarray(origin_ned) - c.origin_ned_m) @ c.n_ned)
        if height <= 0:
            return f"camera is {-height:.2f} m behind {self.kind} {self.name!r}"
        if float(np.asarray(ray_ned) @ c.n_ned) >= 0:
            return f"image centre ray does not meet {self.kind} {self.name!r} (camera looks away from it)"
        if self.bounds_uv is not None:
            _, t, _ = intersect_plane_rays(np.asarray(origin_ned, float), np.atleast_2d(ray_ned), c.origin_ned_m,
                                           c.n_ned)
            uv = c.to_2d(np.asarray(origin_ned) + np.atleast_2d(ray_ned) * t[:, None])[0]
            return (f"image centre ray meets the plane of {self.kind} {self.name!r} outside its extent "
                    f"(at u={uv[0]:.2f} m, v={uv[1]:.2f} m)")
        return f"image centre ray does not meet {self.kind} {self.name!r}"


def orthonormal(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    n = float(np.linalg.norm(v))
    if not math.isfinite(n) or n == 0:
        raise ValueError(f"expected a non-zero finite vector, got {v}")
    return v / n


def enu_to_ned(v: tuple[float, float, float] | np.ndarray) -> np.ndarray:
    e, n, u = (float(x) for x in v)
    return np.array([n, e, -u])
