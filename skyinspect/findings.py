"""Types at the georeference → fusion → products joints.

World coordinates are WGS84 (lat/lon degrees, height MSL metres) for outputs and a flight's
local NED frame (metres) for arithmetic; names carry the frame and unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# What counts as one reportable defect, shared by the simulator's truth and the ground station so
# both sides count defects the same way: sightings closer than MERGE_DISTANCE_M are one defect, and
# anything smaller than the class minimum is a speck, not a finding.
MERGE_DISTANCE_M = 0.02
MIN_REPORTABLE_AREA_M2: dict[str, float] = {"crack": 20e-6, "corrosion": 100e-6}
# A crack piece whose line, followed out of an end, meets another piece this close is the same crack:
# the ground station links them into one finding and counts such gaps in the crack's length.
CRACK_LINK_DISTANCE_M = 0.08


@dataclass(frozen=True, eq=False)
class Detection:
    """One instance from one frame, placed in the world."""

    frame_index: int
    instance_index: int
    class_id: int
    score: float
    outline_ned_m: np.ndarray  # (N, 3) polygon on the surface
    centroid_ned_m: np.ndarray  # (3,)
    skeleton_ned_m: np.ndarray | None  # (M, 3) crack centre line, or None
    area_m2: float
    gsd_m: float  # metres per pixel at the detection, along the surface
    range_m: float
    incidence_deg: float  # angle between the viewing ray and the surface normal
    sigma_h_m: float  # 1-sigma horizontal position uncertainty
    sigma_v_m: float  # 1-sigma vertical position uncertainty
    # Added by the georeferencing issue (defaulted, so older callers are unaffected):
    cov_ned_m2: np.ndarray | None = None  # (3, 3) position covariance of the centroid, NED, m²
    surface_name: str = ""  # the surface this frame looked at (a set of surfaces has several)

    def __post_init__(self) -> None:
        outline = np.asarray(self.outline_ned_m, dtype=np.float64)
        if outline.ndim != 2 or outline.shape[1] != 3:
            raise ValueError(f"Detection.outline_ned_m: expected (N, 3), got {outline.shape}")
        object.__setattr__(self, "outline_ned_m", outline)
        object.__setattr__(self, "centroid_ned_m", np.asarray(self.centroid_ned_m, dtype=np.float64).reshape(3))


@dataclass(frozen=True)
class Measurement:
    """A measured value with its 1-sigma uncertainty; ``value`` is None when not measurable. A
    quantity known only to lie in an interval (a crack too narrow for its interior to show) has
    ``value`` None and the interval in ``low``/``high`` (same unit)."""

    value: float | None
    sigma: float | None
    unit: str
    note: str = ""
    low: float | None = None
    high: float | None = None

    @property
    def is_bound(self) -> bool:
        """Only an interval is known (see the class doc)."""
        return (self.value is None and self.low is not None and self.high is not None
                and math.isfinite(self.low) and math.isfinite(self.high) and self.low <= self.high)


@dataclass(frozen=True, eq=False)
class Finding:
    """One physical defect, fused from all the frames that saw it."""

    finding_id: str
    class_id: int
    class_name: str
    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    outline_wgs84: np.ndarray  # (N, 3) lat, lon, alt_msl
    centroid_ned_m: np.ndarray
    score: float
    views: tuple[tuple[int, int], ...]  # (frame_index, instance_index) of every sighting
    best_view: tuple[int, int]
    measurements: dict[str, Measurement] = field(default_factory=dict)
    ce90_m: float = float("nan")
    le90_m: float = float("nan")
    severity: str = "unknown"
    # Added for the ground station (all defaulted, so older callers are unaffected):
    outline_ned_m: np.ndarray | None = None  # (N, 3) fused outline in the flight's local NED frame
    skeleton_ned_m: np.ndarray | None = None  # (M, 3) crack centre line of its longest view (chained pieces), or None
    gsd_m: float = float("nan")  # best view's local GSD along the surface
    range_m: float = float("nan")  # best view's camera-to-defect range
    incidence_deg: float = float("nan")  # best view's incidence angle
    surface_name: str = ""  # the surface the defect lies on
    cov_ned_m2: np.ndarray | None = None  # (3, 3) centroid covariance behind ce90_m / le90_m
    # a crack's measured centre lines over all its views, branches and counted joins included ((K, 3)
    # polylines, flight NED): what its length_mm is the length of (groundstation/crack_length.py)
    centrelines_ned_m: tuple[np.ndarray, ...] = ()

    @property
    def view_count(self) -> int:
        return len(self.views)
