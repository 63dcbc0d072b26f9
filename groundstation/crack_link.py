"""Crack linking: pieces of one crack that the detector left apart → one finding.

A segmentation model breaks a long crack where it fades, narrows, branches or crosses a stain, and
in a flight the same gap shows in every frame, so fusion (which joins outlines closer than the
merge distance) reports one crack as several findings: on the demo flight a 0.74 m T-shaped crack
came out as four findings 2.6-9.4 cm apart. An inspector draws it as one crack.

Rule: crack cluster A is linked to crack cluster B when the line of A, followed out of one of its
ends, meets B within ``CRACK_LINK_DISTANCE_M``: some point of B lies at most that far from the end
and within ``max_angle_deg`` of A's direction there. That joins pieces end to end and a branch to
the crack it grows from (a T or Y junction), and leaves apart cracks side by side and a crack whose
end points away from the other.

Ends: each member's skeleton (one view's centre line of one piece, a polyline) has two; the
direction at an end is the chord from the point ``end_window_m`` back along the polyline to the
end, pointing out of the crack. Members without a skeleton contribute points, not ends. Geometry is
in the plane chart's 2D coordinates (metres), like the rest of fusion; B's polylines are resampled
every ``step_m`` so a long straight run simplified to two vertices is still found.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from groundstation.plane import PlaneBasis
from skyinspect.findings import CRACK_LINK_DISTANCE_M, Detection
from skyinspect.segmentation import CRACK


@dataclass(frozen=True)
class LinkParams:
    max_gap_m: float = CRACK_LINK_DISTANCE_M
    max_angle_deg: float = 30.0
    end_window_m: float = 0.02
    step_m: float = 0.005


def polyline_ends(line_uv_m: np.ndarray, end_window_m: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """(end point, outward unit direction) for both ends of a 2D polyline; [] if it has no length."""
    pts = np.asarray(line_uv_m, dtype=np.float64)
    if len(pts) < 2:
        return []
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    total = float(seg.sum())
    if total <= 1e-9:
        return []
    s = np.concatenate([[0.0], np.cumsum(seg)])
    back = min(end_window_m, total)
    out = []
    for end, inner in ((pts[0], _point_at(pts, s, back)), (pts[-1], _point_at(pts, s, total - back))):
        d = end - inner
        n = float(np.linalg.norm(d))
        if n > 1e-9:
            out.append((end, d / n))
    return out


def resample(line_uv_m: np.ndarray, step_m: float) -> np.ndarray:
    """Points along a polyline no more than ``step_m`` apart (its vertices included)."""
    pts = np.asarray(line_uv_m, dtype=np.float64).reshape(-1, 2)
    if len(pts) < 2:
        return pts
    return shapely.get_coordinates(shapely.segmentize(shapely.linestrings(pts), step_m))


def link_crack_clusters(groups: list[list[int]], detections: tuple[Detection, ...], chart: PlaneBasis,
                        params: LinkParams = LinkParams()) -> list[list[int]]:
    """``groups`` (lists of indices into ``detections``) with linked crack clusters merged (module doc).
    Clusters of other classes pass through unchanged; the order of first appearance is kept."""
    cracks = [g for g, idx in enumerate(groups) if detections[idx[0]].class_id == CRACK]
    shapes: list[tuple[list[np.ndarray], list[np.ndarray]]] = []
    for g in cracks:
        members = [detections[i] for i in groups[g]]
        lines = [chart.to_2d(np.asarray(d.skeleton_ned_m)) for d in members
                 if d.skeleton_ned_m is not None and len(d.skeleton_ned_m) >= 2]
        outlines = [chart.to_2d(d.outline_ned_m) for d in members
                    if d.skeleton_ned_m is None or len(d.skeleton_ned_m) < 2]
        shapes.append((lines, outlines))
    label = dict(zip(cracks, (cracks[k] for k in linked_labels(shapes, params))))
    merged: dict[int, list[int]] = {}
    for g, idx in enumerate(groups):
        merged.setdefault(label.get(g, g), []).extend(idx)
    return list(merged.values())


def linked_labels(shapes: list[tuple[list[np.ndarray], list[np.ndarray]]],
                  params: LinkParams = LinkParams()) -> list[int]:
    """For each crack cluster given as (skeleton polylines, outlines without a skeleton) in 2D
    metres, the index of the first cluster it is linked with, directly or through others."""
    from scipy.spatial import cKDTree

    ends: list[tuple[int, np.ndarray, np.ndarray]] = []  # (cluster, end point, outward direction)
    points, owner = [], []
    for g, (lines, outlines) in enumerate(shapes):
        for line in lines:
            ends += [(g, p, u) for p, u in polyline_ends(line, params.end_window_m)]
        for pts in [resample(x, params.step_m) for x in lines] + \
                   [resample(np.vstack([o, o[:1]]), params.step_m) for o in outlines if len(o)]:
            points.append(pts)
            owner.append(np.full(len(pts), g))
    parent = list(range(len(shapes)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    if ends and points:
        all_pts, all_owner = np.concatenate(points), np.concatenate(owner)
        tree = cKDTree(all_pts)
        cos_max = float(np.cos(np.radians(params.max_angle_deg)))
        for g, end, u in ends:
            near = np.asarray(tree.query_ball_point(end, params.max_gap_m), dtype=int)
            near = near[all_owner[near] != g] if len(near) else near
            if not len(near):
                continue
            v = all_pts[near] - end
            dist = np.linalg.norm(v, axis=1)
            ahead = (dist < 1e-9) | (v @ u >= cos_max * dist)
            for h in np.unique(all_owner[near[ahead]]):
                a, b = root(g), root(int(h))
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return [root(g) for g in range(len(shapes))]


def _point_at(pts: np.ndarray, s: np.ndarray, at: float) -> np.ndarray:
    i = int(np.clip(np.searchsorted(s, at) - 1, 0, len(pts) - 2))
    t = (at - s[i]) / max(s[i + 1] - s[i], 1e-12)
    return pts[i] + (pts[i + 1] - pts[i]) * t
