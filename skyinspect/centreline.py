"""Where a crack is: the centroid of its centreline, not of its area.

A crack is a line. The area centroid of a thin shape is its *width*-weighted mean position along
it, and the width a segmentation model draws is not the crack's (the shipped model's stride-8
logits paint a 1-2 px crack 4-6 px wide, unevenly; models/MODEL_CARD.md), so an area centroid moves
along the crack with how wide each stretch happened to be drawn: by 1-2.5 cm on the demo's cracks
with the whole crack found. The simulator's truth and the ground station's fusion both place a
crack at its centreline's centroid; corrosion keeps the area centroid (a patch is an area).

It is computed from the outline, with no skeleton: the length-weighted centroid of the outer
boundary. Both sides of a band run along its centreline, so each stretch weighs twice its length
whatever its width; the width enters only at the two ends (and, to first order in width x
curvature, where it bends). The outline is first simplified by about half a pixel so a stepped
edge weighs its straight length (an 8-connected contour's steps add up to 8 % between the 45°
directions). Measured on the demo flight with
the simulator's own masks (the geometry check): crack centroids 0.2-1.0 mm from the truth's, where
area centroids (against area-centroid truth) were 0.2-12.4 mm off. Tried first: a skeleton's
centroid (it carried the forks a skeleton grows at each end of a band) and a raster weighted by
the inverse of the local width (the distance transform's steps on the grid: 0.5-1.5 mm off on
bent cracks), 3.4 mm at worst on the demo.
"""

from __future__ import annotations

import cv2
import numpy as np


def polyline_length_m(points: np.ndarray) -> float:
    """Summed segment length of an (N, D) polyline, in its points' units (0 for fewer than 2)."""
    pts = np.asarray(points, dtype=np.float64)
    return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()) if len(pts) >= 2 else 0.0


def _ring_centroid(rings: list[np.ndarray]) -> np.ndarray | None:
    """Length-weighted centroid of closed rings (each (N, 2), first point not repeated); None when
    they have no length."""
    total, acc = 0.0, np.zeros(2)
    for xy in rings:
        if len(xy) < 2:
            continue
        closed = np.vstack([xy, xy[:1]])
        seg = np.linalg.norm(np.diff(closed, axis=0), axis=1)
        total += float(seg.sum())
        acc += ((closed[1:] + closed[:-1]) / 2.0 * seg[:, None]).sum(axis=0)
    return acc / total if total > 0 else None


def shape_centreline_centroid(shape: object, simplify_m: float = 0.0) -> np.ndarray | None:
    """(x, y) centreline centroid of a shapely Polygon / MultiPolygon (each part's outer boundary,
    simplified by ``simplify_m``; holes left out: in a union of several views' outlines they are
    the slivers between views, not crack); None when it has no boundary."""
    from shapely.geometry import MultiPolygon, Polygon

    parts = list(shape.geoms) if isinstance(shape, MultiPolygon) else [shape]  # type: ignore[attr-defined]
    rings = []
    for p in parts:
        if not isinstance(p, Polygon) or p.is_empty:
            continue
        ring = p.exterior.simplify(simplify_m) if simplify_m > 0 else p.exterior
        rings.append(np.asarray(ring.coords, dtype=np.float64)[:-1, :2])
    return _ring_centroid(rings)


def mask_centreline_centroid_px(mask: np.ndarray, simplify_px: float = 0.7) -> tuple[float, float] | None:
    """(col, row) centreline centroid of a boolean mask, in its pixel indices: the same on the outer
    contours through its boundary pixels' centres (simplified by ``simplify_px``). A contour through
    pixel centres runs half a pixel inside the mask's edge on every side, which shifts nothing."""
    m = np.asarray(mask, dtype=np.uint8)
    if not m.any():
        return None
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    rings = [(cv2.approxPolyDP(c, simplify_px, True) if simplify_px > 0 else c)[:, 0, :].astype(np.float64)
             for c in contours]
    found = _ring_centroid(rings)
    if found is None:  # single pixels: their contour has no length
        rows, cols = np.nonzero(m)
        return float(cols.mean()), float(rows.mean())
    return float(found[0]), float(found[1])
