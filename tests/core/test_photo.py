"""skyinspect.photo.read_bgr: photos and frames decoded as viewers show them, one reader for segment,
model eval and the onboard replay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from skyinspect.errors import ImageError
from skyinspect.photo import read_bgr


def _tagged(path: Path, pixels: np.ndarray, orientation: int) -> Path:
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(path, exif=exif)
    return path


def test_a_tiff_turned_a_quarter_by_its_exif_orientation_is_read(tmp_path: Path) -> None:
    """Found reading TIFFs tagged EXIF orientation 5-8 as `segment` reads photos: OpenCV 5.1 decodes none of
    them in any mode, and the photo was refused as 'cannot be decoded as an image'."""
    stored = np.zeros((30, 50, 3), np.uint8)
    stored[:10] = 255
    stored[:, :5] = 128
    for orientation in (5, 6, 7, 8):
        path = _tagged(tmp_path / f"o{orientation}.tif", stored, orientation)
        shown = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))[:, :, ::-1]
        assert shown.shape == (50, 30, 3)
        assert np.array_equal(read_bgr(path), shown), orientation
        assert np.array_equal(read_bgr(path, orient=False), stored[:, :, ::-1]), orientation
    deep = np.zeros((30, 50), np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.tif", exif=_exif(6))
    with pytest.raises(ImageError, match=r"deep\.tif: expected an 8-bit image, got PIL mode I;16"):
        read_bgr(tmp_path / "deep.tif")
    (tmp_path / "text.tif").write_text("not a photo")
    with pytest.raises(ImageError, match=r"text\.tif: cannot be decoded as an image"):
        read_bgr(tmp_path / "text.tif")


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


def test_a_quarter_turned_tiff_is_read_without_opencvs_error_on_stderr(tmp_path: Path, capfd) -> None:
    """Found replaying frames with one such TIFF: OpenCV printed '[ERROR...] imread_(...): can't read data'
    for a frame that was then read (by PIL) and recorded."""
    stored = np.zeros((30, 50, 3), np.uint8)
    path = _tagged(tmp_path / "o6.tif", stored, 6)
    capfd.readouterr()
    assert read_bgr(path).shape == (50, 30, 3)
    assert "imread" not in capfd.readouterr().err


def test_a_jpeg_cut_short_is_refused_whatever_its_name_ends_in(tmp_path: Path) -> None:
    """Found passing `skyinspect segment` a cut JPEG saved as .jfif (Windows' name for a JPEG saved from a
    browser) and one renamed .png: decoded with the missing part filled in ('Premature end of JPEG file'
    on stderr only) and segmented, as a .jpg is not. A whole one of either name still reads."""
    rng = np.random.default_rng(0)
    whole = tmp_path / "whole.jpg"
    Image.fromarray((rng.random((240, 320, 3)) * 255).astype(np.uint8)).save(whole, quality=90)
    data = whole.read_bytes()
    for name in ("photo.jfif", "photo.png", "photo"):
        (tmp_path / name).write_bytes(data)
        assert read_bgr(tmp_path / name).shape == (240, 320, 3)
        (tmp_path / f"cut_{name}").write_bytes(data[:len(data) // 2])
        with pytest.raises(ImageError, match=rf"cut_{name}: is cut short"):
            read_bgr(tmp_path / f"cut_{name}")


def test_a_tiff_is_read_with_the_log_level_calls_of_opencv_4_8(tmp_path: Path, monkeypatch) -> None:
    """pyproject allows opencv-python-headless 4.8, whose cv2 module has getLogLevel/setLogLevel and no
    cv2.utils.logging (OpenCV 5.1's): with 4.8.0.76 every TIFF read raised "AttributeError: module
    'cv2.utils' has no attribute 'logging'". The 4.8 module is mimicked here (on a 4.8 install, used as is)."""
    import cv2

    real = getattr(cv2.utils, "logging", None)
    get_level = real.getLogLevel if real is not None else cv2.getLogLevel
    set_level = real.setLogLevel if real is not None else cv2.setLogLevel
    levels: list[int] = []

    def recorded(level: int) -> None:
        levels.append(level)
        set_level(level)

    if real is not None:
        monkeypatch.delattr(cv2.utils, "logging")
    monkeypatch.setattr(cv2, "getLogLevel", get_level, raising=False)
    monkeypatch.setattr(cv2, "setLogLevel", recorded, raising=False)
    stored = np.zeros((30, 50, 3), np.uint8)
    stored[:10] = 255
    Image.fromarray(stored).save(tmp_path / "plain.tif")
    before = get_level()
    assert np.array_equal(read_bgr(tmp_path / "plain.tif"), stored)
    assert levels == [0, before]  # 0: OpenCV's LOG_LEVEL_SILENT, and the level given back


# how a viewer turns the stored pixels to show them, by EXIF orientation (TIFF 6.0 / EXIF 2.3)
_SHOWN_FROM_STORED = {5: lambda a: np.swapaxes(a, 0, 1), 6: lambda a: np.rot90(a, -1), 7: lambda a: np.rot90(a, 2).swapaxes(0, 1),
                      8: lambda a: np.rot90(a, 1)}


@pytest.mark.parametrize("mode", ["L", "RGBA", "RGB"])
def test_an_uncompressed_grey_or_rgba_tiff_turned_a_quarter_is_read_turned(tmp_path: Path, mode: str) -> None:
    """Found feeding `skyinspect segment` / `model eval --images` a mono camera's uncompressed grey TIFF (and an
    RGBA one) tagged EXIF orientation 6: read from its file it came back as stored (300x512 for a photo shown
    512x300), and orient=False turned it instead; read from its bytes (segment's decode) it was right. Pillow
    (13.0) maps such a file and drops the tag without turning its pixels; the expected pixels here are numpy's."""
    rng = np.random.default_rng(3)
    stored = (rng.random((30, 50)) * 255).astype(np.uint8)
    stored[:10] = 255  # asymmetric: a wrong turn cannot match
    stored[:, :5] = 20
    image = Image.fromarray(stored).convert(mode)
    want_stored = np.asarray(image.convert("RGB"))[:, :, ::-1]
    for orientation, turn in _SHOWN_FROM_STORED.items():
        path = tmp_path / f"{mode}_o{orientation}.tif"
        image.save(path, exif=_exif(orientation))  # uncompressed, Pillow's default
        for data in (None, path.read_bytes()):
            assert np.array_equal(read_bgr(path, data=data), turn(want_stored)), (orientation, data is None)
            assert np.array_equal(read_bgr(path, orient=False, data=data), want_stored), (orientation, data is None)


@pytest.mark.parametrize("compress", ["lerc", "lerc_deflate"])
def test_a_geotiff_compressed_only_gdal_decodes_is_read_through_gdal(tmp_path: Path, compress: str) -> None:
    """Found feeding `skyinspect segment` an ortho tile exported LERC-compressed (Esri's compression, an
    ArcGIS export option; GDAL writes and reads it): neither OpenCV ('LERC compression support is not
    configured') nor Pillow decodes it, and it was refused as 'cannot be decoded as an image. Copy it again
    from the card', a fix that cannot mend it. GDAL (rasterio, which skyinspect reads GeoTIFFs' no data
    with) decodes it: read so, as the same tile compressed with DEFLATE is."""
    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import Affine

    rng = np.random.default_rng(5)
    bands = (rng.random((3, 40, 60)) * 255).astype(np.uint8)
    alpha = np.full((1, 40, 60), 255, np.uint8)
    alpha[0, :10, :10] = 0
    for name, data, extra in (("rgb", bands, {}), ("rgba", np.concatenate([bands, alpha]), {"alpha": "YES"})):
        path = tmp_path / f"{name}_{compress}.tif"
        with rasterio.open(path, "w", driver="GTiff", width=60, height=40, count=len(data), dtype="uint8",
                           crs="EPSG:32630", transform=Affine(0.02, 0, 699_000, 0, -0.02, 5_633_000),
                           compress=compress, photometric="RGB", **extra) as dst:
            dst.write(data)
        want = np.ascontiguousarray(bands.transpose(1, 2, 0)[:, :, ::-1])
        seen = alpha[0] > 0  # LERC stores nothing under alpha 0 (GDAL reads 0 there)
        assert np.array_equal(read_bgr(path)[seen], want[seen]), name
        assert np.array_equal(read_bgr(path, data=path.read_bytes())[seen], want[seen]), name
    grey = tmp_path / "grey.tif"
    with rasterio.open(grey, "w", driver="GTiff", width=60, height=40, count=1, dtype="uint8",
                       compress=compress) as dst:
        dst.write(bands[:1])
    assert np.array_equal(read_bgr(grey), np.repeat(bands[0][:, :, None], 3, axis=2))
    deep = tmp_path / "deep.tif"
    with rasterio.open(deep, "w", driver="GTiff", width=60, height=40, count=1, dtype="uint16",
                       compress=compress) as dst:
        dst.write(bands[:1].astype(np.uint16) * 200)
    with pytest.raises(ImageError, match=r"deep\.tif: expected an 8-bit image, got uint16"):
        read_bgr(deep)


def test_a_tiff_opencv_cannot_decompress_is_read_without_its_errors_on_stderr(tmp_path: Path, capfd) -> None:
    """Found segmenting a folder of ZSTD-compressed GeoTIFF ortho tiles (GDAL writes them; Pillow decodes
    them, OpenCV's libtiff lacks ZSTD): every tile segmented, and each printed '[ERROR:0@0.8] global
    grfmt_tiff.cpp:117 TIFF_Error ...: ZSTD compression support is not configured' among segment's notes,
    once when checked and once when segmented. What OpenCV cannot read goes to Pillow, then GDAL, then is
    refused by name: its errors say nothing the user needs."""
    rasterio = pytest.importorskip("rasterio")
    pixels = (np.random.default_rng(7).random((3, 40, 60)) * 255).astype(np.uint8)
    path = tmp_path / "tile.tif"
    with rasterio.open(path, "w", driver="GTiff", width=60, height=40, count=3, dtype="uint8", compress="zstd",
                       photometric="RGB") as dst:
        dst.write(pixels)
    capfd.readouterr()
    assert np.array_equal(read_bgr(path), pixels.transpose(1, 2, 0)[:, :, ::-1])
    err = capfd.readouterr().err
    assert "TIFF_Error" not in err and "imread" not in err, err


@pytest.mark.parametrize("held", [False, True], ids=["file", "bytes-held"])
def test_a_turned_tiff_under_the_cap_but_over_pillows_limit_is_read(tmp_path: Path, held: bool,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A quarter-turned TIFF goes to Pillow, whose Image.open refused it above 179 MPx ('too large for Pillow')
    though skyinspect's cap (skyinspect.pixel_cap, 300 MPx) lets it through: a 200-MPx one was refused. Pillow's
    limit is lowered here to stand for the size; skyinspect's cap, lowered too, still refuses it."""
    from skyinspect.pixel_cap import MAX_IMAGE_MPX_ENV

    stored = np.zeros((30, 50, 3), np.uint8)
    stored[:10] = 255
    path = _tagged(tmp_path / "ortho.tif", stored, 6)
    data = path.read_bytes() if held else None
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 500)  # 1,500 px is over twice this: Pillow's bomb error
    assert read_bgr(path, data=data).shape == (50, 30, 3)
    assert np.array_equal(read_bgr(path, orient=False, data=data), stored[:, :, ::-1])
    assert Image.MAX_IMAGE_PIXELS == 500  # lifted only while skyinspect decodes: others' Image.open keep it
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "0.001")  # 1,000 px: the cap is what refuses now
    with pytest.raises(ImageError, match=r"ortho\.tif: its header states (30x50|50x30) px"):
        read_bgr(path, data=data)
