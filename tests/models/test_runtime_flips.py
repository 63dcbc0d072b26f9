"""Test-time flips: each flipped pass is flipped back onto the frame before the average."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import FLIP_CHOICES, load_segmenter
from models.runtime import OnnxSegmenter
from skyinspect.errors import ModelError

IDENTITY = Path(__file__).with_name("data") / "identity_with_metadata.onnx"


@pytest.mark.parametrize("whole_frame_max_px", [1_600_000, 0])  # one pass, and 384-px tiles
@pytest.mark.parametrize("flips", FLIP_CHOICES)
def test_flipped_passes_land_back_on_their_pixels(flips: int, whole_frame_max_px: int) -> None:
    """Identity graph (probs == RGB/255): any misaligned flip-back would smear the random image."""
    seg = OnnxSegmenter(IDENTITY, flips=flips, whole_frame_max_px=whole_frame_max_px)
    img = np.random.default_rng(flips).integers(0, 256, (517, 733, 3), dtype=np.uint8)
    probs = seg.predict_probs(img)
    expected = img[..., ::-1].transpose(2, 0, 1).astype(np.float32) / 255
    np.testing.assert_allclose(probs, expected, atol=1e-5)
    assert seg.last_timing.inference_s > 0


class _LeftHanded(OnnxSegmenter):
    """A model that is not mirror-symmetric: background probability rises from left to right."""

    def _infer(self, tiles_nchw: np.ndarray) -> np.ndarray:
        n, _, h, w = tiles_nchw.shape
        ramp = np.broadcast_to(np.linspace(0.0, 1.0, w, dtype=np.float32), (n, h, w))
        return np.stack([ramp, 1.0 - ramp, np.zeros_like(ramp)], axis=1)


def test_mirror_pass_is_averaged_with_the_plain_one() -> None:
    img = np.zeros((384, 640, 3), np.uint8)  # multiples of the stride: no padding
    plain = _LeftHanded(IDENTITY).predict_probs(img)
    assert plain[0, 0, 0] == pytest.approx(0.0) and plain[0, 0, -1] == pytest.approx(1.0)
    averaged = _LeftHanded(IDENTITY, flips=2).predict_probs(img)
    np.testing.assert_allclose(averaged[:2], 0.5, atol=1e-6)  # the ramp and its mirror image
    np.testing.assert_allclose(averaged.sum(axis=0), 1.0, atol=1e-6)


@pytest.mark.parametrize("flips", [0, 3, 8])
def test_unsupported_flips_are_refused(flips: int) -> None:
    with pytest.raises(ModelError, match="flips"):
        load_segmenter(flips=flips)
