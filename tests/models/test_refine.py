"""Crack masks drawn back onto the image's dark pixels (models/refine.py) on synthetic frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.postprocess import extract_instances, polyline_length
from models.refine import extend_along_ridges, refine_cracks
from skyinspect.segmentation import CORROSION, CRACK


def _concrete(h: int = 300, w: int = 400, seed: int = 0) -> np.ndarray:
    """Grey textured concrete (BGR uint8)."""
    rng = np.random.default_rng(seed)
    grey = cv2.GaussianBlur(rng.normal(150, 12, (h, w)).astype(np.float32), (0, 0), 1.2)
    return cv2.cvtColor(np.clip(grey, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def _hairline_scene(depth: tuple[int, int] = (70, 70)) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image with a 2-px dark crack, its true mask, a 9-px-wide predicted band around it, like the
    model's stride-8 logits upsampled). ``depth`` = darkness of the left and right halves."""
    img = _concrete()
    truth = np.zeros(img.shape[:2], np.uint8)
    cv2.line(truth, (40, 150), (360, 150), 1, thickness=2)
    dark = np.where(np.arange(img.shape[1]) < 200, depth[0], depth[1]).astype(np.int16)
    img = np.clip(img.astype(np.int16) - (truth.astype(np.int16) * dark)[:, :, None], 0, 255).astype(np.uint8)
    band = np.zeros_like(truth)
    cv2.line(band, (40, 150), (360, 150), CRACK, thickness=9)
    return img, truth.astype(bool), band


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def test_band_is_drawn_back_onto_the_dark_line() -> None:
    img, truth, band = _hairline_scene()
    refined = refine_cracks(band, img)
    assert _iou(refined == CRACK, truth) > 0.8 > 0.4 > _iou(band == CRACK, truth)
    assert (refined == CRACK)[truth].mean() > 0.95  # the crack itself is kept


def test_faint_end_keeps_its_length_through_the_centreline() -> None:
    """A crack fainter on one half than its component's strong part: the band's centreline stays,
    so the crack stays one instance of full length; without it the faint half would go."""
    img, _, band = _hairline_scene(depth=(60, 8))
    length = polyline_length(extract_instances(band)[0].skeleton_px)
    kept = extract_instances(refine_cracks(band, img))
    assert len(kept) == 1 and polyline_length(kept[0].skeleton_px) > 0.95 * length
    without = refine_cracks(band, img, keep_centreline=False)
    assert (without[:, 210:360] == CRACK).sum() < 0.2 * (band[:, 210:360] == CRACK).sum()


def test_a_crack_wider_than_the_window_keeps_its_inside() -> None:
    """A wide open crack seen close up (here 80 px, the window 61): the closing cannot fill it, so
    with one window its inside reads "not dark" and would go; it gets a window of its own."""
    img = _concrete(300, 400)
    truth = np.zeros(img.shape[:2], np.uint8)
    cv2.line(truth, (20, 150), (380, 170), 1, thickness=80)
    img[truth > 0] = (img[truth > 0] * 0.3).astype(np.uint8)
    band = np.zeros_like(truth)
    cv2.line(band, (20, 150), (380, 170), CRACK, thickness=86)  # the model's band, a little wide
    refined = refine_cracks(band, img)
    assert (refined == CRACK)[truth > 0].mean() > 0.97
    assert _iou(refined == CRACK, truth > 0) > _iou(band == CRACK, truth > 0)
    # and a hairline beside it is refined with the frame's window, as before
    img2, hair_truth, hair_band = _hairline_scene()
    assert _iou(refine_cracks(hair_band, img2) == CRACK, hair_truth) > 0.8


def test_only_crack_pixels_change_and_only_to_background() -> None:
    img, _, band = _hairline_scene()
    band[20:60, 20:80] = CORROSION
    refined = refine_cracks(band, img)
    changed = refined != band
    assert changed.any()
    assert (band[changed] == CRACK).all() and (refined[changed] == 0).all()
    assert (refined == CORROSION).sum() == (band == CORROSION).sum()


def test_nothing_to_refine_returns_the_same_map_untouched() -> None:
    img = _concrete()
    cm = np.zeros(img.shape[:2], np.uint8)
    cm[10:50, 10:50] = CORROSION
    assert refine_cracks(cm, img) is cm


def test_size_mismatch_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"class map \(10, 10\) and image \(12, 10\)"):
        refine_cracks(np.zeros((10, 10), np.uint8), np.zeros((12, 10, 3), np.uint8))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.floats(0.05, 1.0), kernel=st.integers(3, 81))
def test_refined_cracks_are_a_subset_and_every_component_survives(seed: int, share: float, kernel: int) -> None:
    rng = np.random.default_rng(seed)
    img = _concrete(160, 200, seed)
    cm = np.zeros((160, 200), np.uint8)
    for _ in range(3):
        p0, p1 = tuple(int(v) for v in rng.integers(0, 160, 2)), tuple(int(v) for v in rng.integers(0, 160, 2))
        cv2.line(cm, p0, p1, CRACK, thickness=int(rng.integers(1, 8)))
    refined = refine_cracks(cm, img, kernel, share)
    assert not ((refined == CRACK) & (cm != CRACK)).any()
    n_before, labels = cv2.connectedComponents((cm == CRACK).astype(np.uint8), connectivity=8)
    kept = np.unique(labels[refined == CRACK])
    assert set(range(1, n_before)) <= set(kept.tolist())  # no component vanishes


def _faint_end_probs(h: int = 120, w: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """(crack probability: a sure stretch x 20-150 and a faint one x 150-280, both a ~7-px ramp
    around row 60, plus a faint isolated streak at row 100; the argmax class map: only the sure
    stretch is crack)."""
    prob = np.zeros((h, w), np.float32)
    rows = np.exp(-0.5 * ((np.arange(h) - 60) / 2.5) ** 2)[:, None]
    prob[:, 20:150] = 0.8 * rows
    prob[:, 150:280] = 0.38 * rows  # seen by the model, but never above background
    prob[98:103, 40:200] = 0.35  # a faint streak touching no crack
    class_map = np.where(prob > 0.5, CRACK, 0).astype(np.uint8)
    return prob, class_map


def test_a_crack_continues_along_its_faint_ridge_as_a_line() -> None:
    prob, class_map = _faint_end_probs()
    out = extend_along_ridges(class_map, prob, 0.3)
    added = (out == CRACK) & (class_map != CRACK)
    cols = np.flatnonzero(added.any(axis=0))
    assert cols.min() <= 151 and cols.max() >= 275  # the faint stretch comes back, end to end
    assert added.sum() <= 1.2 * (cols.max() - cols.min() + 1)  # as a one-pixel line, not a band
    assert not added[90:110].any()  # a faint streak that touches no crack stays background
    assert np.array_equal(class_map, np.where(prob > 0.5, CRACK, 0))  # the input is left alone
    assert np.array_equal(extend_along_ridges(class_map, prob, 0.45), class_map)  # too faint for 0.45


def test_ridges_do_not_run_through_corrosion_or_start_without_a_crack() -> None:
    prob, class_map = _faint_end_probs()
    rust = class_map.copy()
    rust[40:80, 200:220] = CORROSION
    out = extend_along_ridges(rust, prob, 0.3, corrosion=CORROSION)
    added = (out == CRACK) & (rust != CRACK)
    assert not added[:, 200:220].any() and added[:, 150:199].any() and not added[:, 221:].any()
    empty = np.zeros_like(class_map)
    assert extend_along_ridges(empty, prob, 0.3) is empty
