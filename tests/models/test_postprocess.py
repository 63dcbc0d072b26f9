"""Class map -> instances on synthetic drawings."""

from __future__ import annotations

import math

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.postprocess import crack_elongation, crack_skeleton, extract_instances, polyline_length, zhang_suen_thin
from skyinspect.segmentation import CORROSION, CRACK


def _line_map() -> tuple[np.ndarray, float]:
    cm = np.zeros((600, 800), np.uint8)
    p0, p1 = (60, 80), (700, 460)
    cv2.line(cm, p0, p1, CRACK, thickness=3)
    return cm, math.dist(p0, p1)


def test_line_is_one_crack_with_skeleton_length() -> None:
    cm, length = _line_map()
    inst = extract_instances(cm)
    assert len(inst) == 1 and inst[0].class_id == CRACK
    skel = inst[0].skeleton_px
    assert skel is not None and skel.shape[1] == 2
    assert abs(polyline_length(skel) - length) < 0.03 * length
    x0, y0, x1, y1 = inst[0].bbox_px
    assert x0 <= 61 and y0 <= 81 and x1 >= 699 and y1 >= 459  # full-frame coordinates, not crop ones


def test_disc_is_corrosion_with_area() -> None:
    cm = np.zeros((400, 500), np.uint8)
    cv2.circle(cm, (300, 200), 60, CORROSION, thickness=-1)
    conf = np.full(cm.shape, 0.8, np.float32)
    inst = extract_instances(cm, conf)
    assert len(inst) == 1 and inst[0].class_id == CORROSION and inst[0].skeleton_px is None
    assert abs(inst[0].area_px - math.pi * 60**2) < 0.03 * math.pi * 60**2
    assert abs(cv2.contourArea(inst[0].polygon_px.astype(np.float32)) - math.pi * 60**2) < 0.05 * math.pi * 60**2
    assert abs(inst[0].score - 0.8) < 1e-6


def test_tiny_components_dropped() -> None:
    cm = np.zeros((200, 200), np.uint8)
    cm[10:12, 10:12] = CRACK
    cm[100:104, 100:104] = CORROSION
    assert extract_instances(cm) == []
    assert len(extract_instances(cm, min_area={CRACK: 1, CORROSION: 1}, crack_min_elongation=0.0)) == 2


def test_fallback_thinning_matches_length() -> None:
    cm, length = _line_map()
    path = crack_skeleton((cm == CRACK).astype(np.uint8), thin=zhang_suen_thin)
    assert abs(polyline_length(path) - length) < 0.03 * length


def test_blobs_and_rings_are_not_cracks() -> None:
    """Tie holes and bolt shadows segmented as "crack" are round: dropped; a 6:1 stroke is kept."""
    cm = np.zeros((400, 600), np.uint8)
    cv2.circle(cm, (80, 80), 12, CRACK, thickness=-1)  # disc: length/width ~0.3
    cv2.circle(cm, (250, 100), 40, CRACK, thickness=3)  # closed ring: ~pi
    cv2.line(cm, (100, 300), (160, 300), CRACK, thickness=9)  # short wide stroke, 60 x 9 px
    inst = extract_instances(cm)
    assert len(inst) == 1
    x0, y0, x1, y1 = inst[0].bbox_px
    assert 90 <= x0 <= 100 and x1 >= 160 and y0 >= 290
    assert len(extract_instances(cm, crack_min_elongation=0.0)) == 3


def test_elongation_is_length_over_width() -> None:
    crop = np.zeros((40, 220), np.uint8)
    crop[15:20, 10:210] = 1  # 200 x 5 px
    ratio = crack_elongation(crop, crack_skeleton(crop))
    assert 30 < ratio < 42  # skeleton loses ~width at the ends: ~196**2 / 1000


def test_crack_rim_of_a_rust_patch_joins_the_corrosion() -> None:
    from models.postprocess import absorb_crack_fringes

    cm = np.zeros((200, 300), np.uint8)
    cv2.circle(cm, (100, 100), 40, CORROSION, -1)
    cv2.ellipse(cm, (100, 100), (43, 43), 0, 200, 320, CRACK, 2)  # the dark rim, 2 px off the patch
    # a crack running away from the patch (rust jacking): only its first few px are near it
    cv2.line(cm, (141, 100), (290, 110), CRACK, 2)
    # a crack next to a corrosion speck smaller than itself: the speck does not swallow it
    cv2.line(cm, (20, 180), (120, 180), CRACK, 2)
    cv2.rectangle(cm, (60, 184), (64, 187), CORROSION, -1)
    before = cm.copy()
    out = absorb_crack_fringes(cm)
    assert np.array_equal(cm, before)  # the input is left alone
    n, labels = cv2.connectedComponents((before == CRACK).astype(np.uint8), connectivity=8)
    assert n == 4
    rim, jacking, beside = (labels == labels[57, 100]), (labels == labels[105, 215]), (labels == labels[180, 70])
    assert rim.any() and (out[rim] == CORROSION).all()
    assert (out[jacking] == CRACK).all() and (out[beside] == CRACK).all()
    only_crack = np.zeros_like(cm)
    cv2.line(only_crack, (10, 10), (200, 20), CRACK, 2)
    assert absorb_crack_fringes(only_crack) is only_crack


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 2**32 - 1), st.floats(0.2, 0.9), st.booleans())
def test_filled_area_equals_scipy_fill_holes(h: int, w: int, seed: int, density: float, blobby: bool) -> None:
    from scipy.ndimage import binary_fill_holes

    from models.postprocess import filled_area

    mask = np.random.default_rng(seed).random((h, w)) < density
    if blobby:  # rings and holes of several pixels, as a crack's outline traced around a gap has
        mask = cv2.dilate(mask.astype(np.uint8), np.ones((2, 2), np.uint8)) > 0
    assert filled_area(mask) == int(binary_fill_holes(mask).sum())
