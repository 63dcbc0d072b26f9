"""Read an ArduPilot DataFlash log (.bin) with pymavlink's DFReader into MAVLink messages.

Messages used (instance 0 where a log has several): POS → GLOBAL_POSITION_INT (GPS → position when a
log has no POS), ATT → ATTITUDE, GPS + GPA → GPS_RAW_INT (HDop, VDop, HAcc, VAcc), GPS week/ms →
SYSTEM_TIME (boot → UTC, leap seconds applied), CAM → CAMERA_FEEDBACK (``time_usec`` = boot time, so
it shares the other messages' clock; img_idx = Img, or the CAM's number in the log where it has no Img,
as ArduPlane 3.8's has not), MNT → MOUNT_ORIENTATION (roll/pitch earth, yaw from the nose).
Each record's first element is DFReader's own timestamp (UTC from GPS where it has one).

A truncated or garbled log: DFReader stops or skips at bad bytes; we count what it skipped, warn,
and keep what decoded. A file that yields no position or is not a DataFlash log raises
``TelemetryError`` naming the file.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from onboard.telemetry import convert
from onboard.telemetry.convert import Record
from skyinspect.errors import TelemetryError, describe

log = logging.getLogger(__name__)

_MAGIC = b"\xa3\x95"
_TYPES = ("POS", "ATT", "GPS", "GPA", "CAM", "MNT")


def read_dataflash(path: Path) -> list[Record]:
    path = Path(path)
    if not path.is_file():
        raise TelemetryError(describe(path, "DataFlash log not found", "Pass the autopilot's .BIN log"))
    head = path.read_bytes()[:2]
    if head != _MAGIC:
        raise TelemetryError(describe(path, f"not an ArduPilot DataFlash log (starts with {head!r}, "
                                      f"expected {_MAGIC!r})", "Pass a .BIN log from the SD card"))
    from pymavlink import DFReader

    try:
        reader = DFReader.DFReader_binary(str(path), zero_time_base=False)
    except Exception as exc:  # noqa: BLE001 - DFReader raises bare exceptions on garbage
        raise TelemetryError(describe(path, f"DataFlash log cannot be opened ({type(exc).__name__}: {exc})")) from exc
    raw: dict[str, list] = {k: [] for k in _TYPES}
    try:
        while True:
            msg = reader.recv_match(type=list(_TYPES))
            if msg is None:
                break
            if getattr(msg, "I", 0) not in (0, None) and msg.get_type() in ("GPS", "GPA", "CAM", "MNT"):
                if msg.get_type() != "CAM":  # a second GPS or gimbal: the first one is the reference
                    continue
            raw[msg.get_type()].append(msg)
    except Exception as exc:  # noqa: BLE001 - a corrupt tail: keep what decoded before it
        log.warning("%s: DataFlash log unreadable after %d messages (%s: %s); keeping what decoded",
                    path, sum(map(len, raw.values())), type(exc).__name__, exc)
    skipped = getattr(reader, "remaining", 0)
    if skipped:
        log.warning("%s: %d trailing bytes could not be decoded (log cut off?)", path, skipped)
    return _to_mavlink(path, raw)


# What a garbled FMT definition or flipped bits do to a decoded message: a field missing
# (AttributeError/KeyError), NaN or inf where an integer belongs (ValueError/OverflowError), a wrong type.
_BAD_MESSAGE = (AttributeError, KeyError, ValueError, TypeError, OverflowError)


def _has_fix(m: object) -> bool:
    try:
        return int(m.Status) >= 3  # type: ignore[attr-defined]
    except _BAD_MESSAGE:
        return False


def _to_mavlink(path: Path, raw: dict[str, list]) -> list[Record]:
    recs: list[Record] = []
    bad: dict[str, int] = {}

    def each(kind: str, convert_one: Callable[[Any], list[Record]]) -> None:
        """Convert every message of ``kind``; one that cannot be (corrupt fields) is skipped and counted."""
        for m in raw[kind]:
            try:
                recs.extend(convert_one(m))
            except _BAD_MESSAGE:
                bad[kind] = bad.get(kind, 0) + 1

    gpa: dict[int, Any] = {}
    for m in raw["GPA"]:
        try:
            gpa[int(m.TimeUS)] = m
        except _BAD_MESSAGE:
            bad["GPA"] = bad.get("GPA", 0) + 1
    first_gps_alt = math.nan
    for m in raw["GPS"]:
        try:
            if _has_fix(m) and math.isfinite(alt := float(m.Alt)):
                first_gps_alt = alt
                break
        except _BAD_MESSAGE:
            continue

    def gps(m: Any) -> list[Record]:
        boot, t = m.TimeUS * 1e-6, m._timestamp
        a = gpa.get(int(m.TimeUS))
        out = [(t, convert.gps_raw(boot, int(m.Status), m.Lat, m.Lng, m.Alt, hdop=float(m.HDop),
                                   vdop=float(a.VDop) if a else math.nan,
                                   h_acc_m=float(getattr(a, "HAcc", math.nan)) if a else math.nan,
                                   v_acc_m=float(getattr(a, "VAcc", math.nan)) if a else math.nan,
                                   sats=int(m.NSats)))]
        if int(m.Status) >= 3 and int(m.GWk) > 0:
            out.append((t, convert.system_time(boot, convert.gps_to_unix_s(int(m.GWk), float(m.GMS)))))
        if not raw["POS"] and int(m.Status) >= 3:
            out.append((t, convert.global_position(boot, m.Lat, m.Lng, m.Alt, m.Alt - first_gps_alt)))
        return out

    def pos(m: Any) -> list[Record]:
        rel = getattr(m, "RelHomeAlt", None)
        if rel is None:
            rel = getattr(m, "RelAlt", math.nan)
        return [(m._timestamp, convert.global_position(m.TimeUS * 1e-6, m.Lat, m.Lng, m.Alt, float(rel)))]

    def mnt(m: Any) -> list[Record]:
        yaw_b = getattr(m, "YawB", None)
        yaw_b = float(m.Yaw) if yaw_b is None else float(yaw_b)
        if not (math.isfinite(m.Roll) and math.isfinite(m.Pitch) and math.isfinite(yaw_b)):
            return []
        return [(m._timestamp, convert.mount_orientation(m.TimeUS * 1e-6, m.Roll, m.Pitch, yaw_b,
                                                         float(getattr(m, "YawE", math.nan))))]

    each("GPS", gps)
    each("POS", pos)
    each("ATT", lambda m: [(m._timestamp, convert.attitude(m.TimeUS * 1e-6, m.Roll, m.Pitch, m.Yaw))])
    each("MNT", mnt)
    shots = iter(range(1, len(raw["CAM"]) + 1))

    def cam(m: Any) -> list[Record]:
        # ArduPlane 3.8 (the real test.BIN's FMT) logs CAM without Img, and Roll/Pitch/Yaw where 4.7 has
        # R/P/Y: its photos are then numbered in log order, as the camera took them
        n = next(shots)
        img = getattr(m, "Img", None)
        att = (m.R, m.P, m.Y) if hasattr(m, "R") else (m.Roll, m.Pitch, m.Yaw)
        return [(m._timestamp, convert.camera_feedback(int(m.TimeUS), n if img is None else int(img), m.Lat, m.Lng,
                                                       m.Alt, float(m.RelAlt), *att, int(getattr(m, "I", 0))))]

    each("CAM", cam)
    if bad:
        log.warning("%s: skipped %s DataFlash messages with corrupt fields", path,
                    ", ".join(f"{n} {k}" for k, n in sorted(bad.items())))
    if not any(r[1].get_type() == "GLOBAL_POSITION_INT" for r in recs):
        found = ", ".join(f"{k} {len(v)}" for k, v in raw.items())
        raise TelemetryError(describe(path, f"no POS messages and no GPS fix in the DataFlash log (found: {found})",
                                      "Log with LOG_BITMASK including GPS and attitude"))
    recs.sort(key=lambda r: r[0])
    return recs
