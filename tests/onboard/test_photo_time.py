"""DJI photo capture times in UTC (onboard/photo_time.py) on small synthetic JPEGs.

DJI cameras write EXIF DateTimeOriginal in the phone's local time without a zone; it used to be
taken as UTC, so a flight on UTC-5 was recorded five hours early (the Brighton Phantom 3 photos in
tests/data carry nothing better: no OffsetTimeOriginal, no GPS time stamp, only an XMP date).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from onboard.telemetry.dji import read_dji_folder, read_photo
from onboard.photo_time import photo_time

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:drone-dji="http://www.dji.com/drone-dji/1.0/" drone-dji:FlightYawDegree="10.0" '
       b'drone-dji:GimbalPitchDegree="-90.0" drone-dji:RelativeAltitude="+40.10"/></rdf:RDF></x:xmpmeta>')


def _photo(path: Path, local: str, subsec: str = "", offset: str = "", gps_utc: str = "") -> Path:
    """A 64x36 JPEG with DJI XMP and EXIF position; ``local`` DateTimeOriginal ("2016:06:23 16:31:59"),
    ``gps_utc`` GPSDateStamp + GPSTimeStamp ("2016:06:23 21:31:57")."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "DJI"
    # sub-IFDs set as dicts: Pillow before 11.1 writes no IFD that get_ifd made on a new Exif
    tags: dict[int, object] = {0x9003: local}
    if subsec:
        tags[0x9291] = subsec
    if offset:
        tags[0x9011] = offset
    gps: dict[int, object] = {1: "N", 2: (46.0, 50.0, 33.0), 3: "W", 4: (91.0, 59.0, 40.0), 6: 198.3}
    if gps_utc:
        day, hms = gps_utc.split()
        gps[29] = day
        gps[7] = tuple(float(v) for v in hms.split(":"))
    exif[0x8769], exif[0x8825] = tags, gps
    Image.new("RGB", (64, 36), (90, 90, 90)).save(path, exif=exif)
    # the XMP APP1 segment put in by hand: Pillow before 11.0 ignores save(xmp=) for a JPEG
    app1 = b"http://ns.adobe.com/xap/1.0/\x00" + XMP
    data = path.read_bytes()
    path.write_bytes(data[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + data[2:])
    return path


def _utc(text: str) -> float:
    # Python 3.10's fromisoformat takes a fraction of 3 or 6 digits only (".500", not ".5")
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def test_the_gps_time_stamp_gives_utc_and_the_cameras_zone(tmp_path: Path) -> None:
    """Local 16:31:59.5 on a phone on UTC-5; the GPS fix 2 s before the shutter: the zone is -05:00
    and the camera's own sub-second stamp is kept (not the older fix's time)."""
    t = photo_time(_photo(tmp_path / "a.jpg", "2016:06:23 16:31:59", "5", gps_utc="2016:06:23 21:31:57"))
    assert t is not None and (t.source, t.zone) == ("gps", "-05:00")
    assert t.utc_s == pytest.approx(_utc("2016-06-23T21:31:59.500"), abs=0.01)
    assert read_photo(tmp_path / "a.jpg").time_utc_s == pytest.approx(t.utc_s, abs=0.01)
    # a camera clock minutes off any whole zone is itself wrong: the GPS time as it is
    off = photo_time(_photo(tmp_path / "b.jpg", "2016:06:23 16:39:10", gps_utc="2016:06:23 21:31:57"))
    assert off is not None and off.source == "gps" and off.utc_s == pytest.approx(_utc("2016-06-23T21:31:57"), abs=0.01)


def test_offset_time_original_gives_utc(tmp_path: Path) -> None:
    t = photo_time(_photo(tmp_path / "a.jpg", "2025:06:02 00:30:00", offset="+02:00"))
    assert t is not None and (t.source, t.zone) == ("offset", "+02:00")
    assert t.utc_s == pytest.approx(_utc("2025-06-01T22:30:00"), abs=0.01)  # the day before, in UTC


def test_local_time_only_is_said_once_with_the_fix(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for k in range(3):
        _photo(tmp_path / f"DJI_{k:04d}.JPG", f"2016:06:23 16:32:0{k}")
    with caplog.at_level("WARNING"):
        recs = read_dji_folder(tmp_path)
    warned = [r.getMessage() for r in caplog.records if "local time" in r.getMessage()]
    assert len(warned) == 1 and "3 of 3 photos" in warned[0] and "OffsetTimeOriginal=" in warned[0], caplog.text
    assert recs[0][0] == pytest.approx(_utc("2016-06-23T16:32:00"), abs=0.01)  # as before: taken as UTC, but said
    caplog.clear()
    gps_dir = tmp_path / "gps"
    gps_dir.mkdir()
    _photo(gps_dir / "DJI_0001.JPG", "2016:06:23 16:32:00", gps_utc="2016:06:23 21:32:00")
    with caplog.at_level("WARNING"):
        recs = read_dji_folder(gps_dir)
    assert not [r for r in caplog.records if "local time" in r.getMessage()]
    assert recs[0][0] == pytest.approx(_utc("2016-06-23T21:32:00"), abs=0.01)
    assert recs[0][1].time_unix_usec == round(_utc("2016-06-23T21:32:00") * 1e6)  # SYSTEM_TIME: the record's UTC


@pytest.mark.parametrize("crash_safe", [False, True])
def test_replay_records_utc_and_says_where_it_came_from(tmp_path: Path, segmenter,  # type: ignore[no-untyped-def]
                                                         crash_safe: bool) -> None:
    """A flight at 21:30 local on 1 June on UTC-5 was recorded as 1 June; in UTC it is 2 June. The
    --crash-safe replay (onboard.runtime) recorded the UTC but not where it came from."""
    from onboard.replay import run_replay
    from onboard.runtime import run_onboard
    from skyinspect.camera import CameraModel
    from skyinspect.record import FlightRecordReader

    photos = tmp_path / "photos"
    photos.mkdir()
    for k in range(2):
        _photo(photos / f"DJI_{k + 1:04d}.JPG", f"2025:06:01 21:30:0{k}", gps_utc=f"2025:06:02 02:30:0{k}")
    camera = CameraModel.from_fov(64, 36, 94.0)
    if crash_safe:
        run_onboard(photos, photos, tmp_path / "rec", segmenter, camera)
    else:
        run_replay(photos, photos, tmp_path / "rec", segmenter, camera, progress=False)
    with FlightRecordReader(tmp_path / "rec") as reader:
        info = json.loads(reader.meta["dji_photo_time"])
        first = next(iter(reader.frames()))
    assert info["sources"] == {"gps": 2, "offset": 0, "local": 0} and info["camera_zones"] == ["-05:00"]
    assert first.capture_time_utc_s == pytest.approx(_utc("2025-06-02T02:30:00"), abs=0.01)
