"""An instance's outline follows its pixels: a valid polygon around the pixels' squares (through the
midpoints between crack and background pixels), not the bounding box of a thin slanted crack, and not a
ring through the boundary pixels' centres half a pixel inside the mask.

Before: a 1-px-wide 45-degree crack of 160 px was outlined by its 159 x 159 px bounding box (25,281 px^2
drawn on the map for 160 px of crack); a 2-px-wide horizontal crack of 520 px by a ring of 259 px^2."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.ndimage import binary_fill_holes

from models.postprocess import extract_instances
from skyinspect.segmentation import CORROSION, CRACK

shapely = pytest.importorskip("shapely")


def _outline(class_map: np.ndarray, cls: int = CRACK, epsilon: float = 1.0, min_area: int | None = None) -> object:
    inst = [i for i in extract_instances(class_map, epsilon=epsilon, min_area=min_area and {cls: min_area})
            if i.class_id == cls]
    assert len(inst) == 1
    return shapely.Polygon(inst[0].polygon_px)


def _pixel_squares(mask: np.ndarray) -> object:
    ys, xs = np.nonzero(mask)
    return shapely.union_all(shapely.box(xs - 0.5, ys - 0.5, xs + 0.5, ys + 0.5))


@pytest.mark.parametrize("width_px", [1, 2, 3])
def test_a_slanted_thin_crack_is_outlined_along_its_pixels(width_px: int) -> None:
    cm = np.zeros((200, 200), np.uint8)
    for i in range(20, 180):
        cm[i, i:i + width_px] = CRACK
    outline = _outline(cm)
    pixels = int((cm == CRACK).sum())
    assert outline.is_valid
    # the crack's area, not its bounding box's (before: 25,281 px^2 for 160 px at 1 px wide)
    assert outline.area == pytest.approx(pixels, rel=0.1)
    # every crack pixel's centre inside, and nothing more than a pixel from the crack's squares
    ys, xs = np.nonzero(cm)
    assert shapely.contains_xy(outline, xs, ys).all()
    assert outline.difference(_pixel_squares(cm).buffer(1.0)).area < 1e-9


@pytest.mark.parametrize("width_px", [1, 2, 4])
def test_a_straight_crack_outline_holds_its_pixels_area(width_px: int) -> None:
    cm = np.zeros((100, 300), np.uint8)
    cm[50:50 + width_px, 20:280] = CRACK
    exact = _outline(cm, epsilon=0.0)
    # on the pixels' edges (corners cut by an eighth of a pixel): before 259 px^2 for 520 px at 2 px wide
    assert exact.is_valid and exact.area == pytest.approx(260 * width_px - 0.5)
    assert exact.bounds == pytest.approx((19.5, 49.5, 279.5, 49.5 + width_px))
    # simplified by at most a pixel: each edge may tilt by a corner cut's half pixel end to end (a quarter
    # pixel x the perimeter); the old ring held 259 px^2 for 520 px at 2 px wide, 777 for 1,040 at 4
    simple = _outline(cm)
    assert simple.is_valid and simple.area == pytest.approx(260 * width_px, abs=0.25 * 2 * (260 + width_px) + 1)


def test_a_rust_patch_outline_holds_its_pixels_area() -> None:
    cm = np.zeros((300, 300), np.uint8)
    cv2.circle(cm, (150, 150), 60, CORROSION, -1)
    outline = _outline(cm, CORROSION, epsilon=0.0)
    pixels = int((cm == CORROSION).sum())
    # the ring through the boundary pixels' centres held 11,120 px^2 for 11,289 px (1.5 % less)
    assert outline.is_valid and outline.area == pytest.approx(pixels, rel=0.001)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 30), st.integers(3, 30), st.integers(0, 2**32 - 1), st.floats(0.2, 0.8),
       st.sampled_from([0.0, 0.5, 1.0]))
def test_every_outline_is_a_valid_polygon_round_its_pixels(h: int, w: int, seed: int, density: float,
                                                          epsilon: float) -> None:
    mask = np.random.default_rng(seed).random((h, w)) < density
    cm = np.where(mask, CORROSION, 0).astype(np.uint8)
    # within the simplification of the pixels' squares (the outer outline: holes inside it), and the band
    # joining two pixels that meet at a corner (its edge a quarter pixel each way off that corner, 0.354 px)
    around = _pixel_squares(binary_fill_holes(mask)).buffer(epsilon + 0.36)
    for inst in extract_instances(cm, min_area={CORROSION: 1}, epsilon=epsilon, classes=(CORROSION,)):
        outline = shapely.Polygon(inst.polygon_px)
        assert outline.is_valid, shapely.is_valid_reason(outline)
        assert outline.area > 0 and outline.difference(around).area < 1e-9


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.integers(0, 2**32 - 1), st.floats(0.2, 0.9))
def test_the_unsimplified_outline_is_marching_squares(h: int, w: int, seed: int, density: float) -> None:
    """Against scikit-image's marching squares (level 0.5, the pixels 8-connected: fully_connected high)."""
    from skimage.measure import find_contours

    mask = np.random.default_rng(seed).random((h, w)) < density
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    for i in range(1, n):
        component = np.pad(labels == i, 1).astype(float)
        rings = [shapely.Polygon(r[:, ::-1] - 1) for r in find_contours(component, 0.5, fully_connected="high")
                 if len(r) >= 4]
        want = max(rings, key=lambda r: r.area)  # the outer ring: the holes' rings lie inside it
        got = _outline(np.where(labels == i, CORROSION, 0).astype(np.uint8), CORROSION, epsilon=0.0, min_area=1)
        assert got.is_valid and got.symmetric_difference(want).area < 1e-9
