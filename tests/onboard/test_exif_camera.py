"""Intrinsics from a photo's metadata (onboard/exif_camera.py) and the CLI falling back on them."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import typer
from onboard_helpers import DJI_DIR, DarkPixelSegmenter
from PIL import Image
from typer.testing import CliRunner

from onboard.exif_camera import DIAGONAL_35MM_MM, camera_from_exif
from skyinspect.cli.main_errors import handle_errors
from skyinspect.cli.onboard_live import onboard_command
from skyinspect.errors import CalibrationError
from skyinspect.record import FlightRecordReader


def _jpeg(path: Path, size: tuple[int, int], exif_ifd: dict[int, object], model: str = "", xmp: str = "") -> Path:
    exif = Image.Exif()
    if model:
        exif[0x0110] = model
    exif[0x8769] = dict(exif_ifd)  # not get_ifd().update: Pillow before 11.1 wrote no such IFD
    Image.fromarray(np.full((size[1], size[0], 3), 128, np.uint8)).save(path, exif=exif.tobytes())
    if xmp:  # XMP packet after the image data: decoders ignore it, the reader scans the file for it
        with path.open("ab") as f:
            f.write(f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description {xmp}/></x:xmpmeta>'.encode())
    return path


def test_dji_phantom3_photo_uses_the_sensor_width_of_its_model() -> None:
    """The committed Brighton photos: FC300S (Phantom 3 Professional, 6.17 mm wide 1/2.3" sensor),
    EXIF FocalLength 3.61 mm, re-encoded at 160x90 from 4000x2250."""
    est = camera_from_exif(DJI_DIR / "DJI_0018.JPG")
    cam = est.camera
    assert (cam.width_px, cam.height_px) == (160, 90)
    assert cam.fx_px == pytest.approx(3.61 * 160 / 6.17) and cam.fy_px == cam.fx_px
    assert (cam.cx_px, cam.cy_px) == (79.5, 44.5) and cam.dist_coeffs == (0.0,) * 5
    assert "FC300S" in est.method
    # the maker's 94 degree diagonal field of view of the full 4:3 frame (4000x3000)
    assert math.degrees(2 * math.atan(2500 / (3.61 * 4000 / 6.17))) == pytest.approx(94, abs=0.5)


def test_a_4_3_photo_cropped_from_a_3_2_sensor_takes_the_sensors_pixel_pitch(tmp_path: Path) -> None:
    """Phantom 4 Pro (FC6310, 1" sensor 13.2 mm wide at 5472x3648 px, DJI's specification) in its 4:3 mode
    writes 4864x3648: the sensor's full height, its width cropped. Synthetic JPEG (EXIF only, said here),
    stored at 1/32 of that, 152x114. Before: fx 8.8 mm x 152 px / 13.2 mm = 101.3 px, as if the 4:3 image
    spanned the whole 13.2 mm: 11 % short, every size measured in it 12.5 % (areas 27 %) too large."""
    path = _jpeg(tmp_path / "p4p.jpg", (152, 114), {0x920A: 8.8, 0xA002: 4864, 0xA003: 3648}, model="FC6310")
    pitch_mm = 13.2 / 5472
    assert camera_from_exif(path).camera.fx_px == pytest.approx(8.8 / pitch_mm * 152 / 4864)
    for size, stored in (((5472, 3648), (171, 114)), ((5472, 3078), (171, 96))):  # 3:2 and 16:9: full width
        path = _jpeg(tmp_path / f"p4p_{size[1]}.jpg", stored, {0x920A: 8.8, 0xA002: size[0], 0xA003: size[1]},
                     model="FC6310")
        assert camera_from_exif(path).camera.fx_px == pytest.approx(8.8 * stored[0] / 13.2)
    # a width the sensor's rows do not explain (resized in the camera or after): as before, the full width
    path = _jpeg(tmp_path / "p4p_small.jpg", (160, 120), {0x920A: 8.8, 0xA002: 1600, 0xA003: 1200}, model="FC6310")
    assert camera_from_exif(path).camera.fx_px == pytest.approx(8.8 * 160 / 13.2)


def test_focal_plane_resolution_scaled_to_the_decoded_width(tmp_path: Path) -> None:
    # 8 mm lens, 250 px/mm on the sensor at the original 4000 px width; the file is 400 px wide
    path = _jpeg(tmp_path / "a.jpg", (400, 300), {0x920A: 8.0, 0xA20E: 250.0, 0xA210: 4, 0xA002: 4000})
    est = camera_from_exif(path)
    assert est.camera.fx_px == pytest.approx(8.0 * 250.0 * 400 / 4000)
    assert "FocalPlaneXResolution" in est.method


def test_35mm_equivalent_over_the_image_diagonal(tmp_path: Path) -> None:
    path = _jpeg(tmp_path / "b.jpg", (640, 480), {0xA405: 24}, model="SomeCam")
    est = camera_from_exif(path)
    assert est.camera.fx_px == pytest.approx(24 * 800 / DIAGONAL_35MM_MM)
    assert "FocalLengthIn35mmFilm" in est.method


def test_dji_calibrated_focal_length_wins(tmp_path: Path) -> None:
    xmp = ('drone-dji:CalibratedFocalLength="3666.67" drone-dji:CalibratedOpticalCenterX="2736.0" '
           'drone-dji:CalibratedOpticalCenterY="1824.0"')
    path = _jpeg(tmp_path / "c.jpg", (547, 365), {0x920A: 8.8, 0xA405: 24, 0xA002: 5472}, model="FC6310R", xmp=xmp)
    cam = camera_from_exif(path).camera
    scale = 547 / 5472  # pixel values are quoted at the original width (ExifImageWidth)
    assert cam.fx_px == pytest.approx(3666.67 * scale)
    assert (cam.cx_px, cam.cy_px) == pytest.approx((2736.0 * scale, 1824.0 * scale))


def test_no_focal_length_is_a_clear_error(tmp_path: Path) -> None:
    path = _jpeg(tmp_path / "d.jpg", (64, 48), {}, model="Mystery")
    with pytest.raises(CalibrationError, match=r"d\.jpg.*no focal length.*--camera"):
        camera_from_exif(path)


def test_cli_replays_a_dji_folder_without_a_calibration(tmp_path: Path, monkeypatch) -> None:
    import models

    monkeypatch.setattr(models, "load_segmenter", lambda path=None, **_kw: DarkPixelSegmenter())
    photos = shutil.copytree(DJI_DIR, tmp_path / "photos")
    app = typer.Typer()
    app.command("onboard")(handle_errors(onboard_command))
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["onboard", "--frames", str(photos), "--out", str(tmp_path / "rec")])  # own pose
    assert r.exit_code == 0, r.output
    assert "intrinsics estimated from DJI_0018.JPG" in " ".join(r.output.split())
    with FlightRecordReader(tmp_path / "rec") as reader:
        assert len(reader) == 4
        assert reader.camera.fx_px == pytest.approx(3.61 * 160 / 6.17)
        assert reader.camera.name == "FC300S, intrinsics estimated from EXIF, no distortion"  # the report shows it
    # a folder whose photos carry no focal length still fails with the calibration message
    bare = tmp_path / "bare"
    bare.mkdir()
    _jpeg(bare / "x.jpg", (64, 48), {})
    r = CliRunner().invoke(app, ["onboard", "--frames", str(bare), "--mavlink", str(photos), "--out", str(tmp_path / "r2")])
    assert r.exit_code == 2 and "no focal length" in " ".join(r.output.split())
    assert not (tmp_path / "r2").exists()
    # frames that carry no pose of their own need --mavlink
    r = CliRunner().invoke(app, ["onboard", "--frames", str(bare), "--out", str(tmp_path / "r3")])
    assert r.exit_code == 2 and "carry no pose of their own" in " ".join(r.output.split())
    assert not (tmp_path / "r3").exists()
