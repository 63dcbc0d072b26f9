"""Unit quaternions (MAVLink/Hamilton order w, x, y, z) for attitude interpolation.

Attitudes are interpolated by slerp on quaternions, never by lerping Euler angles: Euler lerp
goes the long way round at the 359° → 1° yaw wrap and is wrong near ±90° pitch.
"""

from __future__ import annotations

import math

import numpy as np

from skyinspect.pose import matrix_to_euler_zyx, quaternion_to_matrix

_GIMBAL_LOCK_DEG = 89.99


def euler_to_quaternion(roll_deg: float, pitch_deg: float, yaw_deg: float) -> np.ndarray:
    """Intrinsic Z-Y-X (yaw, pitch, roll) angles → unit quaternion, same convention as
    ``skyinspect.pose.euler_zyx_to_matrix``."""
    hr, hp, hy = (math.radians(a) / 2.0 for a in (roll_deg, pitch_deg, yaw_deg))
    cr, sr, cp, sp, cy, sy = math.cos(hr), math.sin(hr), math.cos(hp), math.sin(hp), math.cos(hy), math.sin(hy)
    return np.array([cr * cp * cy + sr * sp * sy,
                     sr * cp * cy - cr * sp * sy,
                     cr * sp * cy + sr * cp * sy,
                     cr * cp * sy - sr * sp * cy])


def quaternion_to_euler(q: np.ndarray) -> tuple[float, float, float]:
    """Unit quaternion → (roll_deg, pitch_deg, yaw_deg), yaw in [0, 360).

    At ±90° pitch (a nadir gimbal) roll and yaw turn about the same axis and only their sum is
    defined; we then report roll 0 and put the whole turn into yaw, rather than the noise-driven
    split (e.g. roll 180, yaw -180) the general formula gives. The rotation is the same either way.
    """
    r = quaternion_to_matrix(*(float(c) for c in q))
    roll, pitch, yaw = matrix_to_euler_zyx(r)
    if abs(pitch) > _GIMBAL_LOCK_DEG:
        roll, yaw = 0.0, math.degrees(math.atan2(-float(r[0, 1]), float(r[1, 1])))
    yaw %= 360.0
    return roll, pitch, (0.0 if yaw >= 360.0 else yaw)  # -1e-15 % 360 rounds to 360.0


def normalise(q: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(q))
    if not n > 0.0 or not math.isfinite(n):
        raise ValueError(f"quaternion {q} has no direction")
    return np.asarray(q, dtype=np.float64) / n


def slerp(q0: np.ndarray, q1: np.ndarray, frac: float) -> np.ndarray:
    """Spherical linear interpolation along the shorter arc; ``frac`` 0 → q0, 1 → q1."""
    q0, q1 = normalise(q0), normalise(q1)
    dot = float(np.dot(q0, q1))
    if dot < 0.0:  # q and -q are the same rotation: take the short way round
        q1, dot = -q1, -dot
    if dot > 0.9995:  # nearly parallel: lerp is exact enough and avoids dividing by sin(~0)
        return normalise(q0 + frac * (q1 - q0))
    theta = math.acos(min(1.0, dot))
    s = math.sin(theta)
    return (math.sin((1.0 - frac) * theta) / s) * q0 + (math.sin(frac * theta) / s) * q1


def wrap_180(angle_deg: float) -> float:
    """Angle → [-180, 180)."""
    return (angle_deg + 180.0) % 360.0 - 180.0
