"""The model evaluation's scoring and reading (models/evaluate.py), on small synthetic examples."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from models.evaluate import SET_ZOOM, SETS, pixel_counts, read_example, scores
from skyinspect.errors import InputError


def test_counts_and_scores_with_the_two_pixel_tolerance() -> None:
    gt = np.zeros((20, 20), bool)
    gt[10, 2:18] = True  # a 16-px crack
    pred = np.zeros_like(gt)
    pred[11, 2:18] = True  # drawn one pixel off: no pixel overlaps, every pixel within tolerance
    pred[0, 0] = True  # and one false pixel far away
    c = pixel_counts(pred, gt, tolerance=2.0)
    assert (c["tp"], c["fp"], c["fn"], c["n_pred"], c["n_gt"]) == (0, 17, 16, 17, 16)
    assert (c["pred_near_gt"], c["gt_near_pred"]) == (16, 16)
    s = scores(c)
    assert s["iou"] == 0.0 and s["tol_precision"] == pytest.approx(16 / 17) and s["tol_recall"] == 1.0
    assert scores(pixel_counts(np.zeros_like(gt), np.zeros_like(gt)))["iou"] is None  # nothing to score


def test_read_example_enlarges_image_and_mask_alike(tmp_path: Path) -> None:
    folder = tmp_path / "cracks/deepcrack"
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir(parents=True)
    img = np.full((60, 80, 3), 180, np.uint8)
    img[28:34, 10:70] = 40  # a 6-px dark crack
    mask = np.zeros((60, 80), np.uint8)
    mask[28:34, 10:70] = 255
    cv2.imwrite(str(folder / "images/s1.png"), img)
    cv2.imwrite(str(folder / "masks/s1.png"), mask)
    image, gt = read_example(tmp_path, "cracks/deepcrack", "s1")
    assert image.shape == (60, 80, 3) and gt.sum() == 6 * 60
    big, big_gt = read_example(tmp_path, "cracks/deepcrack", "s1", zoom=SET_ZOOM["deepcrack_val_wide"])
    assert big.shape == (120, 160, 3) and big_gt.shape == (120, 160)
    assert big_gt.any(axis=1).sum() == 12 and big[big_gt].mean() < 80  # twice as wide, still on the dark pixels
    assert SETS["deepcrack_val_wide"][:2] == SETS["deepcrack_val"][:2]  # the same held-out images
    with pytest.raises(InputError, match="s2"):
        read_example(tmp_path, "cracks/deepcrack", "s2")


def test_an_out_where_no_file_can_be_created_is_refused_before_anything_is_segmented(
        tmp_path: Path, segmented_shapes: list[tuple[int, ...]]) -> None:
    """Found with `skyinspect model eval --out` on a read-only mount: every set was segmented (with segment's
    passes, the shipped sets take the better part of an hour on 2 cores) before 'cannot write the results'.
    /proc/1 takes no files, as a read-only mount or another user's folder does."""
    from models.evaluate import evaluate
    segmented = segmented_shapes
    cv2.imwrite(str(tmp_path / "a.jpg"), np.full((40, 60, 3), 128, np.uint8))
    cv2.imwrite(str(tmp_path / "a_mask.png"), np.zeros((40, 60), np.uint8))
    quick = {"flips": 1, "upscale": None, "labelled": (tmp_path, tmp_path, "crack")}
    for out in (Path("/proc/1/eval.json"), Path("/proc/1/new/eval.json")):
        with pytest.raises(InputError, match=r"/proc/1(/new)?: no file can be created in (it|/proc/1) .*give --out a "
                                             r"file in a folder you can write"):
            evaluate(out=out, **quick)  # type: ignore[arg-type]
    assert segmented == []
    evaluate(out=tmp_path / "new" / "eval.json", **quick)  # type: ignore[arg-type]
    assert segmented == [(40, 60, 3)] and (tmp_path / "new" / "eval.json").is_file()
