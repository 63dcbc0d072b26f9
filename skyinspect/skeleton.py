"""A crack's skeleton as a graph of pixels: its links, their length, and spurs pruned.

The simulator's truth and the ground station's crack length count a skeleton the same way: one
link per 4-neighbour pair of skeleton pixels, plus one per diagonal pair that no 4-neighbour path
already bridges (an L-corner is one step, not two plus a diagonal). A link's length is the distance
between its pixels' positions: the grid step on a texture, or the surface distance when the pixels
are lifted onto the inspected surface. Each pixel's position is first the mean of the skeleton
pixels within ``SMOOTH_PX`` of it (end points keep their own): a digital line's staircase is 5-8 %
longer than the line between 10 and 80 degrees off the grid; the smoothed chain is within 0.7 % at
every angle, and on circles and sine curves (measured, tests/core/test_skeleton.py).

Spurs: thinning a band grows short side branches at its ends and wherever its edge is ragged; a
branch shorter than the band is wide is not a crack's branch. ``prune_spurs`` removes terminal
branches (end point to junction) shorter than a given length and keeps every stretch between
junctions, so a real fork stays.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

_KERNEL = np.ones((3, 3), dtype=np.float32)
SMOOTH_PX = 3


def skeleton_links(skel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b): the (row, col) pixels at either end of every link, each (L, 2) int (module doc)."""
    s = np.asarray(skel, dtype=bool)
    pairs = []
    for mask, d in ((s[:, :-1] & s[:, 1:], (0, 1)), (s[:-1, :] & s[1:, :], (1, 0)),
                    (s[:-1, :-1] & s[1:, 1:] & ~s[:-1, 1:] & ~s[1:, :-1], (1, 1))):
        r, c = np.nonzero(mask)
        pairs.append((np.stack([r, c], axis=1), np.stack([r + d[0], c + d[1]], axis=1)))
    r, c = np.nonzero(s[:-1, 1:] & s[1:, :-1] & ~s[:-1, :-1] & ~s[1:, 1:])
    pairs.append((np.stack([r, c + 1], axis=1), np.stack([r + 1, c], axis=1)))
    return np.concatenate([a for a, _ in pairs]), np.concatenate([b for _, b in pairs])


def smoothed_positions(skel: np.ndarray, radius_px: int = SMOOTH_PX) -> np.ndarray:
    """(rows, cols, 2) float: each skeleton pixel's (row, col) averaged over the skeleton pixels
    within ``radius_px`` (a disk); end points and pixels off the skeleton keep their own."""
    s = np.asarray(skel, dtype=np.float32)
    rows, cols = np.indices(s.shape, dtype=np.float32)
    own = np.stack([rows, cols], axis=-1)
    if radius_px <= 0 or not s.any():
        return own
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius_px + 1, 2 * radius_px + 1)).astype(np.float32)

    def conv(a: np.ndarray) -> np.ndarray:
        return cv2.filter2D(a, -1, k, borderType=cv2.BORDER_CONSTANT)

    n = np.maximum(conv(s), 1e-6)
    mean = np.stack([conv(s * rows) / n, conv(s * cols) / n], axis=-1)
    keep = (s == 0) | (_neighbour_count(s.astype(np.int32)) <= 1)
    return np.where(keep[..., None], own, mean)


def skeleton_length(skel: np.ndarray, position: Callable[[np.ndarray], np.ndarray] | None = None,
                    smooth_px: int = SMOOTH_PX) -> float:
    """Summed link length (module doc); ``position`` maps (N, 2) float (row, col) pixels to (N, D)
    coordinates (default: the pixel grid, so the result is in pixels)."""
    s = np.asarray(skel, dtype=bool)
    if not s.any():
        return 0.0
    # work on the skeleton's bounding box (plus the smoothing radius): rasters can be large
    r0, c0 = np.maximum(np.argwhere(s).min(axis=0) - smooth_px - 1, 0)
    r1, c1 = np.argwhere(s).max(axis=0) + smooth_px + 2
    crop = s[r0:r1, c0:c1]
    a, b = skeleton_links(crop)
    if len(a) == 0:
        return 0.0
    pos = smoothed_positions(crop, smooth_px).astype(np.float64)
    pa = pos[a[:, 0], a[:, 1]] + (r0, c0)
    pb = pos[b[:, 0], b[:, 1]] + (r0, c0)
    if position is None:
        return float(np.linalg.norm(pa - pb, axis=1).sum())
    return float(np.linalg.norm(position(pa) - position(pb), axis=1).sum())


def _neighbour_count(s: np.ndarray) -> np.ndarray:
    return cv2.filter2D(s.astype(np.float32), -1, _KERNEL, borderType=cv2.BORDER_CONSTANT).astype(np.int32) - s


def prune_spurs(skel: np.ndarray, min_length_px: float, rounds: int = 3) -> np.ndarray:
    """``skel`` without terminal branches shorter than ``min_length_px`` (module doc). A piece with
    no junction is kept whole, however short: it is a crack, not a spur."""
    from skimage.morphology import skeletonize

    s = np.asarray(skel, dtype=bool).copy()
    for _ in range(rounds):
        count = _neighbour_count(s.astype(np.int32))
        junction = s & (count >= 3)
        if not junction.any():
            break
        ends = s & (count == 1)
        n, edges = cv2.connectedComponents((s & ~junction).astype(np.uint8), connectivity=8)
        near_junction = cv2.dilate(junction.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        idx = edges.ravel()
        has_end = np.bincount(idx[ends.ravel()], minlength=n) > 0
        touches = np.bincount(idx[(near_junction & (edges > 0)).ravel()], minlength=n) > 0
        size = np.bincount(idx, minlength=n)  # pixels ≈ length along a thin edge, within 1.41x
        spur = has_end & touches & (size < min_length_px)
        spur[0] = False
        if not spur.any():
            break
        s &= ~spur[edges]
        s = skeletonize(s)  # the junction pixels left behind become a plain line
    return s


def skeleton_polylines(skel: np.ndarray) -> list[np.ndarray]:
    """The skeleton as polylines of (row, col) pixels, one per stretch between junctions and ends
    (each stretch ends on its junction pixels, so the lines meet there); a closed loop is one line
    starting and ending on the same pixel; a lone pixel is left out."""
    s = np.asarray(skel, dtype=bool)
    if not s.any():
        return []
    count = _neighbour_count(s.astype(np.int32))
    junction = s & (count >= 3)
    n, edges = cv2.connectedComponents((s & ~junction).astype(np.uint8), connectivity=8)
    h, w = s.shape
    around = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]

    def neighbours(r: int, c: int, where: np.ndarray) -> list[tuple[int, int]]:
        return [(r + dy, c + dx) for dy, dx in around
                if 0 <= r + dy < h and 0 <= c + dx < w and where[r + dy, c + dx]]

    lines = []
    cells_by_edge: dict[int, list[tuple[int, int]]] = {}
    for r, c in np.argwhere(edges > 0):
        cells_by_edge.setdefault(int(edges[r, c]), []).append((int(r), int(c)))
    for k in range(1, n):
        cells = cells_by_edge.get(k, [])
        here = set(cells)
        inside = {p: [(p[0] + dy, p[1] + dx) for dy, dx in around if (p[0] + dy, p[1] + dx) in here] for p in cells}
        ends = [p for p, q in inside.items() if len(q) <= 1]
        start = ends[0] if ends else cells[0]
        path, seen = [start], {start}
        while True:  # walk: prefer 4-neighbours, so a staircase is followed step by step
            nxt = [q for q in inside[path[-1]] if q not in seen]
            if not nxt:
                break
            nxt.sort(key=lambda q: abs(q[0] - path[-1][0]) + abs(q[1] - path[-1][1]))
            path.append(nxt[0])
            seen.add(nxt[0])
        if not ends and len(path) > 2:
            path.append(path[0])  # a loop closes on itself
        for end in (0, -1):  # join the stretch to the junction pixel it touches at that end
            touch = neighbours(*path[end], junction)
            if touch:
                path.insert(0, touch[0]) if end == 0 else path.append(touch[0])
        if len(path) >= 2:
            lines.append(np.asarray(path, dtype=np.int64))
    # junction pixels that touch each other (a thick crossing) are joined by short lines
    for r, c in np.argwhere(junction):
        for q in neighbours(int(r), int(c), junction):
            if q > (int(r), int(c)):
                lines.append(np.array([(r, c), q], dtype=np.int64))
    return lines
