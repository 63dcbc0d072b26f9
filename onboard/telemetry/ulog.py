"""Read a PX4 ULog (.ulg) with pyulog into MAVLink messages.

Topics used (instance 0): ``vehicle_global_position`` → GLOBAL_POSITION_INT (``vehicle_gps_position``
when the log has no estimator position), ``vehicle_attitude`` q → ATTITUDE_QUATERNION,
``vehicle_gps_position`` → GPS_RAW_INT (``eph``/``epv`` are accuracies in metres in PX4) and, with
``time_utc_usec``, SYSTEM_TIME; ``gimbal_device_attitude_status`` → GIMBAL_DEVICE_ATTITUDE_STATUS,
``camera_capture`` → CAMERA_FEEDBACK (img_idx = seq + 1). Relative altitude is above
``home_position`` when logged, else above the first position, for the photos too (not their
``ground_distance``, the height above terrain or -1). ULog timestamps are µs since boot.
Field names changed across PX4 releases (``lat`` int 1e-7° → ``latitude_deg``); both are read.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from onboard.telemetry import convert
from onboard.telemetry.convert import Record
from onboard.telemetry.rotations import quaternion_to_euler
from skyinspect.errors import TelemetryError, describe

log = logging.getLogger(__name__)

_TOPICS = ["vehicle_global_position", "vehicle_gps_position", "sensor_gps", "vehicle_attitude",
           "gimbal_device_attitude_status", "camera_capture", "home_position"]


def read_ulog(path: Path) -> list[Record]:
    path = Path(path)
    if not path.is_file():
        raise TelemetryError(describe(path, "ULog not found", "Pass the PX4 .ulg from the SD card (log/)"))
    with open(path, "rb") as f:
        head = f.read(7)
    if not head.startswith(b"ULog"):
        raise TelemetryError(describe(path, f"not a PX4 ULog (starts with {head[:4]!r}, expected b'ULog')"))
    try:
        from pyulog import ULog
    except ImportError as exc:
        raise TelemetryError(describe(path, "reading a PX4 ULog needs pyulog, which is not installed",
                                      "pip install 'skyinspect[onboard]' (or: pip install pyulog)")) from exc
    try:
        ulog = ULog(str(path), _TOPICS)  # no parse_header_only: pyulog 1.0.0 has none (later: default False)
    except Exception as exc:  # noqa: BLE001 - pyulog raises assorted errors on damaged files
        raise TelemetryError(describe(path, f"ULog cannot be parsed ({type(exc).__name__}: {exc})")) from exc
    if getattr(ulog, "file_corruption", False):
        log.warning("%s: ULog is corrupt in places; pyulog skipped the damaged stretch(es)", path)
    data = {d.name: d.data for d in ulog.data_list if d.multi_id == 0}
    return _to_mavlink(path, data)


def _col(d: dict, *names: str, scale: float = 1.0) -> np.ndarray | None:
    for n in names:
        if n in d:
            return np.asarray(d[n], dtype=np.float64) * (scale if not n.endswith("_deg") and not n.endswith("_m") else 1.0)
    return None


def _latlonalt(d: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if "latitude_deg" in d:
        return (np.asarray(d["latitude_deg"], float), np.asarray(d["longitude_deg"], float),
                np.asarray(d.get("altitude_msl_m", d.get("alt")), float))
    lat, lon = np.asarray(d["lat"], float), np.asarray(d["lon"], float)
    alt = np.asarray(d["alt"], float)
    if np.nanmax(np.abs(lat)) > 1000:  # int 1e-7 deg and mm (vehicle_gps_position before PX4 1.14)
        return lat * 1e-7, lon * 1e-7, alt * 1e-3
    return lat, lon, alt


def _alt_ellipsoid(d: dict) -> np.ndarray | None:
    """The receiver's height above the WGS84 ellipsoid (m), or None when the topic has none."""
    if "altitude_ellipsoid_m" in d:
        return np.asarray(d["altitude_ellipsoid_m"], float)
    if "alt_ellipsoid" not in d:
        return None
    ell = np.asarray(d["alt_ellipsoid"], float)
    return ell * 1e-3 if np.nanmax(np.abs(np.asarray(d["lat"], float))) > 1000 else ell  # mm with int lat


def _to_mavlink(path: Path, data: dict) -> list[Record]:
    gps = data.get("vehicle_gps_position") or data.get("sensor_gps")
    pos = data.get("vehicle_global_position")
    if pos is None and gps is None:
        raise TelemetryError(describe(path, "ULog has neither vehicle_global_position nor vehicle_gps_position",
                                      "Log a flight with GPS (SDLOG_PROFILE default)"))
    # boot → UTC from the GNSS receiver's clock (median shrugs off samples before the first fix)
    offset = math.nan
    if gps is not None and "time_utc_usec" in gps:
        utc = np.asarray(gps["time_utc_usec"], float)
        ok = utc > 1e15
        if ok.any():
            offset = float(np.median(utc[ok] * 1e-6 - np.asarray(gps["timestamp"], float)[ok] * 1e-6))

    def t_of(boot_s: float) -> float:
        return boot_s + offset if math.isfinite(offset) else boot_s

    recs: list[Record] = []
    home_alt = math.nan
    home = data.get("home_position")
    if home is not None and "alt" in home and len(home["alt"]):
        home_alt = float(home["alt"][-1])
    ref_alt = home_alt  # what relative altitudes are above: home, else the first position
    if gps is not None:
        lat, lon, alt = _latlonalt(gps)
        fix = np.asarray(gps["fix_type"], int)
        eph, epv = np.asarray(gps["eph"], float), np.asarray(gps["epv"], float)
        hdop = np.asarray(gps.get("hdop", np.full(len(lat), np.nan)), float)
        vdop = np.asarray(gps.get("vdop", np.full(len(lat), np.nan)), float)
        sats = np.asarray(gps.get("satellites_used", np.full(len(lat), 255)), int)
        utc = np.asarray(gps.get("time_utc_usec", np.zeros(len(lat))), float)
        ell = _alt_ellipsoid(gps)
        first_alt = next((float(a) for a, f in zip(alt, fix) if f >= 3), math.nan)
        if pos is None and not math.isfinite(ref_alt):
            ref_alt = first_alt
        for i, ts in enumerate(np.asarray(gps["timestamp"], float) * 1e-6):
            recs.append((t_of(ts), convert.gps_raw(ts, int(fix[i]), lat[i], lon[i], alt[i], hdop=hdop[i], vdop=vdop[i],
                                                   h_acc_m=eph[i], v_acc_m=epv[i], sats=int(sats[i]),
                                                   alt_ellipsoid_m=ell[i] if ell is not None else math.nan)))
            if utc[i] > 1e15:
                recs.append((t_of(ts), convert.system_time(ts, utc[i] * 1e-6)))
            if pos is None and fix[i] >= 3:
                recs.append((t_of(ts), convert.global_position(ts, lat[i], lon[i], alt[i], alt[i] - ref_alt)))
    if pos is not None:
        lat, lon, alt = _latlonalt(pos)
        ref_alt = home_alt if math.isfinite(home_alt) else float(alt[0])
        for i, ts in enumerate(np.asarray(pos["timestamp"], float) * 1e-6):
            recs.append((t_of(ts), convert.global_position(ts, lat[i], lon[i], alt[i], alt[i] - ref_alt)))
    att = data.get("vehicle_attitude")
    if att is not None:
        q = np.column_stack([att[f"q[{k}]"] for k in range(4)]).astype(float)
        for ts, qi in zip(np.asarray(att["timestamp"], float) * 1e-6, q):
            if np.all(np.isfinite(qi)) and np.linalg.norm(qi) > 0:
                recs.append((t_of(ts), convert.attitude_quaternion(ts, tuple(qi))))
    gim = data.get("gimbal_device_attitude_status")
    if gim is not None:
        q = np.column_stack([gim[f"q[{k}]"] for k in range(4)]).astype(float)
        flags = np.asarray(gim.get("device_flags", np.zeros(len(q))), int)
        for ts, qi, fl in zip(np.asarray(gim["timestamp"], float) * 1e-6, q, flags):
            if np.all(np.isfinite(qi)) and np.linalg.norm(qi) > 0:
                # MAVLink's GIMBAL_DEVICE_FLAGS bits (16 YAW_LOCK, 32/64 yaw in vehicle/earth frame): the
                # buffer reads them as a live gimbal's (8 is PITCH_LOCK, once taken here for earth yaw)
                recs.append((t_of(ts), convert.gimbal_device_status(ts, tuple(qi), device_flags=int(fl))))
    cam = data.get("camera_capture")
    if cam is not None:
        q = np.column_stack([cam[f"q[{k}]"] for k in range(4)]).astype(float)
        for i, ts in enumerate(np.asarray(cam["timestamp"], float) * 1e-6):
            roll, pitch, yaw = quaternion_to_euler(q[i]) if np.linalg.norm(q[i]) > 0 else (0.0, 0.0, 0.0)
            # relative to what the positions are: ground_distance is the height above the terrain
            # estimate, or -1 without one (PX4's camera_feedback), which put the ground above the camera
            recs.append((t_of(ts), convert.camera_feedback(int(ts * 1e6), int(cam["seq"][i]) + 1, float(cam["lat"][i]),
                                                           float(cam["lon"][i]), float(cam["alt"][i]),
                                                           float(cam["alt"][i]) - ref_alt, roll, pitch, yaw)))
    recs.sort(key=lambda r: r[0])
    return recs
