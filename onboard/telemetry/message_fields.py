"""What a telemetry buffer reads out of single MAVLink messages: GPS quality, a gimbal device's yaw
frame, a yaw in [0, 360). Pure functions of one message (split from ``buffer``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from skyinspect.pose import GimbalFrame

# eph/epv are HDOP/VDOP × 100, not distances; σ ≈ DOP × UERE. 3 m is a typical single-frequency
# user range error, so this is a rough stand-in used only when h_acc/v_acc are absent.
_UERE_M = 3.0
_NO_DOP = (0, 65535)


@dataclass(frozen=True)
class GpsQuality:
    """A GPS_RAW_INT's fix type and 1-sigma accuracies (NaN when the message gives none)."""

    fix_type: int
    h_acc_m: float
    v_acc_m: float
    # N = alt_ellipsoid - alt (m), the receiver's geoid separation; NaN when not sent (0, a MAVLink 2
    # extension ArduPilot fills only when its receiver reports the undulation) or without a 3D fix
    geoid_separation_m: float = math.nan


def gps_quality(m: mavlink.MAVLink_message) -> GpsQuality:
    # h_acc/v_acc (mm) are MAVLink 2 extensions: 0 when the sender (or MAVLink 1) omits them.
    h = m.h_acc * 1e-3 if getattr(m, "h_acc", 0) else (m.eph / 100 * _UERE_M if m.eph not in _NO_DOP else math.nan)
    v = m.v_acc * 1e-3 if getattr(m, "v_acc", 0) else (m.epv / 100 * _UERE_M if m.epv not in _NO_DOP else math.nan)
    # GPS_FIX_TYPE_NO_GPS (0, no receiver) is a GPS without a fix, as NO_FIX (1) is; in a pose 0 means
    # "no GPS_RAW_INT near" (unknown), which georeferencing lets through, so NO_GPS is recorded as NO_FIX.
    ell = getattr(m, "alt_ellipsoid", 0)
    n = (ell - m.alt) * 1e-3 if ell and m.fix_type >= mavlink.GPS_FIX_TYPE_3D_FIX else math.nan
    return GpsQuality(max(int(m.fix_type), mavlink.GPS_FIX_TYPE_NO_FIX), float(h), float(v), float(n))


def gimbal_device_frame(flags: int) -> GimbalFrame:
    if flags & mavlink.GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME:
        return GimbalFrame.EARTH
    if flags & mavlink.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME:
        return GimbalFrame.VEHICLE_YAW
    # Older gimbals set neither flag: then YAW_LOCK means the yaw is held in the earth frame.
    return GimbalFrame.EARTH if flags & mavlink.GIMBAL_DEVICE_FLAGS_YAW_LOCK else GimbalFrame.VEHICLE_YAW


def yaw_360(yaw_deg: float) -> float:
    y = yaw_deg % 360.0
    return 0.0 if y >= 360.0 else y  # -1e-15 % 360 rounds to 360.0
