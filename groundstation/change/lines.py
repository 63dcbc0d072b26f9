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

Not every stretch drawn only this time is new crack: the model draws a different share of a crack each
flight, which is what the length's sigma carries (groundstation/measure.py, REPEATABILITY). A stretch
within ``k_sigma`` of that sigma is reported as "no new crack line (N mm drawn this time only, ...)".
Before, the demo scene flown twice (seeds 7 and 3, nothing changed) read "new crack line 9-58 mm" on
all five cracks seen both times, each stable by its length (F-0003 -> F-0005: 58 mm; 592 -> 639 mm,
2 sigma 200 mm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from groundstation.crack_length import LocalPlane
from groundstation.crack_register import reference, register
from skyinspect.skeleton import skeleton_length

CELL_M = 0.001
TOL_M = 0.004
REACH_M = 0.03
MIN_OVERLAP_M = 0.02
# laid on each other, one crack's two drawings share most of the shorter one; less is lines that meet
# where they cross (the same crack 5 cm off, past REACH_M: "new crack line 244 mm" of an unchanged 300 mm)
MIN_OVERLAP_SHARE = 0.5


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
    if overlap * CELL_M < MIN_OVERLAP_M or overlap < MIN_OVERLAP_SHARE * min(len(was_cells), len(now_cells)):
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


def describe_new_line(new: NewLine, k_sigma: float = 2.0, sigma_mm: float = 0.0) -> str:
    """'new crack line 52 mm, 0.31 m up and 0.02 m north of the crack's middle' (NED offsets);
    ``sigma_mm``: the 1-sigma of the crack's length change (module doc), 0 for none."""
    if new.length_m <= 0:
        return "no new crack line (laid on last time's, it ends where it ended)"
    if new.length_m * 1000 <= k_sigma * sigma_mm:
        return (f"no new crack line ({new.length_m * 1000:.0f} mm drawn this time only, within the length's "
                f"{k_sigma:g} sigma ({k_sigma * sigma_mm:.0f} mm): the model draws a different share of a crack "
                "each flight)")
    n, e, d = (float(v) for v in new.where_ned_m)
    parts = [(abs(-d), "up" if d < 0 else "down"), (abs(n), "north" if n >= 0 else "south"),
             (abs(e), "east" if e >= 0 else "west")]
    where = " and ".join(f"{v:.2f} m {w}" for v, w in sorted(parts, reverse=True)[:2] if v >= 0.005)
    return (f"new crack line {new.length_m * 1000:.0f} mm" + (f", {where} of the crack's middle" if where else "")
            + " (laid on last time's lines)")


def where_it_grew(a: Any, b: Any, origins: tuple[Any, Any], frame: Any, shift: np.ndarray,
                  noise: tuple[float, float] = (2.0, 0.0)) -> str:
    """For a crack seen both times (Findings ``a`` then ``b``) with its centre lines: where its new
    stretches are; "" when either lacks the lines or its flight's frame (``origins``: results from
    before session 11). ``frame``: the comparison's NED frame; ``shift``: the flights' offset added to
    this time's positions; ``noise``: (k_sigma, 1-sigma of the length change in mm)."""
    if not a.centrelines_ned_m or not b.centrelines_ned_m or origins[0] is None or origins[1] is None:
        return ""

    new = new_crack_line([in_frame(line, origins[0], frame) for line in a.centrelines_ned_m],
                         [in_frame(line, origins[1], frame) + shift for line in b.centrelines_ned_m])
    return describe_new_line(new, *noise) if new is not None else ""


def in_frame(points_ned: np.ndarray, origin: Any, frame: Any) -> np.ndarray:
    """(N, 3) points given in their flight's NED frame ``origin``, in the comparison's NED ``frame``."""
    geo = origin.to_geodetic(np.asarray(points_ned))
    return np.atleast_2d(frame.to_ned(geo[:, 0], geo[:, 1], geo[:, 2])).reshape(-1, 3)
