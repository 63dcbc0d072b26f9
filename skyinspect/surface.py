"""The infinite plane surface (ground, deck, a face without known extent).

Bounded faces, cylinders, DEMs and sets of surfaces live in ``skyinspect.surfaces``; every
surface type has ``bind(frame)`` → a ``skyinspect.surfaces.BoundSurface`` in a flight's local
NED frame, ``to_dict()`` and a reference ``lat_deg``/``lon_deg`` (where maps centre).

A surface file (JSON) describes one planar surface in WGS84 so it can travel with an asset::

    {"surface": "plane", "name": "pier P2, west face",
     "point": {"lat_deg": 47.39787, "lon_deg": 8.54579, "alt_msl_m": 498.1},
     "normal_enu": [-1.0, 0.0, 0.0]}

``normal_enu`` points out of the structure towards where the camera may be. A horizontal ground
plane has normal [0, 0, 1].
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skyinspect.errors import InputError, describe
from skyinspect.geodesy import LocalFrame
from skyinspect.json_input import read_json


def unit_normal_enu(normal_enu: tuple[float, float, float], owner: str) -> tuple[float, float, float]:
    """The normal scaled to unit length; a zero, non-finite or wrongly shaped one is an InputError."""
    n = np.asarray(normal_enu, dtype=np.float64)
    norm = float(np.linalg.norm(n)) if n.shape == (3,) else float("nan")
    if not np.isfinite(norm) or norm == 0:
        raise InputError(f"{owner}: normal_enu must be a non-zero 3-vector, got {normal_enu}")
    return tuple(float(v) for v in n / norm)  # type: ignore[return-value]


@dataclass(frozen=True)
class PlaneSurface:
    """An infinite plane given in WGS84 by one point and its outward normal (ENU)."""

    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    normal_enu: tuple[float, float, float]
    name: str = "plane"

    def __post_init__(self) -> None:
        object.__setattr__(self, "normal_enu", unit_normal_enu(self.normal_enu, f"surface {self.name!r}"))

    kind = "plane"

    def bind(self, frame: LocalFrame):  # type: ignore[no-untyped-def]
        """This plane in ``frame``'s local NED coordinates (a ``BoundSurface``)."""
        from skyinspect.surfaces.base import BoundPlane, plane_chart

        return BoundPlane(plane_chart(self.point_ned(frame), self.normal_ned(), self.name))

    @classmethod
    def ground(cls, lat_deg: float, lon_deg: float, alt_msl_m: float) -> PlaneSurface:
        return cls(lat_deg, lon_deg, alt_msl_m, (0.0, 0.0, 1.0), "ground")

    def normal_ned(self) -> np.ndarray:
        e, n, u = self.normal_enu
        return np.array([n, e, -u])

    def point_ned(self, frame: LocalFrame) -> np.ndarray:
        return frame.to_ned(self.lat_deg, self.lon_deg, self.alt_msl_m)

    def to_dict(self) -> dict[str, object]:
        return {"surface": "plane", "name": self.name,
                "point": {"lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "alt_msl_m": self.alt_msl_m},
                "normal_enu": list(self.normal_enu)}

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def from_dict(cls, data: dict, name: str = "plane") -> PlaneSurface:  # type: ignore[type-arg]
        point = data["point"]
        return cls(float(point["lat_deg"]), float(point["lon_deg"]), float(point["alt_msl_m"]),
                   tuple(data["normal_enu"]), str(data.get("name", name)))  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> PlaneSurface:
        path = Path(path)
        try:
            data = read_json(path)
            point = data["point"]
            return cls(float(point["lat_deg"]), float(point["lon_deg"]), float(point["alt_msl_m"]),
                       tuple(data["normal_enu"]), str(data.get("name", path.stem)))
        except FileNotFoundError as exc:
            raise InputError(describe(path, "surface file not found")) from exc
        except InputError:  # read_json's, naming the file: a ValueError too
            raise
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InputError(describe(path, f"not a valid surface file ({type(exc).__name__}: {exc})",
                                      "Expected {\"surface\": \"plane\", \"point\": {lat_deg, lon_deg, "
                                      "alt_msl_m}, \"normal_enu\": [e, n, u]}")) from exc


def intersect_plane(origin_ned: np.ndarray, rays_ned: np.ndarray, point_ned: np.ndarray,
                    normal_ned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intersect rays from one origin with a plane.

    Returns (points (N, 3), range_m (N,)); rays parallel to the plane or pointing away from it
    give NaN.
    """
    rays = np.atleast_2d(rays_ned)
    denom = rays @ normal_ned
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((point_ned - origin_ned) @ normal_ned) / denom
    t = np.where((np.abs(denom) > 1e-9) & (t > 0), t, np.nan)
    return origin_ned + rays * t[:, None], t
