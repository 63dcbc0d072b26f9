"""Test-time augmentation: flipped passes, and optionally a second set of passes on the frame
upscaled, averaged into one probability map at the frame's own resolution.

``flips`` (FLIP_CHOICES): the probabilities of each flipped pass are flipped back and averaged.
``upscale`` (e.g. 1.5, POST_FLIGHT_UPSCALE): the frame is also resized by that factor (bilinear),
segmented with ``upscale_flips`` flips, and its probabilities resized back (bilinear) and averaged
with the native ones, each scale weighing the same. Large frames get the same pixels tile by tile
(``TiledSegmenter._predict_upscaled``), so memory stays at the frame's own resolution. A hairline
1-2 px wide is 2-3 px wide upscaled, nearer the crack widths the model learned from; the native
pass keeps wide cracks and rust whole. Chosen on the validation splits by the rule fixed in
session 4 (models/MODEL_CARD.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np

# image axes flipped per pass: none, left-right, up-down, both
FLIP_AXES: tuple[tuple[int, ...], ...] = ((), (1,), (0,), (0, 1))


def flip_averaged(predict_once: Callable[[np.ndarray], np.ndarray], image_bgr: np.ndarray, flips: int,
                  timing: Callable[[], tuple[float, float, float]]) -> tuple[np.ndarray, tuple[float, float, float]]:
    """(C, H, W) probabilities averaged over ``flips`` flipped passes of ``predict_once`` and the
    summed (preprocess, inference, stitch) seconds that ``timing()`` reports after each pass."""
    pre = infer = stitch = 0.0
    acc: np.ndarray | None = None
    for axes in FLIP_AXES[:flips]:
        flipped = np.ascontiguousarray(np.flip(image_bgr, axes)) if axes else image_bgr
        probs = predict_once(flipped)
        t0 = time.perf_counter()
        back = np.flip(probs, tuple(a + 1 for a in axes)) if axes else probs  # (C, H, W): skip C
        if acc is None:
            # one pass: nothing to average into, so no copy (np.array(copy=False) refuses on NumPy 2)
            acc = np.array(back, dtype=np.float32, copy=True) if flips > 1 else np.asarray(back, dtype=np.float32)
        else:
            acc += back
        p, i, s = timing()
        pre, infer, stitch = pre + p, infer + i, stitch + s + time.perf_counter() - t0
    assert acc is not None
    if flips > 1:
        acc *= np.float32(1.0 / flips)
    return acc, (pre, infer, stitch)


def scaled_size(height: int, width: int, factor: float) -> tuple[int, int]:
    """(height, width) of a frame resized by ``factor`` (at least 1 px each way): the enlarged pass's
    and the reduced one's (models.wide)."""
    return max(1, round(height * factor)), max(1, round(width * factor))


def reduce_probs(probs: np.ndarray, height: int, width: int) -> np.ndarray:
    """(C, h, w) probabilities resized to (C, height, width), per class (bilinear); a new array."""
    out = np.empty((probs.shape[0], height, width), dtype=np.float32)
    for k in range(probs.shape[0]):
        cv2.resize(np.ascontiguousarray(probs[k], dtype=np.float32), (width, height), dst=out[k],
                   interpolation=cv2.INTER_LINEAR)
    return out
