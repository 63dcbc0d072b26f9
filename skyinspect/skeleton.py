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
from typing import Any

import cv2
import numpy as np

_KERNEL = np.ones((3, 3), dtype=np.uint8)
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


def end_mask(cells: np.ndarray, tree: Any = None) -> np.ndarray:
    """(N,) bool: which of a thinned skeleton's (row, col) ``cells`` are ends (at most one
    8-neighbour among the cells); ``tree``: a cKDTree of the cells, if one is at hand."""
    from scipy.spatial import cKDTree

    pts = np.asarray(cells, dtype=np.float64).reshape(-1, 2)
    if len(pts) == 0:
        return np.zeros(0, bool)
    tree = tree if tree is not None else cKDTree(pts)
    return tree.query_ball_point(pts, r=1.5, return_length=True) <= 2  # itself and at most one more


def smoothed_positions(cells: np.ndarray, radius_px: float = SMOOTH_PX) -> np.ndarray:
    """(N, 2) float: each skeleton cell's (row, col) averaged over the skeleton cells within
    ``radius_px`` of it; end points (at most one 8-neighbour) keep their own. Computed on the cells
    only (a long crack's raster holds tens of millions of cells, its skeleton a few thousand)."""
    from scipy.spatial import cKDTree

    pts = np.asarray(cells, dtype=np.float64)
    if radius_px <= 0 or len(pts) < 2:
        return pts.copy()
    tree = cKDTree(pts)
    k = min(len(pts), int(4 * radius_px * radius_px) + 5)  # a disk's cells on a thin line, with room
    d, idx = tree.query(pts, k=k, distance_upper_bound=radius_px + 0.5)
    ok = np.isfinite(d)
    near = pts[np.minimum(idx, len(pts) - 1)] * ok[..., None]
    mean = near.sum(axis=1) / ok.sum(axis=1, keepdims=True)
    return np.where(end_mask(pts, tree)[:, None], pts, mean)


def skeleton_length(skel: np.ndarray, position: Callable[[np.ndarray], np.ndarray] | None = None,
                    smooth_px: float = SMOOTH_PX) -> float:
    """Summed link length (module doc); ``position`` maps (N, 2) float (row, col) pixels to (N, D)
    coordinates (default: the pixel grid, so the result is in pixels)."""
    return _links_length(_smoothed_links(np.asarray(skel, dtype=bool), smooth_px), position)


def skeleton_length_and_trails(skel: np.ndarray, position: Callable[[np.ndarray], np.ndarray] | None = None,
                               smooth_px: float = SMOOTH_PX, join_below_px: float = 0.0) -> tuple[float, list[np.ndarray]]:
    """``skeleton_length`` and ``skeleton_trails`` of one skeleton from one smoothing of it (a crack's
    length and the lines drawn for it: each smoothed the same skeleton)."""
    links = _smoothed_links(np.asarray(skel, dtype=bool), smooth_px)
    return _links_length(links, position), _links_trails(links, join_below_px)


def _links_length(links: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
                  position: Callable[[np.ndarray], np.ndarray] | None) -> float:
    if links is None:
        return 0.0
    pos, ia, ib = links
    pa, pb = pos[ia], pos[ib]
    if position is None:
        return float(np.linalg.norm(pa - pb, axis=1).sum())
    return float(np.linalg.norm(position(pa) - position(pb), axis=1).sum())


def _smoothed_links(s: np.ndarray, smooth_px: float) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(pos, ia, ib) of a boolean skeleton ``s``: each cell's smoothed (row, col) (``smoothed_positions``) and,
    for every link (``skeleton_links``), the indices of its two cells in ``pos``; None without a link."""
    c0, r0, w, h = cv2.boundingRect(s.astype(np.uint8))  # the skeleton's box: rasters can be large
    crop = s[r0:r0 + h, c0:c0 + w]
    a, b = skeleton_links(crop)
    if len(a) == 0:
        return None
    cells = np.argwhere(crop)  # row-major, so sorted by r * w + c
    pos = smoothed_positions(cells, smooth_px) + np.array([r0, c0])
    order = cells[:, 0] * w + cells[:, 1]
    return pos, np.searchsorted(order, a[:, 0] * w + a[:, 1]), np.searchsorted(order, b[:, 0] * w + b[:, 1])


def _neighbour_count(s: np.ndarray) -> np.ndarray:
    """8-neighbours of each cell of a boolean raster (uint8: a skeleton raster can be large)."""
    u = np.asarray(s, dtype=np.uint8)
    return cv2.filter2D(u, -1, _KERNEL, borderType=cv2.BORDER_CONSTANT) - u


def _components(mask: np.ndarray) -> tuple[int, np.ndarray]:
    """8-connected components, uint16 labels while they fit (half the memory of int32)."""
    try:
        return cv2.connectedComponents(mask.astype(np.uint8), connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:  # more than 65,535 components
        return cv2.connectedComponents(mask.astype(np.uint8), connectivity=8, ltype=cv2.CV_32S)


def prune_spurs(skel: np.ndarray, min_length_px: float, rounds: int = 3) -> np.ndarray:
    """``skel`` without terminal branches shorter than ``min_length_px`` (module doc). A piece with
    no junction is kept whole, however short: it is a crack, not a spur."""
    from skimage.morphology import skeletonize

    s = np.asarray(skel, dtype=bool).copy()
    for _ in range(rounds):
        count = _neighbour_count(s)
        junction = s & (count >= 3)
        if not junction.any():
            break
        ends = s & (count == 1)
        n, edges = _components(s & ~junction)
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
    full = np.asarray(skel, dtype=bool)
    if not full.any():
        return []
    c0, r0, w, h = cv2.boundingRect(full.astype(np.uint8))  # the skeleton's box: rasters can be large
    s = full[r0:r0 + h, c0:c0 + w]
    count = _neighbour_count(s)
    junction = s & (count >= 3)
    n, edges = _components(s & ~junction)
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
    return [line + np.array([r0, c0]) for line in lines]


def skeleton_trails(skel: np.ndarray, smooth_px: float = SMOOTH_PX, join_below_px: float = 0.0) -> list[np.ndarray]:
    """The skeleton's links (``skeleton_links``) drawn as lines of the smoothed positions that
    ``skeleton_length`` measures: (K, 2) float (row, col) each, every link in exactly one line, so
    the lines' summed length is ``skeleton_length`` (the same links, the same positions). A line
    runs on through a fork along its straightest continuation, so a crack is a few long lines, not
    one per stretch between junction pixels; a line shorter than ``join_below_px`` (a tangle of
    junction pixels where stretches meet) is joined onto a line that ends or passes where it ends."""
    return _links_trails(_smoothed_links(np.asarray(skel, dtype=bool), smooth_px), join_below_px)


def _links_trails(links: tuple[np.ndarray, np.ndarray, np.ndarray] | None, join_below_px: float) -> list[np.ndarray]:
    if links is None:
        return []
    pos, ia, ib = links
    trails = _trails(pos, ia.tolist(), ib.tolist())
    if join_below_px > 0:
        trails = _join_short(trails, pos, join_below_px)
    return [pos[t] for t in trails]


def _trails(pos: np.ndarray, ia: list[int], ib: list[int]) -> list[list[int]]:
    """Walks covering every link once (node indices): from each node with an odd count of links
    left (the crack's ends first), straight on through forks; what is left are closed loops, each
    spliced into a walk through one of its nodes (or kept as a loop of its own)."""
    adj: list[list[tuple[int, int]]] = [[] for _ in range(len(pos))]
    for e, (p, q) in enumerate(zip(ia, ib)):
        adj[p].append((e, q))
        adj[q].append((e, p))
    used = [False] * len(ia)
    left = [len(x) for x in adj]

    def walk(v: int) -> list[int]:
        path = [v]
        while True:
            nxt = [(e, u) for e, u in adj[v] if not used[e]]
            if not nxt:
                return path
            if len(nxt) > 1 and len(path) > 1:  # straightest on: the heading over the last few nodes
                back = pos[v] - pos[path[max(0, len(path) - 4)]]
                nxt.sort(key=lambda eu: -float(np.dot(back, pos[eu[1]] - pos[v]))
                         / (float(np.linalg.norm(pos[eu[1]] - pos[v])) + 1e-9))
            e, u = nxt[0]
            used[e] = True
            left[v] -= 1
            left[u] -= 1
            path.append(u)
            v = u

    starts = sorted((v for v in range(len(pos)) if len(adj[v]) % 2), key=lambda v: len(adj[v]) != 1)
    trails = [walk(v) for v in starts if left[v] % 2]
    owner = {v: k for k, t in enumerate(trails) for v in t}
    for v in range(len(pos)):
        while left[v]:
            k = owner.get(v)
            loop = walk(v)
            if k is None:
                trails.append(loop)
                k = len(trails) - 1
            else:
                i = trails[k].index(v)
                trails[k][i:i + 1] = loop
            owner.update((u, k) for u in loop)
    return trails


def _trail_length(pos: np.ndarray, t: list[int]) -> float:
    return float(np.linalg.norm(np.diff(pos[t], axis=0), axis=1).sum())


def _join_short(trails: list[list[int]], pos: np.ndarray, min_px: float) -> list[list[int]]:
    """Each line shorter than ``min_px`` joined to a line that ends where it ends, else to one that
    passes there and is split at that node (the short one going on its longer side) when its other
    side is no shorter than ``min_px``: every join leaves one short line fewer."""
    trails = [t for t in trails if len(t) >= 2]
    while True:
        for short in sorted(trails, key=lambda t: _trail_length(pos, t)):
            if _trail_length(pos, short) >= min_px:
                return trails
            join = _host(trails, short, pos, min_px)
            if join is None:
                continue
            host, keep, other = join
            end = short[0] if short[0] in (keep[0], keep[-1]) else short[-1]
            stub = short if short[0] == end else short[::-1]  # starts at the shared node
            line = stub[::-1] + keep[1:] if keep[0] == end else keep + stub[1:]
            trails = [t for t in trails if t is not short and t is not host] + [line] + other
            break
        else:
            return trails


def _host(trails: list[list[int]], short: list[int], pos: np.ndarray, min_px: float
          ) -> tuple[list[int], list[int], list[list[int]]] | None:
    """(the line ``short`` joins, the part of it that it joins, the rest of it) or None (_join_short)."""
    ends = (short[0], short[-1])
    for t in trails:  # a line that ends there: no split
        if t is not short and (t[0] in ends or t[-1] in ends):
            return t, t, []
    for t in trails:
        for end in ends:
            if t is short or end not in t:
                continue
            i = t.index(end)
            head, tail = t[:i + 1], t[i:]
            keep, other = (head, tail) if _trail_length(pos, head) >= _trail_length(pos, tail) else (tail, head)
            if _trail_length(pos, other) >= min_px:
                return t, keep, [other]
    return None
