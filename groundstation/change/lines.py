"""Where a crack grew: its centre lines this time laid on last time's, and the stretches that are new.

A length that grew by 5 cm says how much, not where. Both inspections keep each crack's measured
centre lines (Finding.centrelines_ned_m, groundstation/crack_length.py). Here the current lines are
drawn with last time's on one raster (``CELL_M``) in their common best-fit plane, laid on them by the
same point-to-line ICP the length uses (groundstation/crack_register.py: it moves only where the
lines' shape pins it down, so an extension at one end does not pull the crack back along itself),
and every current stretch farther than ``TOL_M`` from last time's lines is new. The two flights'
offset as a whole is taken out before (groundstation.change); what the ICP adds is the rest, up to
``REACH_M``. Two cracks that cannot be laid on each other (less than ``MIN_OVERLAP_M`` of line in
common) get no answer rather than a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from groundstation.crack_length import LocalPlane
from groundstation.crack_register import reference, register
from skyinspect.skeleton import skeleton_length

CELL_M = 0.001
TOL_M = 0.004
REACH_M = 0.03
MIN_OVERLAP_M = 0.02


@dataclass(frozen=True)
class NewLine:
    length_m: float  # the new stretches' length
    where_ned_m: np.ndarray  # (3,) from the middle of last time's crack to the middle of the new stretches
    moved_m: float  # how far the ICP moved the current lines to lay them on last time's


def new_crack_line(previous: list[np.ndarray], current: list[np.ndarray]) -> NewLine | None:
    """``previous`` and ``current``: a crack's centre lines, (K, 3) polylines in one NED frame (the
    current ones already moved by the flights' offset); None when they cannot be laid on each other."""
    prev = [np.asarray(p, dtype=np.float64) for p in previous if len(p) >= 2]
    cur = [np.asarray(c, dtype=np.float64) for c in current if len(c) >= 2]
    if not prev or not cur:
        return None
    every = np.vstack(prev + cur)
    plane = LocalPlane.fit(every)
    pad = REACH_M + 2 * TOL_M
    uv_all = plane.to_2d(every)
    lo = uv_all.min(axis=0) - pad
    size = np.ceil((uv_all.max(axis=0) + pad - lo) / CELL_M).astype(int) + 1
    if int(size[0]) * int(size[1]) > 4096 * 4096:
        return None  # a crack of several metres: compare it by length only

    def draw(lines: list[np.ndarray]) -> np.ndarray:
        img = np.zeros((int(size[1]), int(size[0])), np.uint8)
        for line in lines:
            xy = (plane.to_2d(line) - lo) / CELL_M
            cv2.polylines(img, [np.round(xy * 16).astype(np.int32).reshape(-1, 1, 2)], False, 1, 1, cv2.LINE_8, 4)
        return img > 0

    was, now = draw(prev), draw(cur)
    was_cells, now_cells = np.argwhere(was), np.argwhere(now)
    tol = TOL_M / CELL_M
    shift, overlap = register(now_cells, reference(was, 4), REACH_M / CELL_M, tol)
    if overlap * CELL_M < MIN_OVERLAP_M:
        return None
    from scipy.spatial import cKDTree

    cells = now_cells + np.asarray(shift)
    far = cKDTree(was_cells).query(cells, distance_upper_bound=tol)[0] > tol
    fresh = np.zeros_like(now)
    inside = far & (cells[:, 0] >= 0) & (cells[:, 1] >= 0) & (cells[:, 0] < now.shape[0]) & (cells[:, 1] < now.shape[1])
    fresh[cells[inside, 0], cells[inside, 1]] = True
    length = skeleton_length(fresh) * CELL_M
    moved = float(np.hypot(*shift)) * CELL_M
    if length < 2 * TOL_M:  # a pixel's worth at either end: nothing new
        return NewLine(0.0, np.zeros(3), moved)
    mid_new = np.argwhere(fresh).mean(axis=0)  # (row, col) = (v, u)
    mid_was = was_cells.mean(axis=0)
    d_uv = (mid_new - mid_was)[::-1] * CELL_M
    return NewLine(length, d_uv @ plane.axes, moved)


def describe_new_line(new: NewLine) -> str:
    """'new crack line 52 mm, 0.31 m up and 0.02 m north of the crack's middle' (NED offsets)."""
    if new.length_m <= 0:
        return "no new crack line (laid on last time's, it ends where it ended)"
    n, e, d = (float(v) for v in new.where_ned_m)
    parts = [(abs(-d), "up" if d < 0 else "down"), (abs(n), "north" if n >= 0 else "south"),
             (abs(e), "east" if e >= 0 else "west")]
    where = " and ".join(f"{v:.2f} m {w}" for v, w in sorted(parts, reverse=True)[:2] if v >= 0.005)
    return (f"new crack line {new.length_m * 1000:.0f} mm" + (f", {where} of the crack's middle" if where else "")
            + " (laid on last time's lines)")
