"""Class probabilities sharpened by the image they came from (a guided filter; numpy + OpenCV).

The network predicts at stride 8 and its probabilities are upsampled x8, so a class boundary is a
smooth ramp some 8 px wide wherever it really is. The guided filter (He, Sun and Tang, "Guided Image
Filtering", ECCV 2010 / TPAMI 2013) replaces each probability plane, within a small window, by the
best linear function of the frame's grey levels: where the image has an edge (a crack's dark line,
the rim of a rust patch) the probability ramp is pulled onto it; where the image is flat it stays
smooth. Nothing is invented that the probabilities and the image do not both say.

Only the blocks around pixels that some defect class claims with >= ``CANDIDATE_MIN_PROB`` are
filtered (a 1280x960 demo frame filtered whole costs 33-50 ms of one core, a fifth of the model's
time; its blocks ~11 ms): there the output is exactly the whole-frame filter's; elsewhere
background wins by far and the probabilities are left as they are.

**Not on in the runtime** (``TiledSegmenter.prob_sharpen`` is None): measured in session 13 on the
validation splits by the model selection rule, it helps one pass a little (0.7036 -> 0.7095: crack
precision up, recall down) and hurts the post-flight passes (four flips + 1.5x: 0.7368 -> 0.7262,
faint hairlines lost), and on the demo flight it cut false positives 5 -> 2 but crack length
0.95 -> 0.85 of the truth. ``python -m models.evaluate --sharpen`` measures it; numbers in
models/MODEL_CARD.md ("Tried in session 13").
"""

from __future__ import annotations

import cv2
import numpy as np

# (window radius px, regularisation eps on grey levels scaled to 0-1): the middle of a plateau on
# validation (radius 2 with eps 1e-4 to 3e-3 all within 0.001 of each other; radius 3 and more
# thickens hairlines, radius 1 does half as much)
DEFAULT_PROB_SHARPEN: tuple[int, float] = (2, 1e-3)
# a pixel is a candidate where a defect class reaches this probability (background below 1 - it)
CANDIDATE_MIN_PROB = 0.1
BACKGROUND = 0
# the frame is filtered in runs of BLOCK_PX-square blocks around the candidates
BLOCK_PX = 32


def _guided(guide: np.ndarray, planes: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Guided filter of each (H, W) plane of ``planes`` by the grey ``guide`` (float32, 0-1)."""
    k = (2 * radius + 1, 2 * radius + 1)
    mean_i = cv2.boxFilter(guide, -1, k)
    var_i = cv2.boxFilter(guide * guide, -1, k) - mean_i * mean_i
    out = np.empty_like(planes)
    for c, p in enumerate(planes):
        mean_p = cv2.boxFilter(p, -1, k)
        a = (cv2.boxFilter(guide * p, -1, k) - mean_i * mean_p) / (var_i + eps)
        b = mean_p - a * mean_i
        out[c] = cv2.boxFilter(a, -1, k) * guide + cv2.boxFilter(b, -1, k)
    return out


def _touched_runs(candidates: np.ndarray, block: int) -> list[tuple[int, int, int, int]]:
    """(y0, y1, x0, x1) pixel spans of the runs of consecutive ``block``-px blocks, in each block
    row, that hold a True pixel of ``candidates``."""
    h, w = candidates.shape
    rows, cols = -(-h // block), -(-w // block)
    padded = np.zeros((rows * block, cols * block), np.uint8)
    padded[:h, :w] = candidates
    touched = padded.reshape(rows, block, cols, block).max(axis=(1, 3))
    runs = []
    for r in np.flatnonzero(touched.any(axis=1)):
        on = np.flatnonzero(np.diff(np.concatenate(([0], touched[r] > 0, [0])).astype(np.int8)))
        for c0, c1 in zip(on[::2], on[1::2]):
            runs.append((r * block, min((r + 1) * block, h), c0 * block, min(c1 * block, w)))
    return runs


def sharpen_probs(probs: np.ndarray, image_bgr: np.ndarray, radius: int = DEFAULT_PROB_SHARPEN[0],
                  eps: float = DEFAULT_PROB_SHARPEN[1]) -> np.ndarray:
    """(C, H, W) float32 class probabilities of ``image_bgr`` (uint8 BGR or grey, same H and W),
    guided filtered near the defect candidates and renormalised there, **in place** (the array is
    returned; pass a copy to keep the input). Channel 0 is background. Within the blocks around the
    candidates the result is exactly the whole-frame filter's; elsewhere the input."""
    if probs.ndim != 3 or probs.shape[1:] != image_bgr.shape[:2]:
        raise ValueError(f"probabilities {probs.shape} do not match image {image_bgr.shape[:2]}; "
                         "pass the frame the probabilities were predicted from")
    if probs.dtype != np.float32:
        raise ValueError(f"expected float32 probabilities, got {probs.dtype}")
    if radius < 1 or probs.shape[0] < 2:
        return probs
    candidates = cv2.compare(probs[BACKGROUND], 1.0 - CANDIDATE_MIN_PROB, cv2.CMP_LE)
    h, w = candidates.shape
    # the output at a pixel depends on the input within 2 radii of it: each run of blocks is read
    # with that margin, so its pixels get what the whole-frame filter gives them
    reach = 2 * radius
    done = []
    near = cv2.dilate(candidates, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1)))
    for y0, y1, x0, x1 in _touched_runs(near, BLOCK_PX):
        ry0, ry1, rx0, rx1 = max(y0 - reach, 0), min(y1 + reach, h), max(x0 - reach, 0), min(x1 + reach, w)
        crop = image_bgr[ry0:ry1, rx0:rx1]
        gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
        # the filter is linear and the planes sum to 1, so the filtered planes do too: filter the
        # defect classes and take background as the rest (a third less work with three classes)
        defects = _guided(gray.astype(np.float32) * (1.0 / 255.0), probs[1:, ry0:ry1, rx0:rx1].copy(), radius, eps)
        filtered = np.empty((probs.shape[0], y1 - y0, x1 - x0), np.float32)
        filtered[1:] = defects[:, y0 - ry0:y1 - ry0, x0 - rx0:x1 - rx0]
        filtered[0] = 1.0 - filtered[1:].sum(axis=0)
        np.clip(filtered, 0.0, None, out=filtered)
        filtered /= np.maximum(filtered.sum(axis=0, keepdims=True), 1e-6)
        done.append((y0, y1, x0, x1, filtered))
    for y0, y1, x0, x1, filtered in done:  # written once every run has read the input it needs
        probs[:, y0:y1, x0:x1] = filtered
    return probs
