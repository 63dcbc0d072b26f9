"""When a photo was taken, in UTC (DJI photos and any other camera's EXIF).

Cameras write EXIF DateTimeOriginal on their own clock, usually the *local* time with no zone: a
DJI aircraft's is set from the pilot's phone, and the Phantom 3 photos in tests/data (Brighton) say
16:31:59 and carry neither OffsetTimeOriginal, nor a GPS time stamp, nor an XMP time (only
xmp:CreateDate, a day). Taken as UTC, a flight's times are off by the zone's hours, and with them the
record's frame times, the inspection date (near midnight), change detection's years between
inspections and the sun. So, best source first:

- ``gps``: EXIF GPSDateStamp + GPSTimeStamp, which are UTC by the EXIF standard. The camera's zone
  offset is DateTimeOriginal minus that, rounded to the quarter hour (a fix can be seconds older
  than the shutter); when it rounds cleanly (within ``GPS_SLACK_S``) DateTimeOriginal (+ SubSec) less
  the offset is used, keeping the camera's sub-second stamps; otherwise the camera clock itself is
  off and the GPS time is used as it is.
- ``offset``: EXIF OffsetTimeOriginal (EXIF 2.31, newer DJI aircraft, phones).
- ``local``: neither: the camera's local time is taken as UTC, and the replay says so once (DJI
  folders: ``read_dji_folder`` warns and the record's meta ``dji_photo_time`` counts them; other
  photo folders: ``onboard.frames``, whose replay warns with the count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from skyinspect.pixel_cap import open_header  # not Image.open: skyinspect.pixel_cap

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_DATETIME_ORIGINAL, _SUBSEC_ORIGINAL, _OFFSET_ORIGINAL = 0x9003, 0x9291, 0x9011
_GPS_TIME, _GPS_DATE = 7, 29
QUARTER_HOUR_S = 900.0
GPS_SLACK_S = 120.0  # a camera clock this far from a whole quarter hour off GPS time is itself wrong

LOCAL_TIME_FIX = ("write the camera's UTC offset into the photos, e.g. exiftool '-OffsetTimeOriginal=-05:00' "
                  "DJI_*.JPG for a phone on UTC-5, and replay them again")


@dataclass(frozen=True)
class PhotoTime:
    utc_s: float
    source: str  # "gps", "offset" or "local" (module doc)
    zone: str = ""  # the camera clock's offset from UTC ("+02:00") where the photo tells it


def _text(value: Any) -> str:
    return (value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)).strip("\x00 ")


def _zone(offset_s: float) -> str:
    m = round(abs(offset_s) / 60.0)
    return f"{'-' if offset_s < 0 else '+'}{m // 60:02d}:{m % 60:02d}"


def _gps_utc(gps: Any) -> float | None:
    """UTC seconds from GPSDateStamp + GPSTimeStamp, None when either is missing or unreadable."""
    try:
        day = datetime.strptime(_text(gps[_GPS_DATE]), "%Y:%m:%d").replace(tzinfo=timezone.utc)
        h, m, s = (float(v) for v in gps[_GPS_TIME])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    return (day + timedelta(hours=h, minutes=m, seconds=s)).timestamp()


def photo_time(path: Path) -> PhotoTime | None:
    """The photo's capture time in UTC and where it came from; None when it has no time at all."""
    try:
        with open_header(path) as img:
            return exif_time(img.getexif())  # inside: a TIFF's IFDs may still read from the open file
    except (OSError, ValueError, SyntaxError):
        return None


def exif_time(exif: Any) -> PhotoTime | None:
    """``photo_time`` from an already-read ``PIL.Image.Exif`` (a caller holding the header reads the file once)."""
    try:
        tags, gps = exif.get_ifd(_EXIF_IFD), exif.get_ifd(_GPS_IFD)
    except (OSError, ValueError, SyntaxError):
        return None
    local: float | None = None  # DateTimeOriginal (+ SubSec) read as if it were UTC
    try:
        stamp = datetime.strptime(_text(tags.get(_DATETIME_ORIGINAL, "")), "%Y:%m:%d %H:%M:%S")
        subsec = _text(tags.get(_SUBSEC_ORIGINAL, ""))
        local = stamp.replace(tzinfo=timezone.utc).timestamp() + (int(subsec) / 10 ** len(subsec)
                                                                   if subsec.isdigit() else 0.0)
    except ValueError:
        pass
    gps_utc = _gps_utc(gps)
    if gps_utc is not None:
        if local is None:
            return PhotoTime(gps_utc, "gps")
        offset = round((local - gps_utc) / QUARTER_HOUR_S) * QUARTER_HOUR_S
        if abs(local - gps_utc - offset) <= GPS_SLACK_S:
            return PhotoTime(local - offset, "gps", _zone(offset))
        return PhotoTime(gps_utc, "gps")  # the camera clock is off by minutes: GPS time as it is
    if local is None:
        return None
    match = re.fullmatch(r"([+-])(\d\d):(\d\d)", _text(tags.get(_OFFSET_ORIGINAL, "")))
    if match:
        offset = (int(match.group(2)) * 3600 + int(match.group(3)) * 60) * (1 if match.group(1) == "+" else -1)
        return PhotoTime(local - offset, "offset", match.group(0))
    return PhotoTime(local, "local")


def describe_times(times: list[PhotoTime]) -> dict[str, Any]:
    """The record meta's ``dji_photo_time``: how many photos' times came from which source."""
    counts = {s: sum(t.source == s for t in times) for s in ("gps", "offset", "local")}
    zones = sorted({t.zone for t in times if t.zone})
    out: dict[str, Any] = {"sources": counts, "camera_zones": zones}
    if counts["local"]:
        out["note"] = (f"{counts['local']} of {len(times)} photos carry only the camera's local time (EXIF "
                       "DateTimeOriginal without OffsetTimeOriginal or GPS time stamp), taken as UTC: the record's "
                       f"times are off by the camera's UTC offset. To correct: {LOCAL_TIME_FIX}")
    return out


__all__ = ["LOCAL_TIME_FIX", "PhotoTime", "describe_times", "exif_time", "photo_time"]
