"""A DJI folder replayed as its own telemetry (`skyinspect onboard --frames DJI_FOLDER`) when some of its
photos carry no pose: the frames are those very photos, so photo n is frame n.

Fixtures: the Brighton Phantom 3 photos in tests/data (BSD-2-Clause, LICENSE beside them), copied and
changed in place as a user's card could hold them (each change said where it is made): the XMP's gimbal
attributes blanked (an edited copy), a photo taken within the same second as the one before (a burst:
EXIF DateTimeOriginal has whole seconds), an empty file (a card error)."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from onboard_helpers import DJI_DIR, DarkPixelSegmenter

from onboard.replay import run_replay
from onboard.telemetry.dji import read_photo
from skyinspect.camera import CameraModel
from skyinspect.errors import ImageError, InputError
from skyinspect.record import FlightRecordReader

CAMERA = CameraModel.from_fov(160, 90, 80.0)  # the fixtures' size; intrinsics do not matter for tagging
NAMES = ("DJI_0018.JPG", "DJI_0019.JPG", "DJI_0020.JPG", "DJI_0021.JPG")


def _card(tmp_path: Path) -> Path:
    folder = tmp_path / "card"
    folder.mkdir()
    for name in NAMES:
        shutil.copy(DJI_DIR / name, folder)
    return folder


def _blank_xmp(path: Path, tags: bytes) -> None:
    """The XMP packet without the drone-dji attributes ``tags`` matches (spaces of the same length: the JPEG
    segment stays valid)."""
    data = path.read_bytes()
    blanked = re.sub(rb'drone-dji:' + tags + rb'="[^"]*"', lambda m: b" " * len(m.group(0)), data)
    assert blanked != data
    path.write_bytes(blanked)


def _same_second_as_the_photo_before(path: Path) -> None:
    """DJI_0019 (16:32:06) stamped 16:31:59 as DJI_0018: two photos of a burst within one EXIF second."""
    data = path.read_bytes()
    assert data.count(b"2016:06:23 16:32:06") == 3  # DateTime, DateTimeOriginal, DateTimeDigitized
    path.write_bytes(data.replace(b"2016:06:23 16:32:06", b"2016:06:23 16:31:59"))


def _poses(out: Path) -> list[tuple[float | None, float | None, str]]:
    with FlightRecordReader(out) as reader:
        return [(f.pose.lat_deg if f.pose.is_tagged else None, f.pose.lon_deg if f.pose.is_tagged else None,
                 f.pose.status) for f in reader.frames()]


def test_a_photo_without_gimbal_tags_leaves_every_other_frame_on_its_own_photo(tmp_path: Path) -> None:
    """Before: one photo without a pose sent the folder to timing by EXIF (frame n no longer photo n), where
    DJI_0019, shot in the same second as DJI_0018, took DJI_0018's pose: 13.7 m off, without a word."""
    folder = _card(tmp_path)
    _same_second_as_the_photo_before(folder / "DJI_0019.JPG")
    _blank_xmp(folder / "DJI_0020.JPG", rb"Gimbal\w+")
    summary = run_replay(folder, folder, tmp_path / "r", DarkPixelSegmenter(), CAMERA, progress=False)
    assert (summary.tagged, summary.untagged) == (3, 1)
    poses = _poses(tmp_path / "r")
    for n in (0, 1, 3):  # each photo's own position, as its EXIF GPS says (to MAVLink's 1e-7 deg: 1 cm)
        own = read_photo(DJI_DIR / NAMES[n])
        assert poses[n][:2] == pytest.approx((own.lat_deg, own.lon_deg), abs=2e-7), NAMES[n]
    assert poses[2][0] is None
    # its status says why, as the report lists it (it read 'no CAMERA_FEEDBACK for img_idx 3')
    assert "DJI_0020.JPG: photo has no DJI XMP attitude" in poses[2][2] and "CAMERA_FEEDBACK" not in poses[2][2]


def test_no_advice_to_shift_the_photos_against_themselves(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Before: with one photo untagged the replay also said 'If the camera clock was on local time, pass
    --latency-s to shift it'; following it (--latency-s -18000 for UTC-5) left 0 of 4 frames tagged, since
    the telemetry is those same photos' times. The DJI reader's warning (write OffsetTimeOriginal) stays."""
    folder = _card(tmp_path)
    _blank_xmp(folder / "DJI_0020.JPG", rb"Gimbal\w+")
    with caplog.at_level(logging.WARNING):
        summary = run_replay(folder, folder, tmp_path / "r", DarkPixelSegmenter(), CAMERA, progress=False)
    assert summary.tagged == 3
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "OffsetTimeOriginal" in said
    assert "--latency-s" not in said
    summary = run_replay(folder, folder, tmp_path / "r2", DarkPixelSegmenter(), CAMERA, latency_s=-18000.0,
                         progress=False)
    assert summary.tagged == 3  # the photos' own poses, whatever a latency says


def test_an_empty_photo_is_named_as_empty_not_as_no_dji_photo(tmp_path: Path) -> None:
    """Before: 'DJI_0022.JPG: 1 file(s) in the DJI photo folder are no DJI photos', after a warning that its
    frame would be recorded untagged; it is a DJI photo the card lost."""
    folder = _card(tmp_path)
    (folder / "DJI_0022.JPG").write_bytes(b"")
    with pytest.raises(ImageError, match=r"DJI_0022\.JPG: is empty \(0 bytes\)") as caught:
        run_replay(folder, folder, tmp_path / "r", DarkPixelSegmenter(), CAMERA, progress=False)
    assert "no DJI photos" not in str(caught.value)
    assert not (tmp_path / "r").exists()


def test_a_phone_photo_among_them_is_refused_whatever_its_exif_time(tmp_path: Path) -> None:
    """A phone JPEG with an EXIF DateTimeOriginal (no GPS, no DJI XMP) was recorded as an untagged frame,
    while the same JPEG without one was refused as no DJI photo: refused either way, named."""
    from PIL import Image

    folder = _card(tmp_path)
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif.get_ifd(0x8769)[0x9003] = "2016:06:23 16:32:03"
    Image.new("RGB", (160, 90), (90, 120, 150)).save(folder / "IMG_0001.jpg", exif=exif)
    with pytest.raises(InputError, match=r"IMG_0001\.jpg: 1 file\(s\) in the DJI photo folder are no DJI photos"):
        run_replay(folder, folder, tmp_path / "r", DarkPixelSegmenter(), CAMERA, progress=False)
    assert not (tmp_path / "r").exists()


def test_a_photo_without_relative_altitude_is_untagged_by_name_not_a_traceback(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Before: DJI_0019 with XMP but no drone-dji:RelativeAltitude stopped the replay with a traceback,
    'ValueError: cannot convert float NaN to integer' (its NaN height written into GLOBAL_POSITION_INT), and
    no record; without it the frame's height above the take-off is unknown, as without GPS."""
    folder = _card(tmp_path)
    _blank_xmp(folder / "DJI_0019.JPG", rb"RelativeAltitude")
    with caplog.at_level(logging.WARNING):
        summary = run_replay(folder, folder, tmp_path / "r", DarkPixelSegmenter(), CAMERA, progress=False)
    assert (summary.tagged, summary.untagged) == (3, 1)
    assert _poses(tmp_path / "r")[1][0] is None
    said = [r.getMessage() for r in caplog.records if "DJI_0019.JPG" in r.getMessage()]
    assert any("RelativeAltitude" in m for m in said), said


def test_a_photo_that_is_no_image_is_said_without_pillows_object_repr(tmp_path: Path) -> None:
    """Before: 'DJI_0021.JPG: cannot read the photo's metadata (cannot identify image file <_io.BytesIO object
    at 0x7f...>)': the reader hands Pillow the bytes it read, whose repr Pillow quotes."""
    from skyinspect.errors import TelemetryError

    photo = tmp_path / "DJI_0021.JPG"
    photo.write_bytes(b"\x00" * 5000)
    with pytest.raises(TelemetryError, match=r"DJI_0021\.JPG: cannot read the photo's metadata") as caught:
        read_photo(photo)
    assert "BytesIO" not in str(caught.value) and "object at 0x" not in str(caught.value)


def test_photos_whose_names_are_out_of_time_order_keep_their_own_times(tmp_path: Path) -> None:
    """A card's 101MEDIA numbers start again at DJI_0001: copied beside 100MEDIA's last photos, the later
    photos sort first. Here DJI_0020 (16:32:13) named DJI_0001.JPG. Before: each photo's time was pushed to
    1 ms after the one sorting before it, so DJI_0018 and DJI_0019 were recorded at 16:32:13.001 and .002
    (14 s and 7 s late: the report's times, the flight path's order); their poses were right."""
    folder = tmp_path / "card"
    folder.mkdir()
    for name, as_name in (("DJI_0020.JPG", "DJI_0001.JPG"), ("DJI_0018.JPG", None), ("DJI_0019.JPG", None),
                          ("DJI_0021.JPG", None)):
        shutil.copy(DJI_DIR / name, folder / (as_name or name))
    summary = run_replay(folder, folder, tmp_path / "r", DarkPixelSegmenter(), CAMERA, progress=False)
    assert summary.tagged == 4
    own = [read_photo(DJI_DIR / n) for n in ("DJI_0020.JPG", "DJI_0018.JPG", "DJI_0019.JPG", "DJI_0021.JPG")]
    with FlightRecordReader(tmp_path / "r") as reader:
        frames = list(reader.frames())
    assert [f.capture_time_utc_s for f in frames] == [p.time_utc_s for p in own]
    for f, p in zip(frames, own):
        assert (f.pose.lat_deg, f.pose.lon_deg) == pytest.approx((p.lat_deg, p.lon_deg), abs=2e-7)


def test_exif_gps_without_its_altitude_keeps_the_position(tmp_path: Path) -> None:
    """EXIF GPSLatitude/GPSLongitude without GPSAltitude (a geotagging tool's copy) and the height in the XMP's
    AbsoluteAltitude: before, the missing altitude threw the EXIF position away too, and the photo was
    skipped as 'photo has no GPS position in EXIF or DJI XMP'."""
    from PIL import Image

    src = DJI_DIR / "DJI_0018.JPG"
    with Image.open(src) as img:
        exif, xmp = img.getexif(), img.info["xmp"]
        gps = exif.get_ifd(0x8825)
        del gps[6]  # GPSAltitude
        img.save(tmp_path / "DJI_0018.JPG", exif=exif, xmp=xmp)
    p, own = read_photo(tmp_path / "DJI_0018.JPG"), read_photo(src)
    assert (p.lat_deg, p.lon_deg, p.alt_msl_m, p.alt_rel_m) == (own.lat_deg, own.lon_deg, 198.31, 39.8)
    # no EXIF GPS at all, the position in the XMP as DJI spells it on some aircraft ("GpsLongtitude")
    with Image.open(src) as img:
        exif = img.getexif()
        del exif[0x8825]
        xmp = img.info["xmp"].replace(b'drone-dji:AbsoluteAltitude', b'drone-dji:GpsLatitude="46.8426071" '
                                      b'drone-dji:GpsLongtitude="-91.9945599" drone-dji:AbsoluteAltitude')
        img.save(tmp_path / "DJI_0019.JPG", exif=exif, xmp=xmp)
    p = read_photo(tmp_path / "DJI_0019.JPG")
    assert (p.lat_deg, p.lon_deg, p.alt_msl_m) == (46.8426071, -91.9945599, 198.31)
