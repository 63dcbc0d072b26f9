"""Where a frame's class decisions can differ from background: rectangles around the defect candidates.

Most of an inspection frame is background beyond doubt (on the demo flight the pixels some defect
class claims with >= 0.3 lie in 2-10 % of its 32-px blocks). The per-pixel decisions after the
model (argmax, the crack ridge's labelling) cost the same for every pixel of a frame-wide array,
3-6 ms of a 1280x960 frame and ten times that for a 12 MPx photo, when only the candidates' blocks
can change anything. :func:`defect_regions` finds those blocks once and groups them into
rectangles; the decision steps then work inside them only, and are exact, not approximate:

* a pixel outside every rectangle has no defect class that beats background or reaches
  ``min_defect_prob``: background wins its argmax and no threshold or ridge takes it;
* two rectangles hold groups of blocks that are not 8-adjacent, so pixels in different rectangles
  are at least a block apart: a connected set of candidate pixels (a ridge region) lies inside one.
"""

from __future__ import annotations

import cv2
import numpy as np

from models.postprocess import Region, compare_scalar, cv_plane

REGION_BLOCK_PX = 32


def block_any(mask: np.ndarray, block_px: int) -> np.ndarray:
    """(rows, cols) uint8 grid: non-zero where the ``block_px``-square block of the uint8 ``mask``
    holds any non-zero pixel (the last row/column of blocks may be cut by the frame's edge)."""
    h, w = mask.shape
    rows, cols = -(-h // block_px), -(-w // block_px)
    grid = mask
    if (rows * block_px, cols * block_px) != (h, w):
        grid = np.zeros((rows * block_px, cols * block_px), np.uint8)
        grid[:h, :w] = mask
    # two contiguous reductions: one over both strided axes costs ten times as much
    return grid.reshape(rows, block_px, cols * block_px).max(axis=1).reshape(rows, cols, block_px).max(axis=2)


def defect_regions(probs: np.ndarray, min_defect_prob: float, block_px: int = REGION_BLOCK_PX,
                   within: np.ndarray | None = None) -> list[Region]:
    """Disjoint rectangles (row slice, column slice) covering every pixel of the (C, H, W) class
    probabilities (class 0 background) where a defect class beats background or reaches
    ``min_defect_prob``: the lowest defect probability any later step acts on (a crack threshold,
    the crack ridge's floor). Scores that do not sum to one are covered too.
    ``within``: a (rows, cols) grid of ``block_px`` blocks outside which the caller vouches that no
    pixel is such a candidate; only the rectangles around its blocks are read (the sharpening's
    touched blocks, models.sharpen.touched_blocks, are such a grid for probabilities that sum to
    one: the frame-wide reads here cost ~1.5 ms of a 1280x960 frame, more when memory is busy)."""
    if probs.ndim != 3 or probs.shape[0] < 2:
        raise ValueError(f"expected (C, H, W) class probabilities with C >= 2, got shape {probs.shape}")
    if within is None:
        grid = block_any(_candidates(probs, min_defect_prob), block_px)
    else:
        want = (-(-probs.shape[1] // block_px), -(-probs.shape[2] // block_px))
        if within.shape != want:
            raise ValueError(f"within: expected a {want} grid of {block_px}-px blocks, got {within.shape}")
        grid = np.zeros_like(within, dtype=np.uint8)
        for x0, y0, x1, y1 in _group_boxes(within):  # block units; crops start on a block's corner
            rows, cols = slice(y0 * block_px, y1 * block_px), slice(x0 * block_px, x1 * block_px)
            grid[y0:y1, x0:x1] = block_any(_candidates(probs[:, rows, cols], min_defect_prob), block_px)
    h, w = probs.shape[1:]
    return [(slice(y0 * block_px, min(y1 * block_px, h)), slice(x0 * block_px, min(x1 * block_px, w)))
            for x0, y0, x1, y1 in _group_boxes(grid)]


def _candidates(probs: np.ndarray, min_defect_prob: float) -> np.ndarray:
    """uint8 mask, 255 where a defect class beats background or reaches ``min_defect_prob``."""
    planes = [cv_plane(p) for p in probs]
    defect = planes[1]
    for plane in planes[2:]:
        defect = cv2.max(defect, plane)
    return cv2.bitwise_or(compare_scalar(defect, float(min_defect_prob), cv2.CMP_GE),
                          cv2.compare(defect, planes[0], cv2.CMP_GT))  # two arrays: no scalar pitfall


def _group_boxes(grid: np.ndarray) -> list[list[int]]:
    """[x0, y0, x1, y1) boxes (grid units) of the 8-connected groups of a block grid's non-zero
    blocks, overlapping boxes merged."""
    if not grid.any():
        return []
    _, _, stats, _ = cv2.connectedComponentsWithStats(np.ascontiguousarray(grid, dtype=np.uint8), connectivity=8)
    return _merge_overlapping([[int(x), int(y), int(x + w), int(y + h)] for x, y, w, h, _ in stats[1:]])


def _merge_overlapping(boxes: list[list[int]]) -> list[list[int]]:
    """Boxes [x0, y0, x1, y1) with every overlapping pair replaced by its union, until none
    overlap (an L-shaped group's box can take in a neighbour's corner)."""
    merged = True
    while merged:
        merged = False
        out: list[list[int]] = []
        for box in boxes:
            for other in out:
                if box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]:
                    other[:] = [min(box[0], other[0]), min(box[1], other[1]),
                                max(box[2], other[2]), max(box[3], other[3])]
                    merged = True
                    break
            else:
                out.append(box)
        boxes = out
    return boxes
