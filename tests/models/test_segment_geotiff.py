"""`skyinspect segment` on a GeoTIFF orthomosaic: no data marked by the GDAL nodata tag (no alpha band) is
left out, and a georeferenced photo's mask and instances come back in map coordinates too."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from models.model_file import ModelMetadata
from models.runtime import TiledSegmenter
from skyinspect.segmentation import CORROSION, CRACK

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import Affine  # noqa: E402

ORIGIN_E, ORIGIN_N, PIXEL_M = 699_000.0, 5_633_000.0, 0.02  # UTM 30N (EPSG:32630), Brighton
NORTH_UP = Affine(PIXEL_M, 0.0, ORIGIN_E, 0.0, -PIXEL_M, ORIGIN_N)


class _Painter(TiledSegmenter):
    """The tiled runtime with a model that calls every dark pixel corrosion and a bright line a crack:
    what it finds is known from the pixels (no trained model in the loop)."""

    def __init__(self) -> None:
        from models import DEFAULT_MODEL_PATH

        super().__init__(DEFAULT_MODEL_PATH, ModelMetadata(("background", "crack", "corrosion"), 64, "painter", "1"),
                         overlap=16, crack_refine=None, min_area={CRACK: 1, CORROSION: 1})

    def _infer(self, x: np.ndarray) -> np.ndarray:
        grey = x.mean(axis=1)  # (N, H, W) 0..1
        probs = np.zeros((x.shape[0], 3) + x.shape[2:], np.float32)
        probs[:, CORROSION] = grey < 0.1  # black: the no-data collar and the painted rust patch
        probs[:, CRACK] = grey > 0.9  # white: the painted crack
        probs[:, 0] = 1 - probs[:, 1] - probs[:, 2]
        return probs


def _ortho(path: Path, transform: Affine | None = None, crs: str | None = "EPSG:32630", nodata: float | None = 0,
           collar: bool = True) -> np.ndarray:
    """A 3-band GeoTIFF 200x300 px: grey ground, a black triangle of no data at the top left (marked by
    the nodata tag only), a black rust patch and a white crack line inside the survey. Returns its BGR."""
    h, w = 200, 300
    img = np.full((h, w, 3), 128, np.uint8)
    if collar:
        yy, xx = np.mgrid[0:h, 0:w]
        img[xx + yy < 80] = 0
    img[120:150, 200:240] = 2  # rust: dark, not exactly the nodata value
    cv2.line(img, (60, 170), (160, 110), (255, 255, 255), 3)
    kwargs = {} if crs is None else {"crs": crs}
    with rasterio.open(path, "w", driver="GTiff", width=w, height=h, count=3, dtype="uint8", nodata=nodata,
                       transform=transform or NORTH_UP, **kwargs) as ds:
        ds.write(img[:, :, ::-1].transpose(2, 0, 1))
    return img


def _segment(tmp_path: Path, name: str = "ortho.tif", **ortho: object) -> Path:
    from models.batch import segment_images

    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir(exist_ok=True)
    _ortho(photos / name, **ortho)  # type: ignore[arg-type]
    segment_images([photos / name], out, _Painter())
    return out


def test_no_data_marked_by_the_nodata_tag_is_not_segmented(tmp_path: Path) -> None:
    out = _segment(tmp_path)
    mask = cv2.imread(str(out / "ortho_mask.png"), cv2.IMREAD_UNCHANGED)
    yy, xx = np.mgrid[0:200, 0:300]
    assert not mask[xx + yy < 80].any()  # the collar: no data, nothing found there
    assert (mask[120:150, 200:240] == CORROSION).all() and (mask == CRACK).any()  # the survey's own defects
    record = json.loads((out / "ortho.json").read_text())
    assert record["no_data_px"] == int((xx + yy < 80).sum())
    assert len(record["instances"]) == 2
