"""WGS84 geodetic coordinates ↔ a local metric tangent frame (pyproj).

Heights: telemetry gives altitude above mean sea level (MSL). The local frame treats those MSL
heights as if they were ellipsoidal: within one flight (a few km) the geoid undulation is nearly
constant, so relative geometry is unaffected; absolute heights in outputs stay MSL. The
georeferencing issue adds explicit geoid handling.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from pyproj import CRS, Transformer

# One inspection site: every point of an asset lies within this of its home (the planner), and two
# inspections of one structure have findings within this of each other (change detection). Farther
# is a different place, most often latitude and longitude swapped.
SITE_RADIUS_M = 10_000.0


@dataclass(frozen=True)
class LocalFrame:
    """A local NED frame whose origin is a WGS84 point (lat, lon, height)."""

    lat0_deg: float
    lon0_deg: float
    h0_m: float = 0.0

    def __post_init__(self) -> None:
        # plain floats: the PROJ pipeline below is built from their reprs, and numpy 2's repr of a
        # np.float64 ("np.float64(47.39)") is not a number to PROJ, which then returned positions
        # millions of metres off without an error
        for name in ("lat0_deg", "lon0_deg", "h0_m"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @cached_property
    def _to_enu(self) -> Transformer:
        pipeline = ("+proj=pipeline +step +proj=cart +ellps=WGS84 "
                    f"+step +proj=topocentric +ellps=WGS84 +lat_0={self.lat0_deg!r} "
                    f"+lon_0={self.lon0_deg!r} +h_0={self.h0_m!r}")
        return Transformer.from_pipeline(pipeline)

    def to_ned(self, lat_deg: np.ndarray | float, lon_deg: np.ndarray | float,
               h_m: np.ndarray | float) -> np.ndarray:
        """Geodetic → (N, 3) NED metres (a single point gives shape (3,))."""
        scalar = np.ndim(lat_deg) == 0
        lat, lon, h = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=np.float64))
                                            for a in (lat_deg, lon_deg, h_m)))
        e, n, u = self._to_enu.transform(lon, lat, h, radians=False)
        ned = np.stack([n, e, -np.asarray(u)], axis=1)
        return ned[0] if scalar else ned

    def to_geodetic(self, ned: np.ndarray) -> np.ndarray:
        """(N, 3) NED metres → (N, 3) lat_deg, lon_deg, h_m (a single point gives shape (3,))."""
        pts = np.atleast_2d(np.asarray(ned, dtype=np.float64))
        lon, lat, h = self._to_enu.transform(pts[:, 1], pts[:, 0], -pts[:, 2], direction="INVERSE")
        out = np.stack([lat, lon, h], axis=1)
        return out[0] if np.ndim(ned) == 1 else out


def utm_crs_for(lat_deg: float, lon_deg: float) -> CRS:
    """The WGS84 UTM zone CRS that contains a point (for metric outputs users can open in QGIS)."""
    zone = min(int((lon_deg + 180.0) // 6.0) + 1, 60)  # lon 180 is zone 60 (61 was EPSG:32661, UPS North)
    # the grid's own exceptions, which surveyors there use: south-west Norway is 32V, Svalbard 31X-37X
    if 56.0 <= lat_deg < 64.0 and 3.0 <= lon_deg < 12.0:
        zone = 32
    elif 72.0 <= lat_deg < 84.0 and 0.0 <= lon_deg < 42.0:
        zone = 31 if lon_deg < 9.0 else 33 if lon_deg < 21.0 else 35 if lon_deg < 33.0 else 37
    epsg = (32600 if lat_deg >= 0 else 32700) + zone
    return CRS.from_epsg(epsg)
