"""Photos the vehicle reports: CAMERA_FEEDBACK (ArduPilot, and what the other logs are translated into)
and CAMERA_IMAGE_CAPTURED (PX4's photo message over MAVLink), as ``CameraEvent``s (split from ``buffer``).

PX4 fills CAMERA_IMAGE_CAPTURED from its camera_capture topic as the ULog reader reads that topic:
``q`` is the vehicle's attitude at the trigger, ``image_index`` its sequence number from 0 (img_idx =
image_index + 1, as CAMERA_FEEDBACK counts from 1), and ``relative_alt`` its ``ground_distance``, the
height above a terrain estimate or -1 m without one; so the height above home is taken from
GLOBAL_POSITION_INT (alt − relative_alt) nearest the photo instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.telemetry.rotations import quaternion_to_euler


@dataclass(frozen=True)
class CameraEvent:
    """One photo: where and how the vehicle was when the camera fired."""

    img_idx: int
    cam_idx: int
    time_utc_s: float
    tlog_time_s: float
    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    alt_rel_m: float
    roll_deg: float
    pitch_deg: float
    yaw_deg: float


def feedback_event(m: mavlink.MAVLink_message, time_s: float, tlog_time_s: float) -> CameraEvent:
    """A CAMERA_FEEDBACK taken at ``time_s`` (the buffer's time base)."""
    return CameraEvent(int(m.img_idx), int(m.cam_idx), time_s, tlog_time_s, m.lat * 1e-7, m.lng * 1e-7,
                       float(m.alt_msl), float(m.alt_rel), float(m.roll), float(m.pitch), float(m.yaw) % 360.0)


def captured_event(m: mavlink.MAVLink_message, time_s: float, tlog_time_s: float,
                   home_alt_msl_m: float) -> CameraEvent:
    """A CAMERA_IMAGE_CAPTURED taken at ``time_s``; ``home_alt_msl_m``: what relative heights are above."""
    q = np.asarray(m.q, dtype=np.float64)
    ok = bool(np.all(np.isfinite(q)) and np.linalg.norm(q) > 0)
    roll, pitch, yaw = quaternion_to_euler(q / np.linalg.norm(q)) if ok else (0.0, 0.0, 0.0)
    alt_msl_m = m.alt * 1e-3
    alt_rel_m = alt_msl_m - home_alt_msl_m if math.isfinite(home_alt_msl_m) else m.relative_alt * 1e-3
    return CameraEvent(int(m.image_index) + 1, int(m.camera_id), time_s, tlog_time_s, m.lat * 1e-7, m.lon * 1e-7,
                       alt_msl_m, alt_rel_m, float(roll), float(pitch), float(yaw) % 360.0)
