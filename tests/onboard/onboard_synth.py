"""Synthetic MAVLink .tlogs for tests (written with pymavlink's encoder; not real flights)."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import cv2
import numpy as np
from pymavlink.dialects.v20 import ardupilotmega as m

# Boot happened at this UTC time (s); all synthetic flights start shortly after.
BOOT_UTC_S = 1_700_000_000.0
LAT0, LON0, ALT0 = 47.0, 8.0, 500.0
SPEED_N_MPS = 5.0
M_PER_DEG_LAT = 111_195.0  # spherical approximation; tests compare against our own inverse, not this


def _mav() -> m.MAVLink:
    return m.MAVLink(None, srcSystem=1, srcComponent=1)


def write_tlog(path: Path, records: list[tuple[float, m.MAVLink_message]], mavlink1: bool = False) -> Path:
    """Records (tlog_time_s, message) → a .tlog file."""
    mav = _mav()
    with open(path, "wb") as f:
        for t, msg in records:
            f.write(struct.pack(">Q", round(t * 1e6)) + msg.pack(mav, force_mavlink1=mavlink1))
            mav.seq = (mav.seq + 1) % 256
    return path


def flight_records(duration_s: float = 10.0, rate_hz: float = 10.0, *, system_time: bool = True,
                   yaw_deg: callable = None, gap: tuple[float, float] | None = None,
                   feedback_boot_s: list[float] = (), gimbal_pitch_deg: float | None = -90.0,
                   start_boot_s: float = 100.0, latency_s: float = 0.0) -> list[tuple[float, m.MAVLink_message]]:
    """A vehicle flying north at 5 m/s from (LAT0, LON0, ALT0); tlog clock = UTC + 0.2 s.

    ``gap`` (boot s from, to) drops position/attitude messages in that window; ``latency_s`` delays
    every message's arrival (its .tlog time) after the vehicle stamped it.
    """
    recs: list[tuple[float, m.MAVLink_message]] = []
    n = int(duration_s * rate_hz) + 1
    yaw_fn = yaw_deg or (lambda tb: 0.0)
    for i in range(n):
        tb = start_boot_s + i / rate_hz
        tl = BOOT_UTC_S + tb + 0.2 + latency_s
        if gap and gap[0] < tb < gap[1]:
            continue
        north = SPEED_N_MPS * (tb - start_boot_s)
        lat = LAT0 + north / M_PER_DEG_LAT
        ms = round(tb * 1000)
        recs.append((tl, m.MAVLink_global_position_int_message(ms, round(lat * 1e7), round(LON0 * 1e7),
                                                                round(ALT0 * 1000), 20_000, 500, 0, 0, 0)))
        recs.append((tl, m.MAVLink_attitude_message(ms, math.radians(2.0), math.radians(-3.0),
                                                    math.radians(yaw_fn(tb)), 0.0, 0.0, 0.0)))
        if i % 2 == 0:
            recs.append((tl, m.MAVLink_gps_raw_int_message(round(tb * 1e6), 3, round(lat * 1e7), round(LON0 * 1e7),
                                                           round(ALT0 * 1000), 120, 180, 500, 0, 12,
                                                           0, 1500, 2500, 0, 0, 0)))
        if system_time and i % 5 == 0:
            recs.append((tl, m.MAVLink_system_time_message(round((BOOT_UTC_S + tb) * 1e6), ms)))
        if gimbal_pitch_deg is not None:
            h = math.radians(gimbal_pitch_deg) / 2
            recs.append((tl, m.MAVLink_gimbal_device_attitude_status_message(
                0, 0, ms, m.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME, [math.cos(h), 0.0, math.sin(h), 0.0],
                0.0, 0.0, 0.0, 0)))
    for k, tb in enumerate(feedback_boot_s, start=1):
        north = SPEED_N_MPS * (tb - start_boot_s)
        lat = LAT0 + north / M_PER_DEG_LAT
        recs.append((BOOT_UTC_S + tb + 0.3, m.MAVLink_camera_feedback_message(
            round((BOOT_UTC_S + tb) * 1e6), 1, 0, k, round(lat * 1e7), round(LON0 * 1e7), ALT0, 20.0,
            2.0, -3.0, yaw_fn(tb), 0.0, 0)))
    recs.sort(key=lambda r: r[0])
    return recs


def timesync_records(start_boot_s: float, end_boot_s: float, rate_hz: float = 1.0, up_s: float = 0.01,
                     down_s: float = 0.01, remote_error_s: float = 0.0, tlog_minus_boot_s: float = BOOT_UTC_S + 0.2,
                     jitter: tuple[float, ...] = (0.0,)) -> list[tuple[float, m.MAVLink_message]]:
    """The logging computer's TIMESYNC round trips with the vehicle, as its .tlog holds them: each
    reply (tc1 = vehicle boot ns + ``remote_error_s``, ts1 = the request's send time on the tlog clock)
    at its arrival time. The request leg takes ``up_s`` plus ``jitter[i % len(jitter)]``, the reply ``down_s``."""
    recs = []
    n = int((end_boot_s - start_boot_s) * rate_hz) + 1
    for i in range(n):
        boot = start_boot_s + i / rate_hz
        up = up_s + jitter[i % len(jitter)]
        sent = boot + tlog_minus_boot_s - up  # so that the request reaches the vehicle at ``boot``
        arrived = boot + tlog_minus_boot_s + down_s
        recs.append((arrived, m.MAVLink_timesync_message(round((boot + remote_error_s) * 1e6) * 1000,
                                                         round(sent * 1e9))))
    return recs


def utc_frame_name(t: float) -> str:
    """A frame file named by its UTC capture time ``t`` (to 0.01 s), as ``onboard.frames.time_from_name`` reads."""
    from datetime import datetime, timezone

    stamp = datetime.fromtimestamp(round(t, 2), tz=timezone.utc)  # rounded first: .996 s is the next second's .00
    return stamp.strftime("%Y%m%d%H%M%S") + f"{round(stamp.microsecond / 1e4):02d}Z.png"


def frame_image(seed: int, width: int = 64, height: int = 48) -> np.ndarray:
    """A grey frame with one dark square (one instance for the tests' dark-pixel segmenter), moved by ``seed``."""
    img = np.full((height, width, 3), 200, np.uint8)
    img[10 + seed:20 + seed, 10:30] = 20
    return img


def feedback_frames(folder: Path) -> tuple[Path, Path]:
    """Three frames IMG_1..3.png, each with its CAMERA_FEEDBACK in ``folder``/flight.tlog (boot 101, 102, 103.5 s)."""
    tlog = write_tlog(folder / "flight.tlog", flight_records(feedback_boot_s=[101.0, 102.0, 103.5]))
    frames = folder / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"IMG_{i + 1}.png"), frame_image(i))
    return frames, tlog
