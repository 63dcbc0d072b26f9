"""Vehicle and camera pose at a capture time, and the rotations that connect the frames.

Conventions (docs/architecture.md has the drawing):
- World: local NED (north, east, down) tangent frame at a flight's origin (see geodesy.LocalFrame).
- Vehicle body: FRD (forward, right, down); MAVLink roll/pitch/yaw are intrinsic Z-Y-X, so
  R_ned_body = Rz(yaw) @ Ry(pitch) @ Rx(roll).
- Gimbal: an FRD frame whose x is the optical axis. Angles follow MAVLink: pitch 0 = level,
  -90 = straight down; yaw clockwise from north (EARTH) or from the vehicle's nose (VEHICLE_YAW).
- Camera: OpenCV (x right, y down, z forward). R_gimbal_cam maps camera axes onto gimbal axes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum

import numpy as np

# Camera (OpenCV) axes expressed in the gimbal FRD frame: x_cam = right, y_cam = down, z_cam = fwd.
R_GIMBAL_CAM = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


class GimbalFrame(str, Enum):
    """How gimbal angles are referenced."""

    EARTH = "earth"  # roll/pitch/yaw all relative to the local horizon and north
    VEHICLE_YAW = "vehicle_yaw"  # roll/pitch earth-stabilised, yaw relative to the vehicle's nose
    BODY = "body"  # fixed or non-stabilised mount: all angles relative to the vehicle body


def rot_x(angle_rad: float) -> np.ndarray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_y(angle_rad: float) -> np.ndarray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def rot_z(angle_rad: float) -> np.ndarray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def euler_zyx_to_matrix(roll_deg: float, pitch_deg: float, yaw_deg: float) -> np.ndarray:
    """R mapping body vectors into the parent frame for intrinsic Z-Y-X (yaw, pitch, roll)."""
    return rot_z(math.radians(yaw_deg)) @ rot_y(math.radians(pitch_deg)) @ rot_x(math.radians(roll_deg))


def matrix_to_euler_zyx(r: np.ndarray) -> tuple[float, float, float]:
    """Inverse of ``euler_zyx_to_matrix``: (roll_deg, pitch_deg, yaw_deg), yaw in [0, 360)."""
    pitch = math.asin(max(-1.0, min(1.0, -float(r[2, 0]))))
    roll = math.atan2(float(r[2, 1]), float(r[2, 2]))
    yaw = math.atan2(float(r[1, 0]), float(r[0, 0]))
    yaw_deg = math.degrees(yaw) % 360.0
    return math.degrees(roll), math.degrees(pitch), 0.0 if yaw_deg >= 360.0 else yaw_deg  # -1e-17 % 360 == 360


def quaternion_to_matrix(w: float, x: float, y: float, z: float) -> np.ndarray:
    """Hamilton quaternion (MAVLink order w, x, y, z) → rotation matrix."""
    n = math.sqrt(w * w + x * x + y * y + z * z)
    if n == 0:
        raise ValueError("quaternion has zero norm")
    w, x, y, z = w / n, x / n, y / n, z / n
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


@dataclass(frozen=True)
class TelemetrySample:
    """One timestamped reading of vehicle state, as merged from telemetry messages."""

    time_utc_s: float
    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    alt_rel_m: float
    roll_deg: float
    pitch_deg: float
    yaw_deg: float
    gimbal_roll_deg: float = 0.0
    gimbal_pitch_deg: float = 0.0
    gimbal_yaw_deg: float = 0.0
    gimbal_frame: GimbalFrame = GimbalFrame.VEHICLE_YAW
    h_acc_m: float = float("nan")
    v_acc_m: float = float("nan")
    fix_type: int = 0
    time_boot_s: float = float("nan")


@dataclass(frozen=True)
class Pose:
    """The camera's pose at one capture time (vehicle position + vehicle and gimbal attitude).

    ``status`` is "ok" when tagged; otherwise a short reason ("untagged: telemetry gap 4.2 s")
    and the numeric fields are NaN. Accuracies are 1-sigma-like values from the GNSS receiver
    (NaN when unknown); attitude σ defaults to typical small-UAV values.
    """

    time_utc_s: float
    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    alt_rel_m: float
    roll_deg: float
    pitch_deg: float
    yaw_deg: float
    gimbal_roll_deg: float = 0.0
    gimbal_pitch_deg: float = 0.0
    gimbal_yaw_deg: float = 0.0
    gimbal_frame: GimbalFrame = GimbalFrame.VEHICLE_YAW
    h_acc_m: float = float("nan")
    v_acc_m: float = float("nan")
    attitude_sigma_deg: float = 0.5
    fix_type: int = 0
    source: str = "interpolated"  # "camera_feedback", "interpolated", "exif", "simulator"
    status: str = "ok"

    @property
    def is_tagged(self) -> bool:
        return self.status == "ok" and math.isfinite(self.lat_deg) and math.isfinite(self.lon_deg)

    @classmethod
    def untagged(cls, time_utc_s: float, reason: str) -> Pose:
        nan = float("nan")
        return cls(time_utc_s, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan,
                   source="none", status=f"untagged: {reason}")

    def with_status(self, status: str) -> Pose:
        return replace(self, status=status)

    def r_ned_body(self) -> np.ndarray:
        return euler_zyx_to_matrix(self.roll_deg, self.pitch_deg, self.yaw_deg)

    def r_ned_gimbal(self) -> np.ndarray:
        """Rotation taking gimbal-frame vectors into local NED."""
        if self.gimbal_frame is GimbalFrame.EARTH:
            return euler_zyx_to_matrix(self.gimbal_roll_deg, self.gimbal_pitch_deg, self.gimbal_yaw_deg)
        if self.gimbal_frame is GimbalFrame.VEHICLE_YAW:
            return euler_zyx_to_matrix(self.gimbal_roll_deg, self.gimbal_pitch_deg,
                                       self.yaw_deg + self.gimbal_yaw_deg)
        body_gimbal = euler_zyx_to_matrix(self.gimbal_roll_deg, self.gimbal_pitch_deg, self.gimbal_yaw_deg)
        return self.r_ned_body() @ body_gimbal

    def r_ned_cam(self) -> np.ndarray:
        """Rotation taking OpenCV camera-frame vectors into local NED."""
        return self.r_ned_gimbal() @ R_GIMBAL_CAM
