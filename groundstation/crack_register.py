"""Laying one frame's crack skeleton on the skeletons already taken: point-to-line ICP on a raster.

Used by groundstation.crack_length (its module doc, step 2, says why and what was measured).
Translation only: over the few decimetres of one crack the frames' residual pose errors after the
align stage are shifts on the surface.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from skyinspect.skeleton import end_mask

DETERMINED = 0.15  # share of the pairs' normal spread a direction needs before the registration moves along it


def reference(laid: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, Any]:
    """What the next frame is laid on: the cells of the skeleton taken so far, off its ends (a
    frame's stretch beyond the others' pairs with their end, which would pull it back), each with
    the unit normal across the skeleton's principal direction within ``radius``; and a KD-tree.
    Computed on the cells only (a long crack's raster holds tens of millions of cells)."""
    cells = np.argwhere(laid).astype(np.float64)
    if len(cells) < 2:
        return cells, np.zeros_like(cells), None
    tree = cKDTree(cells)
    d, idx = tree.query(cells, k=min(len(cells), 4 * radius + 4), distance_upper_bound=radius + 0.5)
    ok = np.isfinite(d)
    diff = cells[np.minimum(idx, len(cells) - 1)] - cells[:, None, :]
    diff[~ok] = 0.0
    count = ok.sum(axis=1, keepdims=True)
    centred = (diff - diff.sum(axis=1, keepdims=True) / count[:, :, None]) * ok[..., None]
    crr = (centred[..., 0] ** 2).sum(axis=1)
    ccc = (centred[..., 1] ** 2).sum(axis=1)
    crc = (centred[..., 0] * centred[..., 1]).sum(axis=1)
    theta = 0.5 * np.arctan2(2 * crc, ccc - crr)  # principal direction (cols, rows) = (cos, sin)
    normals = np.stack([np.cos(theta), -np.sin(theta)], axis=1)  # (rows, cols) across the direction
    ends = cells[end_mask(cells, tree)]
    off_end = np.ones(len(cells), bool)
    if len(ends):
        near_end = tree.query_ball_point(ends, r=2.9)  # the 5 x 5 cells around each end
        off_end[np.unique(np.concatenate([np.asarray(n, dtype=int) for n in near_end]))] = False
    pts = cells[off_end]
    return pts, normals[off_end], cKDTree(pts) if len(pts) else None


def register(cells: np.ndarray, ref: tuple[np.ndarray, np.ndarray, Any], reach: float,
             tol: float) -> tuple[tuple[int, int], int]:
    """The (rows, cols) shift that lays a skeleton (its (row, col) ``cells`` in the raster) on the
    skeleton taken so far (``ref``, see
    reference): point-to-line ICP, translation only, pairing within ``reach`` cells halved down to
    twice ``tol``. Only the offset *across* the lines is determined where they are straight (a
    straight stretch does not slide a frame along itself); bends fix the rest. Also: how many of
    the cells then lie within ``tol`` of the reference."""
    pts, normals, tree = ref
    if tree is None:
        return (0, 0), 0
    src = np.asarray(cells, dtype=np.float64)
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


def along_shift(ends: np.ndarray, taken_ends: np.ndarray, reach: float, agree: float, tol: float) -> tuple[int, int]:
    """The shift along a nearly straight crack that the point-to-line registration cannot see
    (groundstation.crack_length, step 2): a frame whose pose is off along the crack lies on the
    others' line with one end running past theirs and the other stopping short of it by the same
    amount. ``ends``: the frame's true ends (inside its view and the others', not cut by a frame
    border), as laid; ``taken_ends``: the true ends of what is taken. Each end is paired with the
    nearest taken end within ``reach``; when at least two pairs moved the same way (their offsets
    within ``agree`` of each other) by more than ``tol``, that offset; else none (one end that
    differs is what the detector drew, not a pose)."""
    if len(ends) < 2 or len(taken_ends) == 0:
        return (0, 0)
    d, k = cKDTree(taken_ends).query(ends, distance_upper_bound=reach)
    ok = np.isfinite(d)
    if ok.sum() < 2 or len(set(k[ok].tolist())) < ok.sum():  # two ends on one taken end: not a shift
        return (0, 0)
    v = taken_ends[k[ok]] - ends[ok]
    spread = max(float(np.hypot(*(a - b))) for i, a in enumerate(v) for b in v[i + 1:])
    mean = v.mean(axis=0)
    if spread > agree or float(np.hypot(*mean)) <= tol:
        return (0, 0)
    return int(round(mean[0])), int(round(mean[1]))
