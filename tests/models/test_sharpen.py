"""Class probabilities sharpened by the image (models/sharpen.py)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.decide import class_map_from_probs
from models.sharpen import _guided, sharpen_probs
from skyinspect.segmentation import CRACK


def _blurry_crack(h: int = 96, w: int = 160) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(image with a 2-px dark line, the model-like probabilities: a band ~8 px wide around it, the line)."""
    image = np.full((h, w, 3), 170, np.uint8)
    image += np.random.default_rng(1).integers(0, 6, image.shape, dtype=np.uint8)  # concrete texture
    line = np.zeros((h, w), np.uint8)
    cv2.line(line, (10, 20), (150, 70), 1, 2)
    image[line > 0] = 60
    band = cv2.GaussianBlur(line.astype(np.float32), (0, 0), 3.0)
    crack = np.clip(band / band.max(), 0, 1) * 0.9
    corrosion = np.full_like(crack, 0.02)
    probs = np.stack([1.0 - crack - corrosion, crack, corrosion]).astype(np.float32)
    return image, probs, line > 0


def _whole_frame(probs: np.ndarray, image: np.ndarray, radius: int, eps: float) -> np.ndarray:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    out = np.clip(_guided(gray, probs.copy(), radius, eps), 0, None)
    return out / np.maximum(out.sum(axis=0, keepdims=True), 1e-6)


def test_a_blurry_crack_band_is_pulled_onto_its_dark_line() -> None:
    image, probs, line = _blurry_crack()
    before = class_map_from_probs(probs)[0] == CRACK
    after = class_map_from_probs(sharpen_probs(probs.copy(), image))[0] == CRACK
    # a radius-2 window moves each edge of the ~6-px band by a pixel or two towards the line
    assert after.sum() < 0.9 * before.sum()  # narrower (981 -> 849 px)
    assert (after & line).sum() >= (before & line).sum()  # still on the whole line
    iou = lambda m: (m & line).sum() / (m | line).sum()  # noqa: E731
    assert iou(after) > iou(before) + 0.05  # 0.42 -> 0.49


def test_same_as_the_whole_frame_filter_where_it_matters_and_valid_probabilities() -> None:
    image, probs, _ = _blurry_crack()
    got = sharpen_probs(probs.copy(), image, 2, 1e-3)
    whole = _whole_frame(probs, image, 2, 1e-3)
    changed = np.any(got != probs, axis=0)
    assert changed.any() and np.allclose(got[:, changed], whole[:, changed], atol=2e-5)
    assert np.array_equal(class_map_from_probs(got)[0], class_map_from_probs(whole)[0])
    assert got.min() >= 0 and np.allclose(got.sum(axis=0), 1.0, atol=1e-5)


def test_in_place_and_no_work_without_candidates() -> None:
    image, probs, _ = _blurry_crack()
    assert sharpen_probs(probs, image) is probs
    plain = np.zeros((3, 40, 50), np.float32)
    plain[0] = 0.97
    plain[1:] = 0.015
    before = plain.copy()
    assert np.array_equal(sharpen_probs(plain, np.full((40, 50, 3), 128, np.uint8)), before)


def test_bad_input_is_refused() -> None:
    image, probs, _ = _blurry_crack()
    with pytest.raises(ValueError, match="do not match"):
        sharpen_probs(probs, image[:50])
    with pytest.raises(ValueError, match="float32"):
        sharpen_probs(probs.astype(np.float64), image)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 3))
def test_random_probabilities_stay_valid(seed: int, radius: int) -> None:
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, (3, 37, 53)).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(axis=0, keepdims=True)
    image = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    got = sharpen_probs(probs.astype(np.float32), image, radius, 1e-3)
    assert np.isfinite(got).all() and got.min() >= 0 and np.allclose(got.sum(axis=0), 1.0, atol=1e-4)


def test_the_runtime_sharpens_one_pass_only() -> None:
    from models import ONE_PASS_PROB_SHARPEN, load_segmenter
    from models.refine import extend_along_ridges, refine_cracks
    from skyinspect.errors import ModelError

    assert load_segmenter(flips=4).prob_sharpen is None  # averaged passes are sharp already
    assert load_segmenter(upscale=1.5).prob_sharpen is None
    assert load_segmenter(prob_sharpen=None).prob_sharpen is None
    with pytest.raises(ModelError, match="prob_sharpen"):
        load_segmenter(prob_sharpen=(0, 1e-3))
    seg = load_segmenter()  # one pass, as onboard
    assert seg.prob_sharpen == ONE_PASS_PROB_SHARPEN
    image, _, _ = _blurry_crack(192, 256)
    probs = seg.predict_probs(image)
    sharp = sharpen_probs(probs.copy(), image, *ONE_PASS_PROB_SHARPEN)
    want = class_map_from_probs(sharp, seg.crack_threshold, seg.corrosion_threshold)[0]
    want = refine_cracks(extend_along_ridges(want, sharp[CRACK], seg.crack_ridge_low, 2), image)
    assert np.array_equal(seg.segment(image).class_map, want)
