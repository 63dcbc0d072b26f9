"""Class probabilities sharpened by the image they came from (a guided filter; numpy + OpenCV).

The network predicts at stride 8 and its probabilities are upsampled x8, so a class boundary is a
smooth ramp some 8 px wide wherever it really is. The guided filter (He, Sun and Tang, "Guided Image
Filtering", ECCV 2010 / TPAMI 2013) replaces each probability plane, within a small window, by the
best linear function of the frame's grey levels: where the image has an edge (a crack's dark line,
the rim of a rust patch) the probability ramp is pulled onto it; where the image is flat it stays
smooth. Nothing is invented that the probabilities and the image do not both say.

Only the blocks around pixels that some defect class claims with >= ``CANDIDATE_MIN_PROB`` are
filtered (a 1280x960 demo frame filtered whole costs 33-50 ms of one core, a fifth of the model's
time; its blocks ~3 ms): there the output is exactly the whole-frame filter's; elsewhere
background wins by far and the probabilities are left as they are.

**On for one pass** (onboard; ``models.ONE_PASS_PROB_SHARPEN``, set by ``models.load_segmenter``),
together with the crack continuation along the probability ridge (models.refine.extend_along_ridges)
that wins back the faint crack ends the filter thins away: measured in session 13 on the validation
splits by the model selection rule, sharpening alone 0.7036 -> 0.7095 (crack precision up, recall
down; on the demo flight false positives 5 -> 2, crack length 0.95 -> 0.85 of the truth), with the
ridge 0.7154 (precision and recall both up). Averaged passes (four flips + 1.5x, post-flight) are
sharp already: there it loses (0.7368 -> 0.7262) and stays off. Numbers in models/MODEL_CARD.md.
"""

from __future__ import annotations

import cv2
import numpy as np

from models import ONE_PASS_PROB_SHARPEN
from models.postprocess import compare_scalar
from models.regions import block_any
from skyinspect.segmentation import BACKGROUND

# a pixel is a candidate where the defect classes reach this probability (background 1 - it or
# less): 0.1, 0.2 and 0.3 give the same validation scores, 0.3 filters half the pixels of 0.1
CANDIDATE_MIN_PROB = 0.3
# ... give or take this much, so that outside the touched blocks every defect class stays below
# CANDIDATE_MIN_PROB even where float32 probabilities sum to a hair over one (touched_blocks)
CANDIDATE_SLACK = 1e-5
# the frame is filtered in BLOCK_PX-square blocks around the candidates
BLOCK_PX = 32


def _guided(guide: np.ndarray, planes: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """Guided filter of each (H, W) plane of ``planes`` by the grey ``guide`` (float32, 0-1)."""
    k = (2 * radius + 1, 2 * radius + 1)
    mean_i = cv2.boxFilter(guide, -1, k)
    denom = cv2.boxFilter(guide * guide, -1, k)
    denom -= mean_i * mean_i
    denom += np.float32(eps)  # the guide's local variance + eps
    out = np.empty_like(planes)
    for c, p in enumerate(planes):
        mean_p = cv2.boxFilter(p, -1, k)
        a = cv2.boxFilter(guide * p, -1, k)
        a -= mean_i * mean_p
        a /= denom
        b = mean_p
        b -= a * mean_i
        out[c] = cv2.boxFilter(a, -1, k) * guide
        out[c] += cv2.boxFilter(b, -1, k)
    return out


def _reflect101(index: np.ndarray, n: int) -> np.ndarray:
    """Indices past either end of 0..n-1 mirrored as OpenCV's default border does (BORDER_REFLECT_101)."""
    if n == 1:
        return np.zeros_like(index)
    period = 2 * (n - 1)
    index = np.abs(index) % period
    return np.where(index >= n, period - index, index)


def touched_blocks(probs: np.ndarray, radius: int = ONE_PASS_PROB_SHARPEN[0]) -> np.ndarray:
    """(rows, cols) uint8 grid of the BLOCK_PX blocks :func:`sharpen_probs` filters: those within
    two filter radii of a pixel whose defect classes reach CANDIDATE_MIN_PROB (background at most
    1 - CANDIDATE_MIN_PROB + CANDIDATE_SLACK). Everywhere else background is above that, so where the
    probabilities sum to one no defect class reaches CANDIDATE_MIN_PROB or beats background there,
    before or after the sharpening (models.regions.defect_regions' ``within``)."""
    candidates = compare_scalar(probs[BACKGROUND], 1.0 - CANDIDATE_MIN_PROB + CANDIDATE_SLACK, cv2.CMP_LE)
    reach = 2 * max(int(radius), 1)  # the output at a pixel depends on the input within 2 radii of it
    near = cv2.dilate(candidates, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1)))
    return block_any(near, BLOCK_PX)


def sharpen_probs(probs: np.ndarray, image_bgr: np.ndarray, radius: int = ONE_PASS_PROB_SHARPEN[0],
                  eps: float = ONE_PASS_PROB_SHARPEN[1], blocks: np.ndarray | None = None) -> np.ndarray:
    """(C, H, W) float32 class probabilities of ``image_bgr`` (uint8 BGR or grey, same H and W),
    guided filtered near the defect candidates and renormalised there, **in place** (the array is
    returned; pass a copy to keep the input). Channel 0 is background. Within the blocks around the
    candidates the result is exactly the whole-frame filter's; elsewhere the input. ``blocks``: the
    :func:`touched_blocks` of these probabilities, when the caller has them already."""
    if probs.ndim != 3 or probs.shape[1:] != image_bgr.shape[:2]:
        raise ValueError(f"probabilities {probs.shape} do not match image {image_bgr.shape[:2]}; "
                         "pass the frame the probabilities were predicted from")
    if probs.dtype != np.float32:
        raise ValueError(f"expected float32 probabilities, got {probs.dtype}")
    if radius < 1 or probs.shape[0] < 2:
        return probs
    h, w = probs.shape[1:]
    reach = 2 * radius  # the output at a pixel depends on the input within 2 radii of it
    bh, bw = min(BLOCK_PX, h), min(BLOCK_PX, w)  # a frame smaller than a block is one block
    by, bx = np.nonzero(touched_blocks(probs, radius) if blocks is None else blocks)
    if not len(by):
        return probs
    # every touched block with a margin of `reach` (mirrored at the frame's edges, as the whole-frame
    # filter's border is), laid side by side in one wide image: one filter call for all of them, and
    # each block's own pixels see only its margin, so they get what the whole-frame filter gives
    # (edge blocks are moved inside the frame; where two overlap they write the same values). Side
    # by side, not stacked: OpenCV's box filter costs 2.5x as much on 40-px rows as on long ones
    y0s, x0s = np.minimum(by * bh, h - bh), np.minimum(bx * bw, w - bw)
    n, th, tw = len(by), bh + 2 * reach, bw + 2 * reach
    tiles = np.empty((th, n * tw) + image_bgr.shape[2:], np.uint8)
    planes = np.empty((probs.shape[0] - 1, th, n * tw), np.float32)
    for k, (y0, x0) in enumerate(zip(y0s.tolist(), x0s.tolist())):
        band = slice(k * tw, (k + 1) * tw)  # the block's columns in the wide image
        if reach <= y0 and y0 + bh + reach <= h and reach <= x0 and x0 + bw + reach <= w:
            tiles[:, band] = image_bgr[y0 - reach:y0 + bh + reach, x0 - reach:x0 + bw + reach]
            planes[:, :, band] = probs[1:, y0 - reach:y0 + bh + reach, x0 - reach:x0 + bw + reach]
        else:  # at the frame's edge: mirrored indices (slicing is ~10x faster where it can be used)
            ys = _reflect101(np.arange(y0 - reach, y0 + bh + reach), h)[:, None]
            xs = _reflect101(np.arange(x0 - reach, x0 + bw + reach), w)[None, :]
            tiles[:, band] = image_bgr[ys, xs]
            planes[:, :, band] = probs[1:, ys, xs]
    gray = cv2.cvtColor(tiles, cv2.COLOR_BGR2GRAY) if tiles.ndim == 3 else tiles
    # the filter is linear and the planes sum to 1, so the filtered planes do too: filter the
    # defect classes and take background as the rest (a third less work with three classes)
    defects = _guided(gray.astype(np.float32) * np.float32(1.0 / 255.0), planes, radius, eps)
    filtered = np.empty((probs.shape[0], bh, n, bw), np.float32)  # (class, row, block, column)
    filtered[1:] = defects.reshape(-1, th, n, tw)[:, reach:reach + bh, :, reach:reach + bw]
    filtered[0] = 1.0 - filtered[1:].sum(axis=0)
    np.clip(filtered, 0.0, None, out=filtered)
    filtered /= np.maximum(filtered.sum(axis=0, keepdims=True), 1e-6)
    for k, (y0, x0) in enumerate(zip(y0s.tolist(), x0s.tolist())):
        probs[:, y0:y0 + bh, x0:x0 + bw] = filtered[:, :, k]
    return probs
