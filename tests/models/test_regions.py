"""Decisions inside the defect regions only (models/regions.py) give exactly the whole-frame result."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.postprocess import class_box, extract_instances
from models.refine import extend_along_ridges, refine_cracks
from models.regions import block_any, defect_regions
from models.decide import class_map_from_probs
from skyinspect.segmentation import CORROSION, CRACK


def _scene(seed: int, h: int, w: int) -> np.ndarray:
    """(3, H, W) float32 probabilities: background nearly everywhere, a few cracks (strokes with
    faint stretches) and rust blobs, and a low-level smooth noise, as a model's output looks."""
    rng = np.random.default_rng(seed)
    logits = np.zeros((3, h, w), np.float32)
    logits[0] = 4.0
    for _ in range(int(rng.integers(0, 5))):
        layer = np.zeros((h, w), np.float32)
        p0, p1 = rng.integers(0, [w, h], 2), rng.integers(0, [w, h], 2)
        cv2.line(layer, tuple(int(v) for v in p0), tuple(int(v) for v in p1), float(rng.uniform(2, 7)),
                 int(rng.integers(1, 6)))
        logits[CRACK] += cv2.GaussianBlur(layer, (0, 0), 1.5)
    for _ in range(int(rng.integers(0, 3))):
        layer = np.zeros((h, w), np.float32)
        centre = tuple(int(v) for v in rng.integers(0, [w, h], 2))
        cv2.circle(layer, centre, int(rng.integers(3, 40)), float(rng.uniform(3, 8)), -1)
        logits[CORROSION] += cv2.GaussianBlur(layer, (0, 0), 3)
    logits += cv2.GaussianBlur(rng.normal(0, 1.5, (h, w, 3)).astype(np.float32), (0, 0), 4).transpose(2, 0, 1)
    e = np.exp(logits - logits.max(axis=0))
    return (e / e.sum(axis=0)).astype(np.float32)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), h=st.integers(1, 200), w=st.integers(1, 260),
       crack_threshold=st.sampled_from([None, 0.3, 0.45]), corrosion_threshold=st.sampled_from([None, 0.8]),
       ridge=st.sampled_from([0.2, 0.3, 0.45]), block=st.sampled_from([8, 32]))
def test_region_decisions_equal_the_whole_frame(seed: int, h: int, w: int, crack_threshold: float | None,
                                                 corrosion_threshold: float | None, ridge: float, block: int) -> None:
    probs = _scene(seed, h, w)
    floor = min(v for v in (0.5, crack_threshold, ridge) if v is not None)
    regions = defect_regions(probs, floor, block)
    want, want_conf = class_map_from_probs(probs, crack_threshold, corrosion_threshold)
    got, got_conf = class_map_from_probs(probs, crack_threshold, corrosion_threshold, regions)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_conf, want_conf)
    got = extend_along_ridges(got, probs[CRACK], ridge, CORROSION, regions)
    want = extend_along_ridges(want, probs[CRACK], ridge, CORROSION)
    np.testing.assert_array_equal(got, want)
    # the steps after the decisions look for each class inside the regions only
    image = _image_of(probs, seed)
    got, want = refine_cracks(got, image, 15, 0.5, regions=regions), refine_cracks(want, image, 15, 0.5)
    np.testing.assert_array_equal(got, want)
    for cls in (CRACK, CORROSION):
        assert class_box(got, cls, regions) == class_box(want, cls)
    assert _as_tuples(extract_instances(got, got_conf, regions=regions)) == _as_tuples(extract_instances(want, want_conf))


def _image_of(probs: np.ndarray, seed: int) -> np.ndarray:
    """A grey frame where the defects are darker, with texture, so the crack refinement has work."""
    rng = np.random.default_rng(seed + 1)
    grey = 180 - 120 * probs[1:].sum(axis=0) + rng.normal(0, 12, probs.shape[1:])
    return np.clip(grey, 0, 255).astype(np.uint8)


def _as_tuples(instances: list) -> list:
    return [(i.class_id, i.score, i.area_px, i.polygon_px.tolist(),
             None if i.skeleton_px is None else i.skeleton_px.tolist()) for i in instances]


def test_regions_cover_the_candidates_and_are_disjoint() -> None:
    probs = _scene(7, 300, 400)
    regions = defect_regions(probs, 0.3, 32)
    covered = np.zeros(probs.shape[1:], np.int32)
    for rows, cols in regions:
        covered[rows, cols] += 1
    assert covered.max() == 1  # no pixel in two rectangles
    assert covered[probs[1:].max(axis=0) >= 0.3].all()  # every pixel a defect could take is in one
    assert covered.mean() < 0.9  # and most of the frame is left out


def test_an_l_shaped_group_takes_in_the_block_its_box_overlaps() -> None:
    probs = np.zeros((2, 128, 160), np.float32)
    probs[0] = 1.0
    background = probs[0]
    for by, bx in [(0, 0), (1, 0), (2, 0), (2, 1), (2, 2)]:  # an L of five 32-px blocks
        background[by * 32 + 10, bx * 32 + 5] = 0.2
    background[5, 2 * 32 + 20] = 0.2  # a block inside the L's box, touching none of its blocks
    background[40, 4 * 32 + 1] = 0.2  # a lone block beyond it
    probs[1] = 1.0 - background
    regions = defect_regions(probs, 0.5, 32)
    assert sorted((r.start, r.stop, c.start, c.stop) for r, c in regions) == [(0, 96, 0, 96), (32, 64, 128, 160)]
    assert defect_regions(np.stack([np.ones((10, 10)), np.zeros((10, 10))]), 0.3) == []
    with pytest.raises(ValueError, match="class probabilities"):
        defect_regions(np.ones((10, 10), np.float32), 0.3)


def test_block_any_marks_blocks_cut_by_the_edge() -> None:
    mask = np.zeros((70, 50), np.uint8)
    mask[69, 49] = 255
    grid = block_any(mask, 32)
    assert grid.shape == (3, 2) and grid[2, 1] and grid.sum() == 255


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), h=st.integers(1, 200), w=st.integers(1, 260),
       floor=st.sampled_from([0.3, 0.45, 0.5]))
def test_regions_read_from_the_sharpened_blocks_equal_the_whole_frame(seed: int, h: int, w: int, floor: float) -> None:
    """For probabilities that sum to one, no candidate lies outside the blocks the sharpening
    touched, so reading only there (the onboard pass's path) gives the same rectangles."""
    from models.sharpen import BLOCK_PX, sharpen_probs, touched_blocks

    probs = _scene(seed, h, w)
    image = _image_of(probs, seed)
    touched = touched_blocks(probs, 2)
    sharpened = sharpen_probs(probs.copy(), image, 2, 1e-3, blocks=touched)
    assert defect_regions(sharpened, floor, BLOCK_PX, within=touched) == defect_regions(sharpened, floor, BLOCK_PX)


def test_a_within_grid_of_the_wrong_size_is_refused() -> None:
    probs = _scene(3, 100, 130)
    with pytest.raises(ValueError, match="within"):
        defect_regions(probs, 0.3, 32, within=np.ones((3, 4), np.uint8))
