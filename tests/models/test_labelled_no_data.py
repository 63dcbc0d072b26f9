"""A photo's no-data pixels (transparent, models/no_data.py) are scored nowhere by `model eval --images`,
as `skyinspect segment` finds nothing there (models/labelled.py)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from models.labelled import NO_DATA, LabelledExample, read_labelled
from skyinspect.cli.main import app

TEXTURES = Path(__file__).parents[2] / "missions/simulator/textures"  # UAV75 (GPL-3.0)


def test_transparent_pixels_are_scored_nowhere_as_segment_finds_nothing_there(tmp_path: Path) -> None:
    """A real drone-shot crack saved as an RGBA tile whose top half is transparent (its pixels kept):
    the crack labels there counted as misses and what the model found there as false alarms."""
    photo = cv2.imread(str(TEXTURES / "uav75_DSC00566.jpg"))
    mask = cv2.imread(str(TEXTURES / "uav75_DSC00566_mask.png"), cv2.IMREAD_GRAYSCALE)
    half = photo.shape[0] // 2
    alpha = np.full(photo.shape[:2], 255, np.uint8)
    alpha[:half] = 0
    photos = tmp_path / "photos"
    photos.mkdir()
    assert cv2.imwrite(str(photos / "tile.png"), np.dstack([photo, alpha]))
    assert cv2.imwrite(str(photos / "tile_mask.png"), mask)
    labelled_top, labelled_bottom = int((mask[:half] > 127).sum()), int((mask[half:] > 127).sum())
    assert labelled_top > 0 and labelled_bottom > 0  # the crack runs across both halves

    one_pass = ["--flips", "1", "--upscale", "0"]
    result = CliRunner().invoke(app, ["model", "eval", "--images", str(photos), "--mask-class", "crack",
                                      "--out", str(tmp_path / "crack.json"), *one_pass])
    assert result.exit_code == 0, result.output
    row = json.loads((tmp_path / "crack.json").read_text())["per_image"]["photos"][0]
    assert row["n_gt"] == labelled_bottom  # before: labelled_top + labelled_bottom

    out = tmp_path / "segmented"
    assert CliRunner().invoke(app, ["segment", str(photos / "tile.png"), "--out", str(out), *one_pass]).exit_code == 0
    segmented = cv2.imread(str(out / "tile_mask.png"), cv2.IMREAD_GRAYSCALE)
    assert row["n_pred"] == int((segmented == 1).sum())  # what segment found, no more
    result = CliRunner().invoke(app, ["model", "eval", "--images", str(photos), "--masks", str(out),
                                      "--mask-class", "ids", "--out", str(tmp_path / "ids.json"), *one_pass])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "ids.json").read_text())["summary"]
    assert summary["photos:crack"]["iou"] == 1.0  # before: below 1, the model's cracks in the transparent half


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_no_data_lines_up_with_a_mask_drawn_on_the_stored_pixels(tmp_path: Path, orientation: int) -> None:
    """A mask drawn on the stored pixels of a quarter-turned photo: turned as the photo is shown, the no
    data with the photo (test_labelled_orientation.py)."""
    from PIL import Image

    rgba = np.full((40, 60, 4), 255, np.uint8)
    rgba[:10, :15] = 0  # the stored top-left corner transparent and black
    path = tmp_path / "turned.png"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(rgba).save(path, exif=exif.tobytes())
    mask = np.full((40, 60), 255, np.uint8)  # drawn on the stored pixels: all crack
    assert cv2.imwrite(str(tmp_path / "m.png"), mask)
    image, truth = read_labelled(LabelledExample("turned", path, tmp_path / "m.png"), "crack")
    assert image.shape == (60, 40, 3) and truth.shape == (60, 40)
    assert np.array_equal(truth == NO_DATA, image.max(axis=2) == 0)  # exactly the black corner, as shown
    assert (truth == NO_DATA).sum() == 150 and (truth == 1).sum() == 60 * 40 - 150
