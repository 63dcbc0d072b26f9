"""Heights: WGS84 ellipsoidal vs mean-sea-level (geoid) heights, explicitly.

- Telemetry: MAVLink ``GLOBAL_POSITION_INT.alt`` / ``GPS_RAW_INT.alt`` are MSL (the receiver's own
  geoid model, normally EGM96 or EGM2008); ``GPS_RAW_INT.alt_ellipsoid`` is ellipsoidal.
  The flight record stores MSL (``alt_msl_m``) and the local NED frame is built from those MSL
  heights: within one flight the geoid undulation N is constant to millimetres, so relative
  geometry is exact and every height we write is MSL again.
- A DEM/DSM or a surface given in ellipsoidal heights must be brought to MSL before it meets the
  rays: ``H_msl = h_ellipsoidal - N(lat, lon)``.

N comes from, in this order: a value the caller passes (best: ``GPS_RAW_INT.alt_ellipsoid - alt``
from the same receiver, which uses its own geoid consistently with the MSL heights it reported);
PROJ's EGM96 grid (``us_nga_egm96_15.tif``) when it is installed in the PROJ data directory
(never downloaded at run time: PROJ networking stays off); otherwise ``GeoidUnavailable`` is
raised with what to do. We never silently assume N = 0: around the world |N| reaches 100 m.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np

from skyinspect.errors import InputError

EGM96_GRID = "us_nga_egm96_15.tif"
MSL_CRS = "EPSG:4326+5773"  # WGS84 horizontal + EGM96 height
ELLIPSOIDAL_CRS = "EPSG:4979"  # WGS84 3D


class GeoidUnavailable(InputError):
    """No geoid undulation: neither given nor available offline."""


@lru_cache(maxsize=1)
def _egm96_transformer():  # type: ignore[no-untyped-def]
    """A MSL → ellipsoidal transformer that really applies EGM96, or None when the grid is missing.
    PROJ would otherwise fall back to a 'ballpark' no-op silently; TransformerGroup tells."""
    from pyproj.transformer import TransformerGroup

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "best transformation is not available": we check it below
        group = TransformerGroup(MSL_CRS, ELLIPSOIDAL_CRS, always_xy=True)
    if not group.best_available or not group.transformers:
        return None
    return group.transformers[0]


def geoid_grid_available() -> bool:
    return _egm96_transformer() is not None


def geoid_undulation_m(lat_deg: float | np.ndarray, lon_deg: float | np.ndarray,
                       given_m: float | None = None) -> float | np.ndarray:
    """N = h_ellipsoidal - H_msl at a point (EGM96). ``given_m`` wins when finite."""
    if given_m is not None and math.isfinite(given_m):
        return given_m if np.ndim(lat_deg) == 0 else np.full(np.shape(lat_deg), float(given_m))
    tr = _egm96_transformer()
    if tr is None:
        raise GeoidUnavailable(
            "the geoid undulation is needed (ellipsoidal and MSL heights meet here) but the PROJ grid "
            f"{EGM96_GRID} is not installed and no undulation was given. Pass geoid_undulation_m "
            "(e.g. GPS_RAW_INT.alt_ellipsoid - alt from the flight log), or copy the grid into the PROJ "
            "data directory (pyproj.datadir.get_data_dir()); nothing is downloaded at run time")
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    _, _, h = tr.transform(lon, lat, np.zeros_like(lat))
    return float(h) if np.ndim(lat_deg) == 0 else np.asarray(h)


def ellipsoidal_to_msl(lat_deg: float | np.ndarray, lon_deg: float | np.ndarray, h_ellipsoidal_m: float | np.ndarray,
                       geoid_undulation: float | None = None) -> float | np.ndarray:
    return np.asarray(h_ellipsoidal_m) - geoid_undulation_m(lat_deg, lon_deg, geoid_undulation)


def msl_to_ellipsoidal(lat_deg: float | np.ndarray, lon_deg: float | np.ndarray, h_msl_m: float | np.ndarray,
                       geoid_undulation: float | None = None) -> float | np.ndarray:
    return np.asarray(h_msl_m) + geoid_undulation_m(lat_deg, lon_deg, geoid_undulation)


def vertical_reference_of(crs) -> str:  # type: ignore[no-untyped-def]
    """'msl' | 'ellipsoidal' | 'unknown' for a pyproj CRS's heights."""
    if crs is None:
        return "unknown"
    if crs.is_compound:
        for sub in crs.sub_crs_list:
            if sub.is_vertical:
                name = sub.name.lower()
                return "ellipsoidal" if "ellipsoid" in name else "msl"
    if crs.is_geographic and len(crs.axis_info) == 3:
        return "ellipsoidal"
    return "unknown"
