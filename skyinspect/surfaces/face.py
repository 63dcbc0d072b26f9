"""A bounded planar face: a pier side, an abutment, a wall (vertical or not).

Given in WGS84 by a reference point (alt MSL), its outward normal (ENU) and its extent in the
face's own chart: u runs horizontally to the viewer's right when facing the face, v up the face
(see ``PlaneChart``), both from the reference point. A ray that meets the plane outside the extent
misses the face: a point past the pier's end is never placed on an imaginary extension of it (a
frame whose centre looks just past the end is placed by the part of it that sees the face, see
``groundstation.georef``; one that sees nothing of the face is "not georeferenced").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from skyinspect.errors import InputError
from skyinspect.geodesy import LocalFrame
from skyinspect.surface import unit_normal_enu
from skyinspect.surfaces.base import BoundPlane, enu_to_ned, plane_chart


@dataclass(frozen=True)
class FaceSurface:
    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    normal_enu: tuple[float, float, float]
    u_range_m: tuple[float, float]
    v_range_m: tuple[float, float]
    name: str = "face"

    kind = "face"

    def __post_init__(self) -> None:
        object.__setattr__(self, "normal_enu", unit_normal_enu(self.normal_enu, f"face {self.name!r}"))
        for label, rng in (("u_range_m", self.u_range_m), ("v_range_m", self.v_range_m)):
            lo, hi = (float(x) for x in rng)
            if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
                raise InputError(f"face {self.name!r}: {label} must be (low, high) with high > low, got {rng}")
            object.__setattr__(self, label, (lo, hi))

    @classmethod
    def vertical(cls, lat_deg: float, lon_deg: float, base_alt_msl_m: float, facing_azimuth_deg: float,
                 u_range_m: tuple[float, float], height_m: float, name: str = "face") -> FaceSurface:
        """A vertical face whose outward normal points to ``facing_azimuth_deg`` (clockwise from
        north: 270 = the face looks west), from its base up to ``height_m``."""
        a = math.radians(facing_azimuth_deg)
        return cls(lat_deg, lon_deg, base_alt_msl_m, (math.sin(a), math.cos(a), 0.0), u_range_m, (0.0, height_m),
                   name)

    def bind(self, frame: LocalFrame) -> BoundPlane:
        chart = plane_chart(frame.to_ned(self.lat_deg, self.lon_deg, self.alt_msl_m), enu_to_ned(self.normal_enu),
                            self.name)
        bound = BoundPlane(chart, (*self.u_range_m, *self.v_range_m))
        bound.kind = "face"
        return bound

    def to_dict(self) -> dict[str, object]:
        return {"surface": "face", "name": self.name,
                "point": {"lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "alt_msl_m": self.alt_msl_m},
                "normal_enu": list(self.normal_enu), "u_range_m": list(self.u_range_m),
                "v_range_m": list(self.v_range_m)}

    @classmethod
    def from_dict(cls, data: dict, name: str = "face") -> FaceSurface:  # type: ignore[type-arg]
        p = data["point"]
        return cls(float(p["lat_deg"]), float(p["lon_deg"]), float(p["alt_msl_m"]), tuple(data["normal_enu"]),
                   tuple(data["u_range_m"]), tuple(data["v_range_m"]), str(data.get("name", name)))  # type: ignore[arg-type]
