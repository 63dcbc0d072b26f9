"""One entry point for every telemetry source, logged or live.

``read_telemetry(path)`` reads a log into ``(time_s, MAVLink message)`` records by its content:
a MAVLink ``.tlog`` (``onboard.telemetry.tlog``), an ArduPilot DataFlash ``.bin`` (pymavlink DFReader),
a PX4 ``.ulg`` (pyulog) or a folder of DJI photos (EXIF/XMP). ``is_live(spec)`` tells a pymavlink
connection string (``udp:``, ``udpin:``, ``udpout:``, ``tcp:``, ``tcpin:``, a serial device) from
a log; ``onboard.telemetry.live.LiveMavlink`` opens those. All of them feed ``TelemetryBuffer``.
"""

from __future__ import annotations

import re
from pathlib import Path

from onboard.telemetry.buffer import TelemetryBuffer
from onboard.telemetry.convert import Record
from skyinspect.errors import TelemetryError, describe

_LIVE = re.compile(r"^(udp|udpin|udpout|udpbcast|tcp|tcpin|mcast|serial):|^/dev/|^COM\d+", re.IGNORECASE)
KINDS = ("tlog", "dataflash", "ulog", "dji")


def is_live(spec: str | Path) -> bool:
    """True for a pymavlink connection string (a link), False for a file or folder (a log)."""
    return bool(_LIVE.match(str(spec)))


def detect_kind(path: Path) -> str:
    """Which reader a log needs, from its first bytes (the suffix only breaks ties)."""
    path = Path(path)
    if path.is_dir():
        from onboard.telemetry.dji import is_dji_folder

        if is_dji_folder(path):
            return "dji"
        raise TelemetryError(describe(path, "folder holds no DJI photos with drone-dji XMP",
                                      "Pass a .tlog, .bin, .ulg or a folder of DJI JPEGs"))
    if not path.is_file():
        raise TelemetryError(describe(path, "telemetry log not found",
                                      "Pass a .tlog, DataFlash .bin, PX4 .ulg or a folder of DJI photos"))
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith(b"ULog"):
        return "ulog"
    if head.startswith(b"\xa3\x95"):
        return "dataflash"
    if path.suffix.lower() == ".ulg":
        return "ulog"
    if path.suffix.lower() in (".bin", ".log") and not head:
        return "dataflash"
    return "tlog"


def read_telemetry(path: Path, kind: str | None = None) -> tuple[list[Record], str]:
    """A log → its records and the reader used."""
    path = Path(path)
    kind = kind or detect_kind(path)
    if kind == "tlog":
        from onboard.telemetry.tlog import read_tlog

        return read_tlog(path)[0], kind
    if kind == "dataflash":
        from onboard.telemetry.dataflash import read_dataflash

        return read_dataflash(path), kind
    if kind == "ulog":
        from onboard.telemetry.ulog import read_ulog

        return read_ulog(path), kind
    if kind == "dji":
        from onboard.telemetry.dji import read_dji_folder

        return read_dji_folder(path), kind
    raise TelemetryError(describe(path, f"unknown telemetry kind {kind!r}; expected one of {KINDS}"))


def load_buffer(path: Path, latency_s: float = 0.0, gap_threshold_s: float = 1.0,
                time_base: str = "auto") -> TelemetryBuffer:
    records, _ = read_telemetry(path)
    return TelemetryBuffer(records, path, latency_s, gap_threshold_s, time_base)
