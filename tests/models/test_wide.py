"""Open cracks wider than the model knows, found in a reduced pass (models/wide.py)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from models import load_segmenter
from models.onnx_runtime import OnnxSegmenter
from models.wide import add_wide_cracks, wide_crack_mask
from skyinspect.errors import ModelError
from skyinspect.segmentation import CORROSION, CRACK

DATA = Path(__file__).with_name("data")


def test_only_wide_crack_components_are_kept_at_the_frame_scale() -> None:
    small = np.zeros((100, 150), np.uint8)
    cv2.line(small, (10, 10), (10, 90), CRACK, 18)  # ~24 px at half scale (area / skeleton): ~48 in the frame
    cv2.line(small, (60, 10), (60, 90), CRACK, 6)  # 12 px in the frame: the full-scale passes' job
    cv2.circle(small, (120, 50), 3, CRACK, -1)  # a speck
    small[80:95, 100:140] = CORROSION
    wide = wide_crack_mask(small, 0.5, 200, 300)
    assert wide.shape == (200, 300) and wide.dtype == bool
    assert wide[100, 20] and not wide[100, 120] and not wide[100, 240] and not wide[175, 240]
    assert not wide_crack_mask(small, 0.5, 200, 300, min_width_px=60).any()
    with pytest.raises(ValueError, match="reduction factor"):
        wide_crack_mask(small, 1.5, 200, 300)


def test_added_cracks_take_background_only_and_their_own_confidence() -> None:
    class_map = np.zeros((50, 60), np.uint8)
    class_map[10:20, 10:20] = CORROSION
    confidence = np.full((50, 60), 0.9, np.float32)
    wide = np.zeros((50, 60), bool)
    wide[5:40, 15:25] = True
    out, box = add_wide_cracks(class_map, confidence, wide, np.full((50, 60), 0.4, np.float32))
    assert (out[10:20, 15:20] == CORROSION).all() and (out[20:40, 15:25] == CRACK).all()
    assert (class_map[20:40, 15:25] == 0).all()  # the input is left alone
    assert confidence[30, 20] == pytest.approx(0.4) and confidence[15, 17] == pytest.approx(0.9)
    assert box == (slice(5, 40), slice(15, 25))
    same, none = add_wide_cracks(out, confidence, np.zeros((50, 60), bool), confidence)
    assert same is out and none is None


class _NarrowCrackModel(OnnxSegmenter):
    """A model that, like the shipped one, only knows cracks narrower than its window: crack where
    a pixel is darker than its 61-px neighbourhood, so the inside of a 100-px band reads background."""

    def _infer(self, tiles_nchw: np.ndarray) -> np.ndarray:
        out = []
        for tile in tiles_nchw:
            grey = tile.mean(axis=0)
            crack = np.clip((cv2.blur(grey, (61, 61)) - grey) * 8.0, 0.0, 1.0)
            out.append(np.stack([1.0 - crack, crack, np.zeros_like(crack)]))
        return np.stack(out).astype(np.float32)


def test_a_band_too_wide_for_the_model_is_found_in_the_reduced_pass() -> None:
    img = np.full((640, 480, 3), 160, np.uint8)
    img[:, 200:300] = 60  # an open crack 100 px wide (and 6.4 times as long: a crack, not a blob)
    seg = _NarrowCrackModel(DATA / "identity_with_metadata.onnx", crack_refine=None)
    full = seg.segment(img).class_map == CRACK
    seg.wide_crack_scale = 0.5
    both = seg.segment(img)
    inside = (slice(None), slice(235, 265))
    assert not full[inside].any() and (both.class_map[inside] == CRACK).all()
    assert not (both.class_map[:, :150] == CRACK).any()  # nothing added off the band
    assert any(i.class_id == CRACK for i in both.instances)


def test_the_setting_is_post_flight_only_and_checked() -> None:
    assert load_segmenter().wide_crack_scale is None  # one pass (onboard): none
    assert load_segmenter(flips=4).wide_crack_scale == 0.5
    assert load_segmenter(flips=4, wide_crack_scale=0).wide_crack_scale is None
    with pytest.raises(ModelError, match="wide_crack_scale"):
        load_segmenter(flips=4, wide_crack_scale=2.0)
