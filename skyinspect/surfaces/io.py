"""Surface files (JSON) and sets of surfaces.

One file describes one surface, or a set::

    {"surface": "plane", "name": ..., "point": {lat_deg, lon_deg, alt_msl_m}, "normal_enu": [e, n, u]}
    {"surface": "face", ..., "normal_enu": [...], "u_range_m": [u0, u1], "v_range_m": [v0, v1]}
    {"surface": "cylinder", ..., "radius_m": r, "length_m": L, "axis_enu": [0, 0, 1], "ref_azimuth_deg": 0}
    {"surface": "dem", "name": ..., "path": "dsm.tif", "vertical": "auto|msl|ellipsoidal",
     "geoid_undulation_m": null, "max_range_m": 1000}
    {"surface": "set", "name": ..., "surfaces": [ {...}, {...} ]}

A file without "surface" is read as a plane (the foundation's format). Relative DEM paths are
relative to the surface file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import numpy as np

from skyinspect.errors import InputError, describe
from skyinspect.geodesy import LocalFrame
from skyinspect.json_input import read_json
from skyinspect.surface import PlaneSurface
from skyinspect.surfaces.base import BoundSurface, Hits
from skyinspect.surfaces.cylinder import CylinderSurface
from skyinspect.surfaces.dem import DemSurface
from skyinspect.surfaces.face import FaceSurface

AnySurface = Union[PlaneSurface, FaceSurface, CylinderSurface, DemSurface, "SurfaceSet"]


@dataclass(eq=False)
class BoundSet(BoundSurface):
    """Several bound surfaces: a ray takes the nearest hit among them."""

    members: tuple[BoundSurface, ...]
    name: str = "surfaces"
    kind: str = "surface set"

    def surfaces(self) -> tuple[BoundSurface, ...]:
        return self.members

    def intersect_with_index(self, origin_ned: np.ndarray, rays_ned: np.ndarray) -> tuple[Hits, np.ndarray]:
        rays = np.atleast_2d(rays_ned)
        best = Hits.none(len(rays))
        which = np.full(len(rays), -1)
        pts, rng, nrm, hit = best.points.copy(), best.range_m.copy(), best.normals.copy(), best.hit.copy()
        for i, m in enumerate(self.members):
            h = m.intersect(origin_ned, rays)
            better = h.hit & (~hit | (h.range_m < np.where(hit, rng, np.inf)))
            pts[better], rng[better], nrm[better], hit[better], which[better] = \
                h.points[better], h.range_m[better], h.normals[better], True, i
        return Hits(pts, rng, nrm, hit), which

    def intersect(self, origin_ned: np.ndarray, rays_ned: np.ndarray) -> Hits:
        return self.intersect_with_index(origin_ned, rays_ned)[0]

    def chart(self):  # type: ignore[no-untyped-def]
        return self.members[0].chart()

    def miss_reason(self, origin_ned: np.ndarray, ray_ned: np.ndarray) -> str:
        return "; ".join(m.miss_reason(origin_ned, ray_ned) for m in self.members)


@dataclass(frozen=True, eq=False)
class SurfaceSet:
    surfaces: tuple[Any, ...]
    name: str = "surfaces"

    kind = "set"

    def __post_init__(self) -> None:
        if not self.surfaces:
            raise InputError("a surface set needs at least one surface")
        names = [s.name for s in self.surfaces]
        if len(set(names)) != len(names):
            raise InputError(f"surface set {self.name!r}: member names must be unique, got {names}")

    @property
    def lat_deg(self) -> float:
        return float(self.surfaces[0].lat_deg)

    @property
    def lon_deg(self) -> float:
        return float(self.surfaces[0].lon_deg)

    def bind(self, frame: LocalFrame) -> BoundSet:
        return BoundSet(tuple(s.bind(frame) for s in self.surfaces), self.name)

    def to_dict(self) -> dict[str, object]:
        return {"surface": "set", "name": self.name, "surfaces": [s.to_dict() for s in self.surfaces]}


def _check_point(data: dict[str, Any], name: str) -> None:
    """A latitude or longitude off the globe (a typo, or lat/lon in another CRS's units) is refused: it
    georeferenced nothing and still wrote an empty report with exit code 0."""
    point = data.get("point")
    if not isinstance(point, dict):
        return  # a missing point is the constructors' KeyError, reported with the file
    lat, lon = float(point.get("lat_deg", 0.0)), float(point.get("lon_deg", 0.0))
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise InputError(f"surface {data.get('name', name)!r}: point lat_deg {lat}, lon_deg {lon} is not a WGS84 "
                         "position (expected latitude -90..90, longitude -180..180 degrees)")


def surface_from_dict(data: dict[str, Any], base: Path | None = None, name: str = "surface") -> AnySurface:
    kind = str(data.get("surface", "plane")).lower()
    _check_point(data, name)
    if kind == "plane":
        return PlaneSurface.from_dict(data, name)
    if kind == "face":
        return FaceSurface.from_dict(data, name)
    if kind == "cylinder":
        return CylinderSurface.from_dict(data, name)
    if kind == "dem":
        return DemSurface.from_dict(data, name, base)
    if kind == "set":
        return SurfaceSet(tuple(surface_from_dict(d, base, f"{name}[{i}]")  # type: ignore[misc]
                                for i, d in enumerate(_members(data["surfaces"]))), str(data.get("name", name)))
    raise InputError(f"unknown surface type {kind!r}; expected plane, face, cylinder, dem or set")


def _members(members: Any) -> list[dict[str, Any]]:
    """A set's members, each a surface object written inline (a file name there was an AttributeError)."""
    if not isinstance(members, list):
        raise InputError(f"'surfaces' is a {type(members).__name__}, not a list of surface objects. Write each "
                         "member inline: \"surfaces\": [{\"surface\": \"face\", ...}, ...]")
    for i, member in enumerate(members):
        if not isinstance(member, dict):
            raise InputError(f"surfaces[{i}] is a {type(member).__name__} ({repr(member)[:40]}), not a "
                             "surface object. Write each member inline (a set does not read other files): "
                             "\"surfaces\": [{\"surface\": \"face\", ...}, ...]")
    return members


FORMATS_HINT = ("Write a surface file: docs/georeferencing.md (Surfaces) gives the formats and a face's file; "
                "skyinspect/surfaces/io.py reads them")
_NEEDS = {"plane": "point {lat_deg, lon_deg, alt_msl_m} and normal_enu [e, n, u]",
          "face": "point {lat_deg, lon_deg, alt_msl_m}, normal_enu, u_range_m and v_range_m",
          "cylinder": "point (the base centre), radius_m, length_m, axis_enu and ref_azimuth_deg",
          "dem": "path (a GeoTIFF)", "set": "surfaces [...]"}


def load_surface(path: Path) -> AnySurface:
    path = Path(path)
    if path.suffix.lower() in (".tif", ".tiff"):
        return DemSurface(str(path), name=path.stem)
    try:
        data: Any = read_json(path)
        if not isinstance(data, dict):
            raise InputError(describe(path, f"holds a JSON {type(data).__name__}, not a surface object",
                                      "Expected {\"surface\": \"plane\" | \"face\" | ..., ...}; see "
                                      "skyinspect/surfaces/io.py for the formats"))
        return surface_from_dict(data, path.parent, path.stem)
    except FileNotFoundError as exc:
        raise InputError(describe(path, "surface file not found")) from exc
    except KeyError as exc:
        raise InputError(describe(path, _missing_key(data, exc), FORMATS_HINT)) from exc
    except (json.JSONDecodeError, TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            if str(path) in str(exc):
                raise
            # the surface's own checks (unknown type, zero normal, ...) do not know the file they came from
            raise InputError(describe(path, str(exc), FORMATS_HINT)) from exc
        raise InputError(describe(path, f"not a valid surface file ({type(exc).__name__}: {exc})",
                                  FORMATS_HINT)) from exc


def _missing_key(data: dict[str, Any], exc: KeyError) -> str:
    """What a KeyError from a surface's constructor meant: the key, what that kind needs, and (for a file
    without "surface", read as a plane) what the file holds instead: the SITL facade's geometry.json, which
    gives a face by its two ends, was refused as "not a valid surface file (KeyError: 'point')"."""
    kind = str(data.get("surface", "plane")).lower()
    if kind == "set" and "surfaces" in data:
        return (f"has a surface in its set without {exc.args[0]!r} (a plane needs {_NEEDS['plane']}; a face "
                f"{_NEEDS['face']})")
    text = f"has no {exc.args[0]!r}, which a {kind} surface needs ({_NEEDS.get(kind, 'see the formats')})"
    if "surface" not in data:
        keys = ", ".join(sorted(map(str, data))[:8]) + (f" and {len(data) - 8} more" if len(data) > 8 else "")
        text += f"; a file without \"surface\" is read as a plane, and this one holds {keys or 'nothing'}"
    return text
