"""Solids the vehicle must keep away from, and surfaces the camera must cover, in a local frame.

Frame: local NED metres (``skyinspect.geodesy.LocalFrame``) whose origin is the site's home on the
ground, so height above ground level (AGL) is ``-down`` (flat ground around the site is assumed;
the asset file gives the ground's height above MSL once). Horizontal shapes are shapely
geometries with x = east, y = north, so they look like maps.

Solids give the clearance (m) from points to their surface, 0 inside. Surfaces give sample points
with outward normals; the coverage check projects them into every planned frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import Point, Polygon


def _as_points(pts_ned: np.ndarray) -> np.ndarray:
    return np.atleast_2d(np.asarray(pts_ned, dtype=np.float64))


@dataclass(frozen=True)
class Prism:
    """A horizontal polygon (east, north metres) extruded between two heights AGL: box piers,
    decks, keep-out volumes, girders."""

    name: str
    outline_en_m: tuple[tuple[float, float], ...]
    bottom_agl_m: float
    top_agl_m: float

    def polygon(self) -> Polygon:
        return Polygon(self.outline_en_m)

    def distance_m(self, pts_ned: np.ndarray) -> np.ndarray:
        p = _as_points(pts_ned)
        dh = shapely.distance(shapely.points(p[:, 1], p[:, 0]), self.polygon())
        h = -p[:, 2]
        dz = np.maximum(np.maximum(self.bottom_agl_m - h, h - self.top_agl_m), 0.0)
        return np.hypot(dh, dz)

    def contains(self, pts_ned: np.ndarray) -> np.ndarray:
        return self.distance_m(pts_ned) <= 0.0


@dataclass(frozen=True)
class Frustum:
    """A vertical truncated cone (a tapered tower, or a cylinder pier when the radii are equal)."""

    name: str
    centre_ne_m: tuple[float, float]
    bottom_radius_m: float
    top_radius_m: float
    bottom_agl_m: float
    top_agl_m: float

    def radius_at(self, h_agl_m: float | np.ndarray) -> float | np.ndarray:
        a = (np.asarray(h_agl_m) - self.bottom_agl_m) / max(self.top_agl_m - self.bottom_agl_m, 1e-9)
        return self.bottom_radius_m + np.clip(a, 0.0, 1.0) * (self.top_radius_m - self.bottom_radius_m)

    def distance_m(self, pts_ned: np.ndarray) -> np.ndarray:
        p = _as_points(pts_ned)
        rho = np.hypot(p[:, 0] - self.centre_ne_m[0], p[:, 1] - self.centre_ne_m[1])
        section = Polygon([(0.0, self.bottom_agl_m), (self.bottom_radius_m, self.bottom_agl_m),
                           (self.top_radius_m, self.top_agl_m), (0.0, self.top_agl_m)])
        return shapely.distance(shapely.points(rho, -p[:, 2]), section)


@dataclass(frozen=True)
class Capsule:
    """A segment with a radius: a blade (radius = half its chord), a pipe, a nacelle."""

    name: str
    p0_ned: tuple[float, float, float]
    p1_ned: tuple[float, float, float]
    radius_m: float

    def distance_m(self, pts_ned: np.ndarray) -> np.ndarray:
        p = _as_points(pts_ned)
        a, b = np.asarray(self.p0_ned), np.asarray(self.p1_ned)
        ab = b - a
        t = np.clip(((p - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
        return np.maximum(np.linalg.norm(p - (a + t[:, None] * ab), axis=1) - self.radius_m, 0.0)


Solid = Prism | Frustum | Capsule


@dataclass(frozen=True)
class Surface:
    """Sample points (M, 3) NED on a structure surface with their outward unit normals (M, 3).

    ``spacing_m`` is the sample spacing; coverage is the fraction of points seen."""

    name: str
    points_ned: np.ndarray
    normals_ned: np.ndarray
    spacing_m: float
    plane: tuple[np.ndarray, np.ndarray, np.ndarray, float, float] | None = None  # origin, u, v, width, height

    def __hash__(self) -> int:  # arrays are not hashable; identity is enough here
        return id(self)


def rectangle_surface(name: str, origin_ned: np.ndarray, u_dir: np.ndarray, v_dir: np.ndarray,
                      width_m: float, height_m: float, normal_ned: np.ndarray, spacing_m: float) -> Surface:
    """Points on the rectangle origin + [0, width] u + [0, height] v, at cell centres."""
    nu = max(1, int(math.ceil(width_m / spacing_m)))
    nv = max(1, int(math.ceil(height_m / spacing_m)))
    us = (np.arange(nu) + 0.5) * width_m / nu
    vs = (np.arange(nv) + 0.5) * height_m / nv
    uu, vv = np.meshgrid(us, vs)
    pts = (np.asarray(origin_ned, float)[None, :] + uu.ravel()[:, None] * np.asarray(u_dir, float)[None, :]
           + vv.ravel()[:, None] * np.asarray(v_dir, float)[None, :])
    n = np.asarray(normal_ned, float) / np.linalg.norm(normal_ned)
    plane = (np.asarray(origin_ned, float), np.asarray(u_dir, float), np.asarray(v_dir, float), width_m, height_m)
    return Surface(name, pts, np.repeat(n[None, :], len(pts), axis=0), spacing_m, plane)


def frustum_surface(name: str, tower: Frustum, bottom_agl_m: float, top_agl_m: float,
                    spacing_m: float, angle_step_rad: float | None = None) -> Surface:
    """Points on a frustum's side between two heights, ``spacing_m`` apart vertically and
    ``angle_step_rad`` about the axis (default: ``spacing_m`` along the widest circumference);
    normals point out (taper ignored: < 1 deg)."""
    r_max = float(max(tower.bottom_radius_m, tower.top_radius_m))
    na = max(8, int(math.ceil(2 * math.pi / angle_step_rad if angle_step_rad else 2 * math.pi * r_max / spacing_m)))
    nh = max(1, int(math.ceil((top_agl_m - bottom_agl_m) / spacing_m)))
    ang = (np.arange(na) + 0.5) * 2 * math.pi / na
    hs = bottom_agl_m + (np.arange(nh) + 0.5) * (top_agl_m - bottom_agl_m) / nh
    aa, hh = np.meshgrid(ang, hs)
    r = np.asarray(tower.radius_at(hh.ravel()))
    normals = np.stack([np.cos(aa.ravel()), np.sin(aa.ravel()), np.zeros(aa.size)], axis=1)
    pts = np.stack([tower.centre_ne_m[0] + r * normals[:, 0], tower.centre_ne_m[1] + r * normals[:, 1],
                    -hh.ravel()], axis=1)
    return Surface(name, pts, normals, spacing_m)


def point_in_polygon_en(polygon_en: Polygon, pts_ned: np.ndarray) -> np.ndarray:
    p = _as_points(pts_ned)
    return shapely.contains_xy(polygon_en, p[:, 1], p[:, 0])


def horizontal_heading_deg(vec_ned: np.ndarray) -> float:
    """Compass heading (0 = north, clockwise) of a horizontal NED direction."""
    return math.degrees(math.atan2(float(vec_ned[1]), float(vec_ned[0]))) % 360.0


def compass_point(vec_ned: np.ndarray) -> str:
    """The nearest of the eight compass points (N, NE, ... NW) to a horizontal NED direction: names faces."""
    names = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
    return names[int(((horizontal_heading_deg(vec_ned) + 22.5) % 360) // 45)]


def lon_near(lon0_deg: float, lon_deg: float) -> float:
    """``lon_deg`` within 180 degrees of ``lon0_deg`` (past +-180 if need be): across the 180th meridian,
    +179.9999 and -179.9999 are metres apart, not 360 degrees."""
    return lon0_deg + ((lon_deg - lon0_deg + 180.0) % 360.0 - 180.0)


def unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.linalg.norm(v)


__all__ = ["Capsule", "Frustum", "Point", "Prism", "Solid", "Surface", "compass_point", "frustum_surface",
           "horizontal_heading_deg", "lon_near", "point_in_polygon_en", "rectangle_surface", "unit"]
