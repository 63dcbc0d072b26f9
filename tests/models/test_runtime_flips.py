"""Test-time flips: each flipped pass is flipped back onto the frame before the average."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models import FLIP_CHOICES, load_segmenter
from models.onnx_runtime import OnnxSegmenter
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


@pytest.mark.parametrize("whole_frame_max_px", [1_600_000, 0])
def test_upscaled_pass_lands_back_on_its_pixels(whole_frame_max_px: int) -> None:
    """Identity graph on a smooth image: the pass on the 1.5x frame, resized back, agrees with the
    native one, so their average is the image again (a shifted or transposed resize would not)."""
    import cv2

    rng = np.random.default_rng(5)
    img = cv2.GaussianBlur(rng.integers(0, 256, (301, 433, 3), dtype=np.uint8), (0, 0), 6)
    seg = OnnxSegmenter(IDENTITY, flips=2, upscale=1.5, upscale_flips=2, whole_frame_max_px=whole_frame_max_px)
    probs = seg.predict_probs(img)
    expected = img[..., ::-1].transpose(2, 0, 1).astype(np.float32) / 255
    assert probs.shape == expected.shape
    np.testing.assert_allclose(probs, expected, atol=0.01)
    t = seg.last_timing
    assert t.inference_s > 0 and t.preprocess_s > 0


def test_upscaled_pass_weighs_the_same_as_the_native_passes() -> None:
    """A model answering 'crack' only on inputs wider than 700 px: the 1.5x pass of a 640-px frame
    says crack, the native passes say background, the average is half and half."""

    class WideOnly(OnnxSegmenter):
        def _infer(self, tiles_nchw: np.ndarray) -> np.ndarray:
            n, _, h, w = tiles_nchw.shape
            crack = np.full((n, h, w), 1.0 if w > 700 else 0.0, dtype=np.float32)
            return np.stack([1.0 - crack, crack, np.zeros_like(crack)], axis=1)

    img = np.zeros((480, 640, 3), np.uint8)
    assert WideOnly(IDENTITY, flips=4).predict_probs(img)[1].max() == 0.0
    averaged = WideOnly(IDENTITY, flips=4, upscale=1.5, upscale_flips=1).predict_probs(img)
    np.testing.assert_allclose(averaged[1], 0.5, atol=1e-6)
    np.testing.assert_allclose(averaged.sum(axis=0), 1.0, atol=1e-6)


@pytest.mark.parametrize("upscale", [0.5, -2.0, float("nan"), float("inf")])
def test_upscale_must_enlarge(upscale: float) -> None:
    with pytest.raises(ModelError, match="upscale"):
        OnnxSegmenter(IDENTITY, upscale=upscale)


@pytest.mark.parametrize("upscale", [None, 0, 0.0, 1, 1.0])
def test_upscale_none_zero_or_one_means_no_enlarged_pass(upscale: float | None) -> None:
    assert OnnxSegmenter(IDENTITY, upscale=upscale).upscale is None


def test_upscale_beyond_the_models_stride_is_refused() -> None:
    """Found with `skyinspect segment --upscale 15` (1.5 mistyped) on a UAV75 photo: 25 s instead of 1.7 s,
    without a word, and the enlargement not the one asked for: a large frame's tiles of 384/15 px are
    floored at the model's 32-px stride, so any factor above 12 ran as 12."""
    assert OnnxSegmenter(IDENTITY, upscale=12).upscale == 12.0
    with pytest.raises(ModelError, match=r"upscale: expected a factor > 1 and at most 12 .*got 15\.0"):
        OnnxSegmenter(IDENTITY, upscale=15.0)
