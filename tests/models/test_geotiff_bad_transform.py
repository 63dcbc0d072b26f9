"""A GeoTIFF whose geotransform places it nowhere on the Earth (not finite, pixel size 0, or a corner off
the Earth in its CRS) gets segment's pixel outputs with a note saying why, as an unsupported CRS does.

Found with rasterio-written copies of a photo: a NaN pixel size, lat 95 in EPSG:4326 and an easting of
1e9 m in UTM 32N were a pyproj CRSError traceback out of `segment` after <stem>_mask.png, _mask.tif and
_overlay.jpg had been written (no .json record); a pixel size of 0 wrote a GeoJSON whose every polygon was
one point, with no word."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from models.geo_outputs import read_georeference
from skyinspect.cli.main import app

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import Affine  # noqa: E402

BAD = {
    "nan_pixel": ("EPSG:2056", Affine(float("nan"), 0.0, 2_683_000.0, 0.0, -0.001, 1_248_000.0)),
    "zero_pixel": ("EPSG:2056", Affine(0.0, 0.0, 2_683_000.0, 0.0, 0.0, 1_248_000.0)),
    "lat_95": ("EPSG:4326", Affine(1e-8, 0.0, 8.5, 0.0, -1e-8, 95.0)),
    "easting_1e9": ("EPSG:32632", Affine(0.001, 0.0, 1e9, 0.0, -0.001, 1e9)),
}


def _geotiff(path: Path, crs: str, transform: Affine) -> Path:
    img = np.full((3, 64, 96), 128, np.uint8)
    img[:, 30:34, 10:80] = 255  # something to segment
    with rasterio.open(path, "w", driver="GTiff", height=64, width=96, count=3, dtype="uint8", crs=crs,
                       transform=transform) as ds:
        ds.write(img)
    return path


@pytest.mark.parametrize("case", list(BAD))
def test_a_transform_that_places_the_photo_nowhere_is_noted_not_used(case: str, tmp_path: Path) -> None:
    tif = _geotiff(tmp_path / f"{case}.tif", *BAD[case])
    geo, why = read_georeference(tif, (64, 96, 3))
    assert geo is None and why is not None and "outputs in pixels only" in why, why


def test_a_sound_transform_is_still_used(tmp_path: Path) -> None:
    tif = _geotiff(tmp_path / "ok.tif", "EPSG:2056", Affine(0.001, 0.0, 2_683_000.0, 0.0, -0.001, 1_248_000.0))
    geo, why = read_georeference(tif, (64, 96, 3))
    assert geo is not None and why is None


def test_segment_writes_the_pixel_outputs_and_says_why(tmp_path: Path) -> None:
    tif = _geotiff(tmp_path / "lat_95.tif", *BAD["lat_95"])
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["segment", str(tif), "--out", str(out), "--flips", "1", "--upscale", "0"])
    said = " ".join(result.output.split())
    assert result.exit_code == 0 and "Traceback" not in said, said
    assert "lat_95.tif" in said and "outputs in pixels only" in said, said
    assert (out / "lat_95.json").is_file() and (out / "lat_95_mask.png").is_file()
    assert not (out / "lat_95_mask.tif").exists() and not (out / "lat_95.geojson").exists()
