"""Build MAVLink message objects (unpacked) from other logs' records.

Every telemetry source — .tlog, DataFlash .bin, PX4 .ulg, DJI photo metadata, a live link — ends as
a list of ``(time_s, MAVLink message)`` that ``TelemetryBuffer`` merges with one code path. Logs that
are not MAVLink are translated into the few messages the buffer uses, field for field, with units
converted here and nowhere else. Messages built here are never packed; their source system is 0.
"""

from __future__ import annotations

import math

from pymavlink.dialects.v20 import ardupilotmega as mavlink

Record = tuple[float, mavlink.MAVLink_message]

# GPS time starts 1980-01-06; GPS runs ahead of UTC by the leap seconds since then.
GPS_EPOCH_UNIX_S = 315964800.0
_LEAPS = ((1483228800.0, 18), (1435708800.0, 17), (1341100800.0, 16), (0.0, 15))  # UTC from → GPS−UTC


def gps_to_unix_s(week: int, ms_of_week: float) -> float:
    """GPS week + milliseconds of week → UNIX seconds UTC."""
    gps_s = GPS_EPOCH_UNIX_S + week * 604800.0 + ms_of_week * 1e-3
    for utc_from, leap in _LEAPS:
        if gps_s - leap >= utc_from:
            return gps_s - leap
    return gps_s - 15


def global_position(boot_s: float, lat_deg: float, lon_deg: float, alt_msl_m: float,
                    alt_rel_m: float) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_global_position_int_message(
        _ms(boot_s), round(lat_deg * 1e7), round(lon_deg * 1e7), round(alt_msl_m * 1000.0),
        round(alt_rel_m * 1000.0), 0, 0, 0, 65535)


def attitude(boot_s: float, roll_deg: float, pitch_deg: float, yaw_deg: float) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_attitude_message(_ms(boot_s), math.radians(roll_deg), math.radians(pitch_deg),
                                            math.radians(yaw_deg), 0.0, 0.0, 0.0)


def attitude_quaternion(boot_s: float, q: tuple[float, float, float, float]) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_attitude_quaternion_message(_ms(boot_s), *(float(c) for c in q), 0.0, 0.0, 0.0,
                                                       [0.0, 0.0, 0.0, 0.0])


def gps_raw(boot_s: float, fix_type: int, lat_deg: float, lon_deg: float, alt_msl_m: float, *,
            hdop: float = math.nan, vdop: float = math.nan, h_acc_m: float = math.nan,
            v_acc_m: float = math.nan, sats: int = 255,
            alt_ellipsoid_m: float = math.nan) -> mavlink.MAVLink_message:
    """GPS_RAW_INT with ``time_usec`` = boot time (so it shares the position's clock); alt_ellipsoid 0
    (MAVLink's "not sent") when the log gives no ellipsoidal height."""
    def dop(v: float) -> int:
        return min(int(round(v * 100)), 65534) if math.isfinite(v) and v > 0 else 65535

    def acc(v: float) -> int:
        return min(int(round(v * 1000)), 2**32 - 1) if math.isfinite(v) and v > 0 else 0

    return mavlink.MAVLink_gps_raw_int_message(
        max(int(round(boot_s * 1e6)), 1), int(fix_type), round(lat_deg * 1e7), round(lon_deg * 1e7),
        round(alt_msl_m * 1000.0), dop(hdop), dop(vdop), 65535, 65535, min(int(sats), 255),
        round(alt_ellipsoid_m * 1000.0) if math.isfinite(alt_ellipsoid_m) else 0, acc(h_acc_m), acc(v_acc_m), 0, 0, 0)


def system_time(boot_s: float, unix_s: float) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_system_time_message(int(round(unix_s * 1e6)), _ms(boot_s))


def mount_orientation(boot_s: float, roll_deg: float, pitch_deg: float, yaw_vehicle_deg: float,
                      yaw_earth_deg: float = math.nan) -> mavlink.MAVLink_message:
    """Roll/pitch earth-stabilised, yaw from the nose (what ``TelemetryBuffer`` reads)."""
    return mavlink.MAVLink_mount_orientation_message(_ms(boot_s), float(roll_deg), float(pitch_deg),
                                                     float(yaw_vehicle_deg), float(yaw_earth_deg))


def gimbal_device_status(boot_s: float, q: tuple[float, float, float, float], earth_yaw: bool = False,
                         device_flags: int | None = None) -> mavlink.MAVLink_message:
    """``device_flags``: a log's own GIMBAL_DEVICE_FLAGS (PX4's uORB topic carries MAVLink's bits), read
    by ``TelemetryBuffer`` as a live gimbal's; else the yaw frame ``earth_yaw`` says."""
    if device_flags is not None:
        flags = int(device_flags)
    else:
        flags = (mavlink.GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME if earth_yaw
                 else mavlink.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME)
    return mavlink.MAVLink_gimbal_device_attitude_status_message(
        0, 0, _ms(boot_s), flags, [float(c) for c in q], math.nan, math.nan, math.nan, 0)


def camera_feedback(time_usec: int, img_idx: int, lat_deg: float, lon_deg: float, alt_msl_m: float,
                    alt_rel_m: float, roll_deg: float, pitch_deg: float, yaw_deg: float,
                    cam_idx: int = 0) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_camera_feedback_message(
        int(time_usec), 0, int(cam_idx) & 0xFF, int(img_idx) & 0xFFFF, round(lat_deg * 1e7), round(lon_deg * 1e7),
        float(alt_msl_m), float(alt_rel_m), float(roll_deg), float(pitch_deg), float(yaw_deg), 0.0, 0)


def _ms(boot_s: float) -> int:
    return max(int(round(boot_s * 1000.0)), 0) & 0xFFFFFFFF
