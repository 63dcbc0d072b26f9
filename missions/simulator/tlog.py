"""Write (and read back) a MAVLink2 telemetry log (.tlog) of the simulated flight.

A .tlog is a sequence of records: an 8-byte big-endian uint64 UTC timestamp in microseconds (when
the ground station received the message) followed by the raw MAVLink frame. Messages are packed
with pymavlink's generated ArduPilot dialect encoder (no mavutil, no connection). Here the receive
time equals the vehicle's UTC send time (an ideal link); time_boot_ms runs from a boot moment
``config.boot_before_start_s`` before the flight starts, so SYSTEM_TIME ties the two clocks.

Streams (like the ArduCopter SITL facade flight in shared/data): GLOBAL_POSITION_INT, ATTITUDE and
GIMBAL_DEVICE_ATTITUDE_STATUS at 10 Hz, GPS_RAW_INT at 5 Hz, SYSTEM_TIME and HEARTBEAT at 1 Hz,
CAMERA_FEEDBACK at each capture. Gimbal quaternions: roll/pitch earth frame, yaw relative to the
vehicle (flags ROLL_LOCK | PITCH_LOCK | YAW_IN_VEHICLE_FRAME = 44, as ArduPilot reports a
self-stabilising gimbal), matching Pose.gimbal_frame = GimbalFrame.VEHICLE_YAW.
"""

from __future__ import annotations

import math
import struct
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from skyinspect.errors import TelemetryError, describe
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import Pose

from missions.simulator.flight import FlightPlan
from missions.simulator.gnss import gnss_error_ned

GIMBAL_FLAGS = (mavlink2.GIMBAL_DEVICE_FLAGS_ROLL_LOCK | mavlink2.GIMBAL_DEVICE_FLAGS_PITCH_LOCK
                | mavlink2.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME)
COPTER_MODE_AUTO = 3
# The autopilot (component 1) reports its own mount, so the spec numbers the device 1-6 (0 means a separate
# gimbal component); ArduPilot sends mount instance + 1, as in shared/data's SITL facade log.
GIMBAL_DEVICE_ID = 1
_STAMP = struct.Struct(">Q")


def euler_to_quaternion(roll_deg: float, pitch_deg: float, yaw_deg: float) -> tuple[float, float, float, float]:
    """Intrinsic Z-Y-X Euler angles → Hamilton quaternion (w, x, y, z), MAVLink order."""
    cr, sr = math.cos(math.radians(roll_deg) / 2), math.sin(math.radians(roll_deg) / 2)
    cp, sp = math.cos(math.radians(pitch_deg) / 2), math.sin(math.radians(pitch_deg) / 2)
    cy, sy = math.cos(math.radians(yaw_deg) / 2), math.sin(math.radians(yaw_deg) / 2)
    return (cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy)


def _wrap_pi(deg: float) -> float:
    return math.radians((deg + 180.0) % 360.0 - 180.0)


class TlogWriter:
    """Collects (utc_usec, message) pairs, then writes them sorted by time (stable: messages with
    the same timestamp keep the order they were added in)."""

    def __init__(self) -> None:
        self.mav = mavlink2.MAVLink(None, srcSystem=1, srcComponent=1)
        self.records: list[tuple[int, int, Any]] = []

    def add(self, utc_usec: int, msg: Any) -> None:
        self.records.append((int(utc_usec), len(self.records), msg))

    def write(self, path: Path) -> int:
        self.records.sort(key=lambda r: (r[0], r[1]))
        with open(path, "wb") as fh:
            for usec, _, msg in self.records:
                fh.write(_STAMP.pack(usec) + msg.pack(self.mav))
                self.mav.seq = (self.mav.seq + 1) % 256  # MAVLink.send() would do this; pack() does not
        return len(self.records)


def write_flight_tlog(path: Path, plan: FlightPlan, frame: LocalFrame, capture_poses: list[Pose]) -> dict[str, int]:
    """Write the whole flight; returns message counts by type."""
    c = plan.config
    w = TlogWriter()
    start_usec = int(round(c.start_utc_s * 1e6))
    boot_usec = start_usec - int(round(c.boot_before_start_s * 1e6))

    def boot_ms(usec: int) -> int:
        return (usec - boot_usec) // 1000

    n_ticks = int(math.floor(plan.duration_s * 10 + 1e-9)) + 1
    for k in range(n_ticks):
        usec = start_usec + k * 100_000
        t = k * 0.1
        pose = _logged(plan.pose_at(t, frame), plan, frame, t)
        vel = plan.velocity_ned(t)
        lat, lon = int(round(pose.lat_deg * 1e7)), int(round(pose.lon_deg * 1e7))
        alt_mm, rel_mm = int(round(pose.alt_msl_m * 1000)), int(round(pose.alt_rel_m * 1000))
        vx, vy, vz = (int(round(x * 100)) for x in vel)
        hdg = int(round(pose.yaw_deg * 100)) % 36000
        w.add(usec, mavlink2.MAVLink_global_position_int_message(boot_ms(usec), lat, lon, alt_mm, rel_mm, vx, vy, vz, hdg))
        # Body rates from a central difference of the (smooth) attitude model.
        a0, a1 = plan.attitude_deg(t - 0.01), plan.attitude_deg(t + 0.01)
        rates = [math.radians(((b - a + 180.0) % 360.0 - 180.0) / 0.02) for a, b in zip(a0, a1)]
        w.add(usec, mavlink2.MAVLink_attitude_message(boot_ms(usec), math.radians(pose.roll_deg),
                                                          math.radians(pose.pitch_deg), _wrap_pi(pose.yaw_deg), *rates))
        q = euler_to_quaternion(pose.gimbal_roll_deg, pose.gimbal_pitch_deg, pose.gimbal_yaw_deg)
        nan = float("nan")
        w.add(usec, mavlink2.MAVLink_gimbal_device_attitude_status_message(
            0, 0, boot_ms(usec), GIMBAL_FLAGS, q, nan, nan, nan, 0, nan, nan, GIMBAL_DEVICE_ID))
        if k % 2 == 0:
            speed = float(np.hypot(vel[0], vel[1]))
            cog = int(round(math.degrees(math.atan2(vel[1], vel[0])) % 360.0 * 100)) if speed > 0.05 else 0
            h_acc, v_acc = int(round(pose.h_acc_m * 1000)), int(round(pose.v_acc_m * 1000))
            w.add(usec, mavlink2.MAVLink_gps_raw_int_message(
                usec, pose.fix_type, lat, lon, alt_mm, 70, 110, int(round(speed * 100)), cog, 22,
                0, h_acc, v_acc, 30, 0, 0))
        if k % 10 == 0:
            w.add(usec, mavlink2.MAVLink_heartbeat_message(
                mavlink2.MAV_TYPE_QUADROTOR, mavlink2.MAV_AUTOPILOT_ARDUPILOTMEGA,
                mavlink2.MAV_MODE_FLAG_SAFETY_ARMED | mavlink2.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
                | mavlink2.MAV_MODE_FLAG_STABILIZE_ENABLED | mavlink2.MAV_MODE_FLAG_GUIDED_ENABLED
                | mavlink2.MAV_MODE_FLAG_AUTO_ENABLED, COPTER_MODE_AUTO, mavlink2.MAV_STATE_ACTIVE, 3))
            w.add(usec, mavlink2.MAVLink_system_time_message(usec, boot_ms(usec)))
    for cap, true_pose in zip(plan.captures, capture_poses):
        pose = _logged(true_pose, plan, frame, cap.t_s)
        usec = int(round(pose.time_utc_s * 1e6))
        w.add(usec, mavlink2.MAVLink_camera_feedback_message(
            usec, 0, 0, cap.index, int(round(pose.lat_deg * 1e7)), int(round(pose.lon_deg * 1e7)),
            pose.alt_msl_m, pose.alt_rel_m, pose.roll_deg, pose.pitch_deg, pose.yaw_deg, 0.0,
            mavlink2.CAMERA_FEEDBACK_PHOTO, cap.index))
    w.write(path)
    counts: dict[str, int] = {}
    for _, _, msg in w.records:
        counts[msg.get_type()] = counts.get(msg.get_type(), 0) + 1
    return dict(sorted(counts.items()))


def _logged(pose: Pose, plan: FlightPlan, frame: LocalFrame, t_s: float) -> Pose:
    """The pose as the telemetry reports it: with the simulated GNSS error (exact when there is none)."""
    err = gnss_error_ned(plan, t_s)
    if not err.any():
        return pose
    lat, lon, h = frame.to_geodetic(frame.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m).reshape(3) + err)
    lat, lon, h = round(float(lat) * 1e7) / 1e7, round(float(lon) * 1e7) / 1e7, round(float(h) * 1000) / 1000
    return replace(pose, lat_deg=lat, lon_deg=lon, alt_msl_m=h, alt_rel_m=pose.alt_rel_m + (h - pose.alt_msl_m))


def read_tlog(path: Path) -> list[tuple[int, Any]]:
    """Parse a .tlog with pymavlink's MAVLink parser: [(utc_usec, message), ...].

    Each record's frame length comes from its MAVLink header (v2: 0xFD, payload length at byte 1,
    12 bytes of header+CRC, +13 when signed; v1: 0xFE, 8 bytes of header+CRC).
    """
    data = Path(path).read_bytes()
    mav = mavlink2.MAVLink(None)
    mav.robust_parsing = False
    out: list[tuple[int, Any]] = []
    i = 0
    while i < len(data):
        if i + 10 > len(data):
            raise TelemetryError(describe(path, f"truncated record at byte {i}", "the file was cut short"))
        usec = _STAMP.unpack_from(data, i)[0]
        magic, plen = data[i + 8], data[i + 9]
        if magic == 0xFD:
            n = 12 + plen + (13 if data[i + 10] & 0x01 else 0)
        elif magic == 0xFE:
            n = 8 + plen
        else:
            raise TelemetryError(describe(path, f"expected a MAVLink frame start (0xFD/0xFE) at byte {i + 8}, "
                                                f"got 0x{magic:02X}", "is this a .tlog (8-byte time + frame)?"))
        msgs = mav.parse_buffer(data[i + 8:i + 8 + n]) or []
        if len(msgs) != 1:
            raise TelemetryError(describe(path, f"record at byte {i} did not decode to one message (got {len(msgs)})"))
        out.append((usec, msgs[0]))
        i += 8 + n
    return out
