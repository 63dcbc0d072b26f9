"""A round pier / tower for the simulator: a vertical cylinder carrying the same textures as the face.

The cylinder is ``skyinspect.surfaces.CylinderSurface`` (the ground station reads the very same
description from surface.json). Its unrolled mantle is the texture: texture ``u`` is the chart's
arc length (metres counter-clockwise seen from above, from ``ref_azimuth_deg``; the chart's seam is
at ``ref_azimuth_deg`` + 180), texture ``v`` is the height above the cylinder's base. The SimConfig
region fields (``region_u0_m``, ``region_width_m``, ``region_v0_m``, ``region_height_m``) and the
defect placements are read in those coordinates, so ``scene.build_texture`` (procedural concrete,
pasted real defects, labels) builds the mantle's texture unchanged. Outside the textured region
rays see the plain background grey.

Rendering: each pixel's ray is intersected with the mantle from outside (nearest hit; rays from
inside, past the sides or beyond the ends miss), the hit point mapped to (arc, height) and then to
texture pixels for ``cv2.remap``, exactly as render.py does for the plane.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from skyinspect.errors import InputError
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import Pose
from skyinspect.surfaces.cylinder import BoundCylinder, CylinderSurface

from missions.simulator.config import DefectPlacement, SimConfig
from missions.simulator.render import RayGrid
from missions.simulator.scene import FACE_BASE_AMSL_M, FaceTexture

# Pier P2 of missions/examples/bridge.yaml: a 2 m round pier, 12 m high, on the site ground.
P2_CENTRE_LAT_DEG = 47.3978769
P2_CENTRE_LON_DEG = 8.5463888


@dataclass(frozen=True)
class RoundPier:
    """A vertical cylinder standing on the ground (base centre in WGS84, base height MSL)."""

    centre_lat_deg: float = P2_CENTRE_LAT_DEG
    centre_lon_deg: float = P2_CENTRE_LON_DEG
    base_amsl_m: float = FACE_BASE_AMSL_M
    radius_m: float = 1.0
    height_m: float = 12.0
    ref_azimuth_deg: float = 270.0  # arc 0 faces west (towards the bridge example's home); seam east
    name: str = "round pier (skyinspect simulator)"

    def __post_init__(self) -> None:
        if not (self.radius_m > 0 and self.height_m > 0):
            raise InputError(f"RoundPier: radius_m and height_m must be > 0, got {self.radius_m}, {self.height_m}")

    def frame(self) -> LocalFrame:
        """The simulation's local frame: origin at the base centre."""
        return LocalFrame(self.centre_lat_deg, self.centre_lon_deg, self.base_amsl_m)

    def surface(self) -> CylinderSurface:
        return CylinderSurface(self.centre_lat_deg, self.centre_lon_deg, self.base_amsl_m, self.radius_m,
                               self.height_m, (0.0, 0.0, 1.0), self.ref_azimuth_deg, self.name)

    def bound(self) -> BoundCylinder:
        return self.surface().bind(self.frame())

    def uv_to_ned(self, u_m: np.ndarray, v_m: np.ndarray) -> np.ndarray:
        """Texture (arc, height) metres → (N, 3) NED in ``frame()``."""
        u, v = np.broadcast_arrays(np.asarray(u_m, dtype=np.float64), np.asarray(v_m, dtype=np.float64))
        return self.bound().chart().to_3d(np.stack([u.ravel(), v.ravel()], axis=1))

    def ned_to_uv(self, points_ned: np.ndarray) -> np.ndarray:
        """(N, 3) NED on the mantle → (N, 2) texture (arc, height) metres."""
        return self.bound().chart().to_2d(points_ned)

    def check_region(self, config: SimConfig) -> None:
        """The textured region must lie on the mantle, clear of the chart's seam (its plain-concrete
        margin may run past the seam: that part is never sampled)."""
        half = math.pi * self.radius_m
        u0, u1 = config.region_u0_m, config.region_u0_m + config.region_width_m
        v0, v1 = config.region_v0_m, config.region_v0_m + config.region_height_m
        if not (-half < u0 and u1 < half and 0.0 <= v0 and v1 <= self.height_m):
            raise InputError(f"RoundPier: the textured region (arc {u0:.2f}..{u1:.2f} m, height "
                             f"{v0:.2f}..{v1:.2f} m) must lie within arc +-{half:.2f} m (pi x radius) and height "
                             f"0..{self.height_m} m; shrink or move SimConfig's region")

    # --- FlightTarget (from_plan.py) ---------------------------------------------------------
    def looks_at(self, position_ned: np.ndarray, axis_ned: np.ndarray, max_incidence_deg: float) -> bool:
        """The optical axis meets the mantle from outside within ``max_incidence_deg`` of its normal."""
        with np.errstate(invalid="ignore"):  # misses: NaN normals
            hits = self.bound().intersect(np.asarray(position_ned, dtype=np.float64), np.asarray(axis_ned)[None, :])
        if not bool(hits.hit[0]):
            return False
        cos_inc = -float(hits.normals[0] @ axis_ned) / float(np.linalg.norm(axis_ned))
        return cos_inc >= math.cos(math.radians(max_incidence_deg))

    def describe(self) -> str:
        return (f"the simulator's round pier (radius {self.radius_m} m at {self.centre_lat_deg:.7f}, "
                f"{self.centre_lon_deg:.7f}); plan an orbit of that pier")

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


# Real defects on the mantle, in (arc, height) relative to the region's lower-left corner. The
# crack patch at 1.3 mm/px (0.67 m) keeps the UAV75 crack 2-4 px wide at ~1.5 mm/px, so its thin
# ends are not lost to sampling; corrosion patches at 0.7-0.8 mm/px cover 0.31-0.36 m. No two
# patches overlap.
CYLINDER_DEFECTS: tuple[DefectPlacement, ...] = (
    DefectPlacement("uav75_DSC00551", "crack", 0.35, 0.40, 1.3),
    DefectPlacement("corrosion_0300_jpg", "corrosion", 0.95, 0.20, 0.8),
    DefectPlacement("corrosion_0448_jpg", "corrosion", 1.25, 0.60, 0.7, rot90=1),
)


def cylinder_config(base: SimConfig | None = None, region_v0_m: float = 5.6) -> SimConfig:
    """``base`` (default ``SimConfig.small()``) with a textured band of the mantle and CYLINDER_DEFECTS:
    arc 0.1..1.5 m from the reference azimuth, heights ``region_v0_m`` .. +0.8 m."""
    base = base or SimConfig.small()
    return dataclasses.replace(base, region_u0_m=0.1, region_width_m=1.4, region_v0_m=region_v0_m,
                               region_height_m=0.8, defects=CYLINDER_DEFECTS, name=f"{base.name}-cylinder")


def cylinder_texture_maps(grid: RayGrid, pose: Pose, frame: LocalFrame, pier: BoundCylinder,
                          texture: FaceTexture) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """remap maps (col, row) into the mantle's texture for each frame pixel, and the range to the
    mantle (NaN and far outside the texture where a ray misses it)."""
    cam = grid.camera
    origin = np.asarray(frame.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m), dtype=np.float64).reshape(3)
    rays_ned = grid.rays_cam.astype(np.float64) @ pose.r_ned_cam().T
    with np.errstate(invalid="ignore"):  # misses: NaN normals
        hits = pier.intersect(origin, rays_ned)
    uv = pier.chart().to_2d(np.where(hits.hit[:, None], hits.points, origin))  # misses: placeholder, masked below
    col, row = texture.uv_to_px(uv[:, 0], uv[:, 1])
    shape = (cam.height_px, cam.width_px)
    mx = np.where(hits.hit, col, -1e6).astype(np.float32).reshape(shape)
    my = np.where(hits.hit, row, -1e6).astype(np.float32).reshape(shape)
    return mx, my, hits.range_m.astype(np.float32).reshape(shape)
