"""DJI photos as a telemetry source: EXIF GPS + DJI XMP (``drone-dji:``) in each JPEG.

Per photo: EXIF GPSLatitude/GPSLongitude/GPSAltitude (or XMP GpsLatitude/GpsLongitude/AbsoluteAltitude),
XMP RelativeAltitude, FlightRoll/Pitch/YawDegree (vehicle), GimbalRoll/Pitch/YawDegree (earth-referenced:
DJI gimbal yaw is a compass heading), and on RTK aircraft RtkFlag (0 none, 16 single, 32-49 float,
50 fixed) with RtkStdLon/RtkStdLat/RtkStdHgt (1-σ, m). Capture time in UTC: from the GPS time stamp,
else OffsetTimeOriginal, else the camera's local time taken as UTC with a warning (``onboard.photo_time``).

The photos become synthetic MAVLink messages — one GLOBAL_POSITION_INT, ATTITUDE, GPS_RAW_INT,
gimbal status and CAMERA_FEEDBACK (img_idx = photo number in name order) each — so frames from the
same folder are tagged by the camera-feedback path with the pose the aircraft wrote into the file.
A photo without GPS or XMP is skipped with a warning (its frame is then recorded untagged).
"""

from __future__ import annotations

import io
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from onboard.frames import IMAGE_SUFFIXES, is_hidden, natural_key
from onboard.telemetry import convert
from onboard.telemetry.convert import Record
from onboard.photo_time import LOCAL_TIME_FIX, PhotoTime, describe_times, exif_time
from onboard.telemetry.rotations import euler_to_quaternion
from skyinspect.errors import TelemetryError, describe
from skyinspect.jpeg import METADATA_HEAD_BYTES  # DJI EXIF + XMP lie in it (Brighton: XMP ends at 51 KB of 4 MB)
from skyinspect.pixel_cap import open_header  # not Image.open: skyinspect.pixel_cap

log = logging.getLogger(__name__)

_GPS_IFD = 0x8825
_ATTR = re.compile(r'drone-dji:(\w+)\s*=\s*"([^"]*)"')
_ELEM = re.compile(r"<drone-dji:(\w+)>([^<]*)</drone-dji:\1>")


def _rtk_fix_type(flag: int) -> int:
    """DJI RtkFlag → GPS_FIX_TYPE. DJI's manuals (Mavic 3E, Matrice 4): 0 failed to position, 16 single
    point, 32-49 float, 50 fixed; its OSDK adds 17 pseudorange differential and 18 SBAS (DGPS). 0 stays 0
    (unknown), not NO_FIX: aircraft with the RTK module off write 0 beside a plain GNSS position."""
    if flag >= 50:
        return 6
    if 32 <= flag <= 49:
        return 5
    if flag in (17, 18):
        return 4
    return 3 if flag > 0 else 0


@dataclass(frozen=True)
class DjiPhoto:
    path: Path
    time_utc_s: float
    lat_deg: float
    lon_deg: float
    alt_msl_m: float
    alt_rel_m: float
    roll_deg: float
    pitch_deg: float
    yaw_deg: float
    gimbal_roll_deg: float
    gimbal_pitch_deg: float
    gimbal_yaw_deg: float
    fix_type: int
    h_acc_m: float
    v_acc_m: float
    time_source: str = "local"  # where time_utc_s came from: gps, offset or local (onboard.photo_time)
    time_zone: str = ""  # the camera clock's offset from UTC ("+02:00") where the photo tells it


def read_xmp(data: bytes) -> dict[str, str]:
    """The ``drone-dji:`` fields of a JPEG's XMP packet (attribute or element form)."""
    start, end = data.find(b"<x:xmpmeta"), data.find(b"</x:xmpmeta>")
    if start < 0 or end < start:
        return {}
    text = data[start:end].decode("utf-8", errors="replace")
    fields = dict(_ATTR.findall(text))
    fields.update(_ELEM.findall(text))
    return fields


def _num(fields: dict[str, str], key: str, default: float = math.nan) -> float:
    try:
        return float(fields[key])
    except (KeyError, ValueError):
        return default


def _dms(value: object, ref: object, negative: str) -> float:
    d, m, s = (float(v) for v in value)  # type: ignore[union-attr]
    deg = d + m / 60.0 + s / 3600.0
    return -deg if str(ref).strip("\x00 ").upper() == negative else deg


def read_photo(path: Path) -> DjiPhoto:
    """One photo's pose; ``TelemetryError`` naming the file if it carries none. From its first 256 KB (the
    replay reads the whole photo again as its frame), or all of it where they do not hold its metadata."""
    path = Path(path)
    try:
        with open(path, "rb") as f:  # the one open: EXIF, XMP and the capture time all come from these bytes
            data = f.read(METADATA_HEAD_BYTES)
            if len(data) == METADATA_HEAD_BYTES:
                try:
                    return _photo_from(path, data)
                except TelemetryError:  # its metadata may lie further on (a thermal camera's data before it)
                    data += f.read()
    except OSError as exc:
        raise TelemetryError(describe(path, f"cannot read the photo's metadata ({exc})")) from exc
    return _photo_from(path, data)


def _photo_from(path: Path, data: bytes) -> DjiPhoto:
    """``read_photo`` from the photo's bytes, or its first ones."""
    from PIL import UnidentifiedImageError  # lazy, as skyinspect.pixel_cap imports PIL

    try:
        with open_header(io.BytesIO(data)) as img:
            exif = img.getexif()
            gps = exif.get_ifd(_GPS_IFD)
    except UnidentifiedImageError as exc:  # its text quotes the BytesIO's repr ('<_io.BytesIO object at 0x...>')
        raise TelemetryError(describe(path, "cannot read the photo's metadata (not an image Pillow can identify)")) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise TelemetryError(describe(path, f"cannot read the photo's metadata ({exc})")) from exc
    xmp = read_xmp(data)
    try:
        lat, lon = _dms(gps[2], gps.get(1, "N"), "S"), _dms(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError):  # XMP's "GpsLongtitude": DJI's own spelling
        lat, lon = _num(xmp, "GpsLatitude"), _num(xmp, "GpsLongitude", _num(xmp, "GpsLongtitude"))
    try:  # apart from the position: a copy without GPSAltitude lost its EXIF position with it
        alt = float(gps[6]) * (-1.0 if gps.get(5) in (1, b"\x01") else 1.0)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        alt = math.nan
    alt = _num(xmp, "AbsoluteAltitude", alt)
    if not (math.isfinite(lat) and math.isfinite(lon)) or (lat == 0 and lon == 0):
        raise TelemetryError(describe(path, "photo has no GPS position in EXIF or DJI XMP"))
    if "FlightYawDegree" not in xmp or "GimbalPitchDegree" not in xmp:
        raise TelemetryError(describe(path, "photo has no DJI XMP attitude (drone-dji:FlightYawDegree, "
                                      "GimbalPitchDegree)", "Use the original DJI JPEG, not an edited copy"))
    rel = _num(xmp, "RelativeAltitude")
    if not (math.isfinite(alt) and math.isfinite(rel)):  # MAVLink heights are integers: NaN stopped the replay
        what = ("altitude (EXIF GPSAltitude or drone-dji:AbsoluteAltitude)" if not math.isfinite(alt) else
                "height above its take-off (drone-dji:RelativeAltitude)")
        raise TelemetryError(describe(path, f"photo has no {what}", "Use the original DJI JPEG, not an edited copy"))
    # frames pair with photos by number, but these times become the record's UTC (report date, change's years)
    t = exif_time(exif)
    if t is None:
        raise TelemetryError(describe(path, "photo has no EXIF DateTimeOriginal"))
    rtk = int(_num(xmp, "RtkFlag", -1)) if "RtkFlag" in xmp else None
    if rtk is not None:
        fix = _rtk_fix_type(rtk)
        h_acc = math.hypot(_num(xmp, "RtkStdLon"), _num(xmp, "RtkStdLat"))
        v_acc = _num(xmp, "RtkStdHgt")
    else:
        fix, h_acc, v_acc = 3, math.nan, math.nan  # plain GNSS: a 3D fix, accuracy not recorded
    return DjiPhoto(path, t.utc_s, lat, lon, alt, rel, _num(xmp, "FlightRollDegree", 0.0),
                    _num(xmp, "FlightPitchDegree", 0.0), _num(xmp, "FlightYawDegree") % 360.0,
                    _num(xmp, "GimbalRollDegree", 0.0), _num(xmp, "GimbalPitchDegree"),
                    _num(xmp, "GimbalYawDegree", 0.0) % 360.0, fix, h_acc, v_acc, t.source, t.zone)


def photo_paths(folder: Path) -> list[Path]:
    return sorted((p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                   and p.suffix.lower() in (".jpg", ".jpeg") and not is_hidden(p)), key=lambda p: natural_key(p.name))


@dataclass(frozen=True)
class DjiFlight:
    records: list[Record]
    photo_time: dict[str, object]  # the record meta's dji_photo_time: which clock the tagging photos' times came from
    times: dict[Path, PhotoTime] = field(default_factory=dict)  # each photo read's own time, by its path as listed
    skipped: dict[Path, str] = field(default_factory=dict)  # why a photo gave no pose ("DJI_0020.JPG: photo has no ...")


def read_dji_folder(folder: Path) -> list[Record]:
    """All photos of a folder → MAVLink records (photo n ↔ CAMERA_FEEDBACK img_idx n)."""
    return read_dji_flight(folder).records


def read_dji_flight(folder: Path) -> DjiFlight:
    """``read_dji_folder``, the record meta's ``dji_photo_time`` and each photo's capture time from the same
    reads (the meta read every photo again, and the replay's frames their EXIF times)."""
    folder = Path(folder)
    paths = photo_paths(folder) if folder.is_dir() else []
    if not paths:
        raise TelemetryError(describe(folder, "no JPEG photos to read DJI metadata from"))
    recs: list[Record] = []
    local: list[str] = []  # photos timed by the camera's local clock
    times: dict[Path, PhotoTime] = {}
    skipped: dict[Path, str] = {}
    read: list[tuple[int, DjiPhoto]] = []
    for idx, path in enumerate(paths, start=1):
        try:
            read.append((idx, read_photo(path)))
        except TelemetryError as exc:
            log.warning("%s; its frame will be recorded untagged", exc)
            skipped[path] = str(exc).replace(str(path), path.name, 1)  # its frame's pose status
    good = len(read)
    # in time order, not name order: a card's 101MEDIA starts again at DJI_0001, and each photo pushed to
    # 1 ms after the one named before it had recorded the earlier folder's photos at the later one's times
    read.sort(key=lambda r: (r[1].time_utc_s, r[0]))
    last_t = -math.inf
    first_t = read[0][1].time_utc_s if read else 0.0
    for idx, p in read:
        t = max(p.time_utc_s, last_t + 0.001)  # EXIF has 1 s resolution: keep photos of one second apart
        last_t = t
        times[p.path] = PhotoTime(p.time_utc_s, p.time_source, p.time_zone)
        if p.time_source == "local":
            local.append(p.path.name)
        boot = t - first_t + 1.0  # a stand-in boot clock (ms fit uint32); SYSTEM_TIME maps it to UTC
        q = euler_to_quaternion(p.gimbal_roll_deg, p.gimbal_pitch_deg, p.gimbal_yaw_deg)
        recs += [(t, convert.system_time(boot, t)),
                 (t, convert.global_position(boot, p.lat_deg, p.lon_deg, p.alt_msl_m, p.alt_rel_m)),
                 (t, convert.attitude(boot, p.roll_deg, p.pitch_deg, p.yaw_deg)),
                 (t, convert.gps_raw(boot, p.fix_type, p.lat_deg, p.lon_deg, p.alt_msl_m,
                                     h_acc_m=p.h_acc_m, v_acc_m=p.v_acc_m)),
                 (t, convert.gimbal_device_status(boot, tuple(q), earth_yaw=True)),
                 (t, convert.camera_feedback(int(round(t * 1e6)), idx, p.lat_deg, p.lon_deg, p.alt_msl_m,
                                             p.alt_rel_m, p.roll_deg, p.pitch_deg, p.yaw_deg))]
    local.sort(key=natural_key)  # the first named, as before
    if not good:
        raise TelemetryError(describe(folder, f"none of {len(paths)} photos carries DJI GPS + XMP metadata"))
    if local:
        log.warning("%s: %d of %d photos carry only the camera's local time (EXIF DateTimeOriginal, first %s, "
                    "without OffsetTimeOriginal or a GPS time stamp), taken as UTC: the record's times, the "
                    "inspection date and change detection's years between inspections are off by the camera's "
                    "UTC offset. To correct: %s", folder, len(local), good, local[0], LOCAL_TIME_FIX)
    return DjiFlight(recs, describe_times(list(times.values())), times, skipped)


def is_dji_folder(folder: Path) -> bool:
    folder = Path(folder)
    if not folder.is_dir():
        return False
    # any of the first few: a phone photo sorting first (A_target.jpg) made a DJI folder "no DJI photos"
    return any(has_dji_xmp(p) for p in photo_paths(folder)[:10])


def has_dji_xmp(path: Path) -> bool:
    """drone-dji metadata in the photo's first 200 KB, where its EXIF and XMP lie (read_bytes read all of a
    full-size photo, megabytes)."""
    with open(path, "rb") as f:
        return b"drone-dji:" in f.read(200_000)

