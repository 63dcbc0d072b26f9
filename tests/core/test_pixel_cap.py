"""A header stating more pixels than skyinspect decodes (skyinspect.pixel_cap) is refused from the header,
before anything is decoded, naming the file, its size, the cap and how to raise it. Found with a 431-KB
PNG stating 20000x20000: read_bgr took 14 s and 1.6 GB to decode it, and the onboard replay then segmented
its 400 MPx for minutes; a header-only file was a DecompressionBombError traceback out of the replay."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app
from skyinspect.errors import ImageError, InputError
from skyinspect.photo import cv_imread, read_bgr
from skyinspect.pixel_cap import MAX_IMAGE_MPX_ENV, max_image_pixels, open_header


def png_stating(path: Path, width: int, height: int) -> Path:
    """A PNG whose IHDR says width x height (8-bit grey) and holds almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("held", [False, True], ids=["file", "bytes-held"])
def test_a_20000_px_square_header_is_refused_with_the_cap_and_how_to_raise_it(tmp_path: Path, held: bool) -> None:
    photo = png_stating(tmp_path / "pier.png", 20000, 20000)  # 400 MPx: under OpenCV's own 1074 MPx
    with pytest.raises(ImageError, match=r"pier\.png: its header states 20000x20000 px \(400 MPx\), more than the "
                                         r"300 MPx.*SKYINSPECT_MAX_IMAGE_MPX=400"):
        read_bgr(photo, data=photo.read_bytes() if held else None)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_the_cap_is_read_from_the_environment_and_checked_before_decoding(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    big, small = tmp_path / f"big{suffix}", tmp_path / f"small{suffix}"
    cv2.imwrite(str(big), np.full((100, 201, 3), 128, np.uint8))  # 20100 px
    cv2.imwrite(str(small), np.full((100, 199, 3), 128, np.uint8))  # 19900 px
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "0.02")
    for data in (None, big.read_bytes()):
        with pytest.raises(ImageError, match=rf"big\{suffix}: its header states 201x100 px .* the 0\.02 MPx"):
            read_bgr(big, data=data)
    with pytest.raises(ImageError, match=r"201x100 px"):
        cv_imread(big, cv2.IMREAD_UNCHANGED)  # a mask read for `model eval`
    assert read_bgr(small).shape == (100, 199, 3)
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "0.03")
    assert read_bgr(big).shape == (100, 201, 3)


@pytest.mark.parametrize("value", ["lots", "0", "-5", "nan"])
def test_a_cap_that_is_no_number_of_megapixels_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, value)
    with pytest.raises(InputError, match=rf"{MAX_IMAGE_MPX_ENV}: expected a number of megapixels above 0, got"):
        max_image_pixels()


def test_a_header_over_pillows_bomb_limit_still_opens_for_its_metadata(tmp_path: Path) -> None:
    """Pillow's Image.open raises DecompressionBombError above 179 MPx before any metadata is read."""
    with open_header(png_stating(tmp_path / "huge.png", 20000, 20000)) as img:
        assert img.size == (20000, 20000)


def test_a_dem_over_the_cap_is_refused_before_it_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A DEM is read whole as float64 (8 B a cell): a 60000x60000 header asked for 29 GB."""
    import rasterio
    from affine import Affine

    from skyinspect.surfaces.dem import DemSurface

    path = tmp_path / "dsm.tif"
    with rasterio.open(path, "w", driver="GTiff", width=201, height=100, count=1, dtype="float32",
                       crs="EPSG:32632", transform=Affine(1, 0, 500000, 0, -1, 5200000)) as ds:
        ds.write(np.zeros((1, 100, 201), np.float32))
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "0.02")
    with pytest.raises(ImageError, match=r"dsm\.tif: the DEM is 201x100 px"):
        DemSurface(path=path).load_grid()
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "0.03")
    assert DemSurface(path=path).load_grid().z.shape == (100, 201)


def test_a_header_under_the_cap_but_over_pillows_guard_keeps_its_orientation_and_shape(tmp_path: Path) -> None:
    """A 196-MPx photo (14000x14000, under the 300-MPx cap, over Pillow's 179-MPx DecompressionBombError) turned
    by EXIF orientation 6: exif_orientation read 1 and header_shapes None (Image.open raised on the header),
    so the photo was taken as stored where it is shown turned (models/no_data.py, labelled.py, geo_outputs.py)."""
    from PIL import Image

    from skyinspect.photo import exif_orientation, header_shapes

    exif = Image.Exif()
    exif[0x0112] = 6
    small = tmp_path / "small.jpg"
    Image.new("RGB", (16, 8)).save(small, exif=exif.tobytes())
    data = bytearray(small.read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 14000, 15000)  # height, width as the header states them
    photo = tmp_path / "pier.jpg"
    photo.write_bytes(bytes(data))
    assert exif_orientation(photo) == 6 and exif_orientation(photo, bytes(data)) == 6
    assert header_shapes(photo) == ((15000, 14000), (14000, 15000))


# A header over OpenCV's own pixel limit (a damaged header, a giant mosaic), with the cap raised past it:
# it was a cv2.error traceback ('pixels <= CV_IO_MAX_IMAGE_PIXELS') out of `segment`.
@pytest.mark.parametrize("held", [False, True], ids=["read-by-opencv", "bytes-held"])
def test_a_header_over_opencvs_pixel_limit_is_named(tmp_path: Path, held: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "20000")  # skyinspect's own cap raised past it (skyinspect.pixel_cap)
    photo = png_stating(tmp_path / "pier.png", 100_000, 100_000)
    with pytest.raises(ImageError, match=r"pier\.png: its header states more pixels than OpenCV decodes"):
        read_bgr(photo, data=photo.read_bytes() if held else None)


def test_segment_refuses_it_by_name_and_writes_nothing(tmp_path: Path) -> None:
    photo = png_stating(tmp_path / "pier.png", 100_000, 100_000)
    result = CliRunner().invoke(app, ["segment", str(photo), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "pier.png" in said and "Traceback" not in said, said
    assert not list((tmp_path / "out").glob("pier*")), list((tmp_path / "out").iterdir())
