"""`skyinspect model eval --images`: a binary mask resized with smoothing (an image editor's bicubic) is
refused, not scored as a photo without any crack."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from typer.testing import CliRunner

from models.labelled import LabelledExample, read_labelled
from skyinspect.cli.main import app


def _pair(tmp_path: Path, smoothed: bool) -> Path:
    folder = tmp_path / "labelled"
    folder.mkdir()
    cv2.imwrite(str(folder / "p.png"), np.full((400, 400, 3), 150, np.uint8))
    mask = np.zeros((400, 400), np.uint8)
    cv2.line(mask, (20, 30), (380, 350), 255, 1)  # a hairline crack, 1 px
    cv2.line(mask, (40, 380), (300, 60), 255, 1)
    picture = Image.fromarray(mask)
    # the labels exported at a quarter of the size, as an editor resizes (bicubic: the lines turn grey)
    picture.resize((100, 100), Image.BICUBIC if smoothed else Image.NEAREST).save(folder / "p_mask.png")
    return folder


def test_a_mask_resized_with_smoothing_is_refused_not_scored_as_empty(tmp_path: Path) -> None:
    """Found scoring 3 UAV75 val photos whose DSC00566 mask had been resized to 100x100 (Pillow's default,
    bicubic): exit 0, DSC00566 scored n_gt 0, 1,265 false-positive px and recall None, its 243 marked
    pixels (values 1-120 of 255) all read as background, and the set's crack IoU 0.35 -> 0.24."""
    folder = _pair(tmp_path, smoothed=True)
    mask = np.asarray(Image.open(folder / "p_mask.png"))
    assert 0 < mask.max() <= 127  # the premise: no pixel above half the range
    out = tmp_path / "eval.json"
    result = CliRunner().invoke(app, ["model", "eval", "--images", str(folder), "--out", str(out),
                                      "--flips", "1", "--upscale", "0"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "p_mask.png" in said and "none above half" in said and "nearest" in said
    assert not out.exists()


def test_the_same_mask_resized_nearest_is_scored(tmp_path: Path) -> None:
    folder = _pair(tmp_path, smoothed=False)
    _, truth = read_labelled(LabelledExample("p", folder / "p.png", folder / "p_mask.png"), "crack")
    assert truth.shape == (400, 400) and 0 < np.count_nonzero(truth == 1)
