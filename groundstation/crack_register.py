"""Laying one frame's crack skeleton on the skeletons already taken: point-to-line ICP on a raster.

Used by groundstation.crack_length (its module doc, step 2, says why and what was measured).
Translation only: over the few decimetres of one crack the frames' residual pose errors after the
align stage are shifts on the surface.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from scipy.spatial import cKDTree

DETERMINED = 0.15  # share of the pairs' normal spread a direction needs before the registration moves along it


def reference(laid: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, Any]:
    """What the next frame is laid on: the cells of the skeleton taken so far, off its ends (a
    frame's stretch beyond the others' pairs with their end, which would pull it back), each with
    the unit normal across the skeleton's principal direction within ``radius``; and a KD-tree."""
    c0, r0, w, h = cv2.boundingRect(laid.astype(np.uint8))  # work on the skeleton's box only
    r0, c0 = max(r0 - radius - 1, 0), max(c0 - radius - 1, 0)
    laid = laid[r0:r0 + h + 2 * radius + 2, c0:c0 + w + 2 * radius + 2]
    s = laid.astype(np.float32)
    # moments of the neighbours' offsets (kernels weighted by the offset): small numbers, float32
    dy, dx = np.mgrid[-radius:radius + 1, -radius:radius + 1].astype(np.float32)
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1)).astype(np.float32)

    def conv(kernel: np.ndarray) -> np.ndarray:
        return cv2.filter2D(s, cv2.CV_32F, kernel, borderType=cv2.BORDER_CONSTANT)

    n = np.maximum(conv(disk), 1e-6)
    mr, mc = conv(disk * dy) / n, conv(disk * dx) / n
    crr = conv(disk * dy * dy) / n - mr * mr
    ccc = conv(disk * dx * dx) / n - mc * mc
    crc = conv(disk * dy * dx) / n - mr * mc
    theta = 0.5 * np.arctan2(2 * crc, ccc - crr)  # principal direction (cols, rows) = (cos, sin)
    neighbours = cv2.filter2D(laid.astype(np.uint8), -1, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT)
    ends = cv2.dilate((laid & (neighbours <= 2)).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    cells = np.argwhere(laid & ~ends)
    t = theta[cells[:, 0], cells[:, 1]]
    normals = np.stack([np.cos(t), -np.sin(t)], axis=1)  # (rows, cols) across the direction
    pts = (cells + (r0, c0)).astype(np.float64)
    return pts, normals, cKDTree(pts) if len(pts) else None


def register(skel: np.ndarray, ref: tuple[np.ndarray, np.ndarray, Any], reach: float,
             tol: float) -> tuple[tuple[int, int], int]:
    """The (rows, cols) shift that lays ``skel`` on the skeleton taken so far (``ref``, see
    reference): point-to-line ICP, translation only, pairing within ``reach`` cells halved down to
    twice ``tol``. Only the offset *across* the lines is determined where they are straight (a
    straight stretch does not slide a frame along itself); bends fix the rest. Also: how many cells
    of ``skel`` then lie within ``tol`` of the reference."""
    pts, normals, tree = ref
    if tree is None:
        return (0, 0), 0
    src = np.argwhere(skel).astype(np.float64)
    t = np.zeros(2)
    while True:
        for _ in range(12):
            d, idx = tree.query(src + t, distance_upper_bound=reach)
            ok = np.isfinite(d)
            if ok.sum() < 3:
                break
            n, diff = normals[idx[ok]], pts[idx[ok]] - (src[ok] + t)
            r = np.einsum("ij,ij->i", diff, n)
            # a pair whose partner lies off to the side along the line is a cell beyond the others' end
            beside = np.hypot(*(diff - r[:, None] * n).T) <= tol
            if beside.sum() < 3:
                break
            n, r = n[beside], r[beside]
            # only directions the normals pin down move: along a nearly straight stretch the pixel
            # noise of two thinnings would otherwise slide a frame along the line, cell by cell
            w, v = np.linalg.eigh(n.T @ n)
            b = v.T @ (n.T @ r)
            step = v @ np.where(w > DETERMINED * len(r), b / np.maximum(w, 1e-12), 0.0)
            t += step
            if float(np.hypot(*step)) < 0.1:
                break
        if reach <= 2 * tol:
            break
        reach = max(reach / 2, 2 * tol)
    d, _ = tree.query(src + t, distance_upper_bound=tol)
    return (int(round(t[0])), int(round(t[1]))), int(np.isfinite(d).sum())
