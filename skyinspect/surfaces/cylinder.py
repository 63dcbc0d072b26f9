"""A finite cylinder: a tower, a pipe, a round column.

Given by the centre of one end (WGS84, alt MSL), the axis direction (ENU, default vertical: up),
radius and length. Rays from outside meet the mantle (end caps are not inspected surfaces and are
ignored). The chart unrolls the mantle: u = radius × angle counter-clockwise seen from the axis tip
(for a vertical axis: counter-clockwise seen from above, which is to the right of a viewer facing the
mantle, as on a face), measured from the direction ``ref_azimuth_deg`` (0 = north; for a horizontal
axis the angle is measured from "up"); v = distance along the axis from the given end. The seam
(u = ±π r) is opposite the reference direction: put it where nothing is inspected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from skyinspect.errors import InputError
from skyinspect.geodesy import LocalFrame
from skyinspect.surfaces.base import UP_NED, BoundSurface, Hits, enu_to_ned


@dataclass(frozen=True, eq=False)
class CylinderChart:
    base_ned_m: np.ndarray
    axis_ned: np.ndarray  # unit
    ref_ned: np.ndarray  # unit, perpendicular to the axis: angle 0
    side_ned: np.ndarray  # unit, axis × ref: angle +90°
    radius_m: float
    name: str = "cylinder"
    is_horizontal: bool = False

    @property
    def axis_labels(self) -> tuple[str, str]:
        return ("around (m)", "along axis (m)")

    def to_2d(self, points_ned_m: np.ndarray) -> np.ndarray:
        d = np.atleast_2d(points_ned_m) - self.base_ned_m
        s = d @ self.axis_ned
        theta = np.arctan2(d @ self.side_ned, d @ self.ref_ned)
        return np.stack([self.radius_m * theta, s], axis=1)

    def to_3d(self, uv_m: np.ndarray) -> np.ndarray:
        uv = np.atleast_2d(np.asarray(uv_m, dtype=np.float64))
        theta = uv[:, 0] / self.radius_m
        radial = np.cos(theta)[:, None] * self.ref_ned + np.sin(theta)[:, None] * self.side_ned
        return self.base_ned_m + self.radius_m * radial + uv[:, 1:2] * self.axis_ned

    def normal_at(self, points_ned_m: np.ndarray) -> np.ndarray:
        d = np.atleast_2d(points_ned_m) - self.base_ned_m
        w = d - np.outer(d @ self.axis_ned, self.axis_ned)
        return w / np.linalg.norm(w, axis=1, keepdims=True)


@dataclass(eq=False)
class BoundCylinder(BoundSurface):
    chart_: CylinderChart
    length_m: float
    kind: str = "cylinder"

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.chart_.name

    def chart(self) -> CylinderChart:
        return self.chart_

    def intersect(self, origin_ned: np.ndarray, rays_ned: np.ndarray) -> Hits:
        c = self.chart_
        rays = np.atleast_2d(rays_ned)
        a, r = c.axis_ned, c.radius_m
        w = np.asarray(origin_ned, dtype=np.float64) - c.base_ned_m
        w_perp = w - (w @ a) * a
        d_perp = rays - np.outer(rays @ a, a)
        qa = np.einsum("ij,ij->i", d_perp, d_perp)
        qb = 2.0 * (d_perp @ w_perp)
        qc = float(w_perp @ w_perp) - r * r
        disc = qb * qb - 4 * qa * qc
        with np.errstate(invalid="ignore", divide="ignore"):
            t = (-qb - np.sqrt(disc)) / (2 * qa)  # the near root: entering the mantle from outside
        hit = (qc > 0) & (qa > 1e-12) & (disc >= 0) & (t > 0)
        pts = w + rays * t[:, None]
        s = pts @ a
        with np.errstate(invalid="ignore"):
            hit &= (s >= 0) & (s <= self.length_m)
        pts = np.where(hit[:, None], pts + c.base_ned_m, np.nan)
        normals = np.where(hit[:, None], c.normal_at(np.nan_to_num(pts)), np.nan)
        return Hits(pts, np.where(hit, t, np.nan), normals, hit)

    def miss_reason(self, origin_ned: np.ndarray, ray_ned: np.ndarray) -> str:
        c = self.chart_
        w = np.asarray(origin_ned) - c.base_ned_m
        if float(np.linalg.norm(w - (w @ c.axis_ned) * c.axis_ned)) <= c.radius_m:
            return f"camera is inside cylinder {self.name!r}"
        return f"image centre ray does not meet cylinder {self.name!r} (looks past it or beyond its ends)"


@dataclass(frozen=True)
class CylinderSurface:
    lat_deg: float
    lon_deg: float
    alt_msl_m: float  # centre of the end the axis starts from (the base of a tower)
    radius_m: float
    length_m: float
    axis_enu: tuple[float, float, float] = (0.0, 0.0, 1.0)
    ref_azimuth_deg: float = 0.0
    name: str = "cylinder"

    kind = "cylinder"

    def __post_init__(self) -> None:
        a = np.asarray(self.axis_enu, dtype=np.float64)
        norm = float(np.linalg.norm(a))
        if a.shape != (3,) or not math.isfinite(norm) or norm == 0:
            raise InputError(f"cylinder {self.name!r}: axis_enu must be a non-zero 3-vector, got {self.axis_enu}")
        object.__setattr__(self, "axis_enu", tuple(float(v) for v in a / norm))
        if not (self.radius_m > 0 and self.length_m > 0):
            raise InputError(f"cylinder {self.name!r}: radius_m and length_m must be > 0, "
                             f"got {self.radius_m}, {self.length_m}")

    def bind(self, frame: LocalFrame) -> BoundCylinder:
        axis = enu_to_ned(self.axis_enu)
        az = math.radians(self.ref_azimuth_deg)
        ref = np.array([math.cos(az), math.sin(az), 0.0])
        if abs(float(axis @ UP_NED)) < 0.99:  # horizontal/tilted axis: angle 0 = "up" off the axis
            ref = UP_NED.copy()
        ref = ref - (ref @ axis) * axis
        ref /= np.linalg.norm(ref)
        side = np.cross(axis, ref)
        chart = CylinderChart(frame.to_ned(self.lat_deg, self.lon_deg, self.alt_msl_m), axis, ref, side,
                              float(self.radius_m), self.name)
        return BoundCylinder(chart, float(self.length_m))

    def to_dict(self) -> dict[str, object]:
        return {"surface": "cylinder", "name": self.name,
                "point": {"lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "alt_msl_m": self.alt_msl_m},
                "radius_m": self.radius_m, "length_m": self.length_m, "axis_enu": list(self.axis_enu),
                "ref_azimuth_deg": self.ref_azimuth_deg}

    @classmethod
    def from_dict(cls, data: dict, name: str = "cylinder") -> CylinderSurface:  # type: ignore[type-arg]
        p = data["point"]
        return cls(float(p["lat_deg"]), float(p["lon_deg"]), float(p["alt_msl_m"]), float(data["radius_m"]),
                   float(data["length_m"]), tuple(data.get("axis_enu", (0.0, 0.0, 1.0))),  # type: ignore[arg-type]
                   float(data.get("ref_azimuth_deg", 0.0)), str(data.get("name", name)))
