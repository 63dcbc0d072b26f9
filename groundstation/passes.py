"""Pass alignment: one GNSS error per pass, taken out before fusion.

A plain GNSS receiver's error drifts slowly: every frame of one pass along a structure carries about
the same horizontal bias (decimetres to a metre), and the next pass another. The same defect seen
from two passes then lands that far apart on the surface and fusion, which joins sightings within
centimetres, reports it twice or more (bench/georef.py without this stage: 1.5-2.1 findings per
defect at h_acc 0.8 m, 1.1 with RTK at 3 m).

Here the flight is split into passes (frames in capture order; a new pass at a pause, at a gap three
times the usual one between shots (a lane change), or where the camera's step turns more than 60
degrees off the pass's direction of travel), each pass's sightings of one defect that lie wholly
inside their frame are averaged into one point (a crack cut by the frame edge has its centroid
wherever the edge is), and each
pass is shifted in the surface's plane onto the passes already aligned, by the defects they saw in
common: every same-class pair of its defects and the aligned ones within the search radius (3 sigma
of the two passes' stated horizontal accuracy, at most 5 m) proposes an offset, and the offset that
most of the pass's defects agree on (within 2.5 times the frame-to-frame scatter of one defect's
sightings, at least ``tol_m``) wins if at least two defects from two frames back it with twice the
support of any rival offset. Passes are taken largest first, then whichever shares the most
candidate pairs with the aligned set. A pass that shares too little stays where its GNSS put it and
is no reference for the others (it is retried once another pass has been aligned), and an offset
smaller than the agreement tolerance is not applied (fusion absorbs it), so exact poses are left
alone.

A voted offset is applied only if it lays the pass's defect outlines (each widened by half the
tolerance) over the aligned passes' by more than ``OVERLAP_GAIN`` times the area they share in
place. Centroids alone are fooled when one defect comes out in pieces, or a model draws a different
part of it from each pass: on the demo flight replayed with four flipped passes, rust patches drawn
as rims in pieces and cracks in dashes voted a 70 mm shift to three of the four passes with exact
(simulated RTK) poses; their outlines overlapped 0.72 times as much after it (10.83 GSD instead of
36.9; bench/georef.py unchanged: every real shift there is kept).

Passes that image tie points already laid onto one another (``Georeferenced.tied_frames``,
groundstation.tiepoints) are not voted again: they start as the aligned set, and only the others
are shifted onto them. Two defects whose spacing matches by chance had outvoted the texture of the
whole overlap: on the demo flight simulated with 1 m GNSS error (seed 7) the two upper lanes, whose
defects the others never see whole, were moved 1.6 m off the tie points' answer.

Only the relative error goes: the whole flight keeps the largest pass's bias, so CE90 (from the stated
accuracy) still describes the absolute position. Planes and bounded faces only (a shift along a
curved chart is not a rigid move); other surfaces are left unchanged.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np

from groundstation.georef import FrameGeoref, Georeferenced, footprint_polygons
from groundstation.offset_vote import vote_offset
from groundstation.plane import PlaneBasis, is_planar
from skyinspect.findings import Detection

log = logging.getLogger(__name__)


# a voted offset must make the passes' outlines overlap by more than this times as much as before
OVERLAP_GAIN = 1.2


@dataclass(frozen=True)
class PassParams:
    gap_s: float = 5.0  # a pause longer than this starts a new pass
    gap_factor: float = 3.0  # ... and so does a gap this many times the flight's usual one (a lane change)
    min_leg_m: float = 0.3  # the camera must move this far along the surface before a turn counts
    tol_m: float = 0.03  # least agreement tolerance between the offsets two defects propose
    max_search_m: float = 5.0
    min_support: int = 2  # distinct defects of the pass behind the winning offset
    min_ratio: float = 2.0  # winner's support over the best rival offset's


@dataclass(frozen=True)
class PassAlignment:
    geo: Georeferenced  # detections, footprints and camera positions shifted
    pass_of_frame: dict[int, int]
    offsets_m: dict[int, np.ndarray]  # pass → (2,) shift in the chart, for the passes that moved


def split_passes(frames: tuple[FrameGeoref, ...] | list[FrameGeoref], chart: PlaneBasis,
                 params: PassParams = PassParams()) -> dict[int, int]:
    """frame index → pass number (from 0) for the georeferenced frames (module doc). A pass starts
    after a pause (``gap_s``, or ``gap_factor`` times the median interval between frames: a lane
    change takes longer than the next shot along a lane), or at a frame reached by a step more than
    60 degrees off the pass's direction of travel (a turn back)."""
    ok = sorted((f for f in frames if f.is_georeferenced and np.isfinite(f.camera_ned_m).all()),
                key=lambda f: f.capture_time_utc_s)
    out: dict[int, int] = {}
    gaps = np.diff([f.capture_time_utc_s for f in ok])
    usual = float(np.median(gaps)) if len(gaps) else math.inf
    current, start, heading, prev = 0, None, None, None
    for f in ok:
        pos = chart.to_2d(np.asarray(f.camera_ned_m))[0]
        if prev is not None:
            step = pos - prev[1]
            off_course = heading is not None and np.linalg.norm(step) > 1e-3 and \
                float(step @ heading) < 0.5 * float(np.linalg.norm(step))
            dt = f.capture_time_utc_s - prev[0]
            if dt > params.gap_s or dt > params.gap_factor * usual or off_course:
                current, start, heading = current + 1, pos, None
            elif heading is None and start is not None and np.linalg.norm(pos - start) >= params.min_leg_m:
                heading = (pos - start) / np.linalg.norm(pos - start)
        if start is None:
            start = pos
        out[f.frame_index] = current
        prev = (f.capture_time_utc_s, pos)
    return out


def align_passes(geo: Georeferenced, basis: PlaneBasis, params: PassParams = PassParams()) -> PassAlignment:
    """Shift each pass onto the others by the defects they share (module doc)."""
    if not is_planar(geo.surface) or not geo.detections:
        return PassAlignment(geo, {}, {})
    pass_of = split_passes(geo.frames, basis, params)
    # only sightings wholly inside their frame vote: the visible part of a defect cut by the frame
    # border has its centroid wherever the border happens to be
    whole = _inside_frame(geo, basis)
    keep = [i for i, d in enumerate(geo.detections) if d.frame_index in pass_of and whole[i]]
    if len({pass_of[geo.detections[i].frame_index] for i in keep}) < 2:
        return PassAlignment(geo, pass_of, {})
    dets = [geo.detections[i] for i in keep]
    centre = basis.to_2d(np.array([d.centroid_ned_m for d in dets]))
    classes = np.array([d.class_id for d in dets])
    frame_of = np.array([d.frame_index for d in dets])
    det_pass = np.array([pass_of[int(f)] for f in frame_of])
    # how far one defect's centroid moves between neighbouring frames of a pass: the per-frame
    # (pointing) noise that no pass offset removes, so offsets are voted within a few times it
    tol = max(params.tol_m, 2.5 * _frame_to_frame_m(centre, classes, frame_of, det_pass))
    # each pass's sightings of one defect become one point (their mean), so a vote is one defect
    # pair, however many frames saw each
    group = _sightings(centre, classes, det_pass, tol)
    n_groups = int(group.max()) + 1
    g_centre = np.zeros((n_groups, 2))
    np.add.at(g_centre, group, centre)
    g_count = np.bincount(group, minlength=n_groups)
    g_centre /= g_count[:, None]
    g_class = np.zeros(n_groups, int)
    g_class[group] = classes
    g_pass = np.zeros(n_groups, int)
    g_pass[group] = det_pass
    g_frames = np.array([len(set(frame_of[group == g].tolist())) for g in range(n_groups)])
    by_pass: dict[int, list[int]] = defaultdict(list)
    for g in range(n_groups):
        by_pass[int(g_pass[g])].append(g)
    sigma = {p: float(np.median([dets[i].sigma_h_m for i in np.nonzero(det_pass == p)[0]])) for p in by_pass}
    shapes: dict[int, dict[int, object]] | None = None  # the outlines, drawn only once a shift needs checking
    # passes image tie points laid onto one another stay as they are: one reference group (module doc)
    tied = set(geo.tied_frames)
    in_tied = {p for p in by_pass if all(f in tied for f, q in pass_of.items() if q == p)} if tied else set()
    aligned = sorted(in_tied, key=lambda p: (-len(by_pass[p]), p)) or [max(by_pass, key=lambda p: (len(by_pass[p]), -p))]
    offsets: dict[int, np.ndarray] = {p: np.zeros(2) for p in aligned}
    pending = set(by_pass) - set(aligned)
    declined: set[int] = set()  # tried since the last pass was aligned: retried once the set grows
    while pending - declined:
        ranked = []
        for p in pending - declined:
            votes = _votes(p, aligned, by_pass, g_centre, g_class, offsets, sigma, params)
            ranked.append((len(votes[0]), -p, p, votes))
        _, _, p, (d, src) = max(ranked)
        won = _winning_offset(d, src, g_frames, replace(params, tol_m=tol))
        if won is not None and np.linalg.norm(won) >= tol:
            shapes = shapes if shapes is not None else _outlines_by_pass(dets, basis, det_pass, 0.5 * tol)
            if not _outlines_agree_better(shapes, p, aligned, offsets, won):
                won = None  # centroids of pieces paired up by chance, or parts seen in one pass only (module doc)
        if won is None:  # not a reference for the others either: it stays where its GNSS put it
            declined.add(p)
            continue
        pending.discard(p)
        aligned.append(p)
        offsets[p] = won
        declined.clear()
    moved = {p: o for p, o in offsets.items() if np.linalg.norm(o) >= tol}
    if not moved:
        return PassAlignment(geo, pass_of, {})
    for p, o in sorted(moved.items()):
        log.info("pass %d (%d defects) shifted %.3f m, %.3f m in the surface's plane to meet the others",
                 p, len(by_pass[p]), o[0], o[1])
    return PassAlignment(shift_passes(geo, basis, pass_of, moved), pass_of, moved)


def shift_passes(geo: Georeferenced, basis: PlaneBasis, pass_of: dict[int, int],
                 offsets: dict[int, np.ndarray]) -> Georeferenced:
    """``geo`` with the detections, footprints and camera positions of each pass in ``offsets``
    moved by its (2,) shift in the surface's chart."""
    origin = basis.to_3d(np.zeros((1, 2)))[0]
    shift3 = {p: basis.to_3d(np.asarray(o)[None, :])[0] - origin for p, o in offsets.items()}
    shifted = tuple(_shift_detection(d, shift3[pass_of[d.frame_index]])
                    if pass_of.get(d.frame_index) in shift3 else d for d in geo.detections)
    frames = tuple(_shift_frame(f, shift3[pass_of[f.frame_index]])
                   if pass_of.get(f.frame_index) in shift3 else f for f in geo.frames)
    return replace(geo, frames=frames, detections=shifted)  # keeps from_flight and tied_frames


def _inside_frame(geo: Georeferenced, basis: PlaneBasis, margin_px: float = 3.0) -> np.ndarray:
    """Per detection: its outline keeps ``margin_px`` pixels clear of its frame's footprint border
    (True where the frame has no footprint to tell)."""
    import shapely

    borders = {i: poly.boundary for i, poly in footprint_polygons(geo, basis).items()}
    out = np.ones(len(geo.detections), bool)
    for i, d in enumerate(geo.detections):
        edge = borders.get(d.frame_index)
        if edge is not None:
            gsd = d.gsd_m if math.isfinite(d.gsd_m) and d.gsd_m > 0 else 1e-3
            ring = basis.to_2d(d.outline_ned_m)
            out[i] = bool(shapely.distance(edge, shapely.multipoints(ring)) > margin_px * gsd)
    return out


def _votes(p: int, aligned: list[int], by_pass: dict[int, list[int]], centre: np.ndarray, classes: np.ndarray,
           offsets: dict[int, np.ndarray], sigma: dict[int, float],
           params: PassParams) -> tuple[np.ndarray, np.ndarray]:
    """(candidate offsets (K, 2), the pass-p defect behind each): every same-class pair of a pass-p
    defect and an aligned one within the search radius (KD-tree: never all against all)."""
    from scipy.spatial import cKDTree

    mine = np.array(by_pass[p])
    found_d, found_src = [np.zeros((0, 2))], [np.zeros(0, int)]
    for q in aligned:
        theirs = np.array(by_pass[q])
        radius = min(params.max_search_m, max(params.tol_m, 3.0 * math.hypot(sigma[p], sigma[q])))
        shifted = centre[theirs] + offsets[q]
        hits = cKDTree(shifted).query_ball_point(centre[mine], radius)
        a = np.repeat(np.arange(len(mine)), [len(h) for h in hits])
        b = np.fromiter((j for h in hits for j in h), dtype=int, count=len(a))
        same = classes[mine[a]] == classes[theirs[b]]
        found_d.append(shifted[b[same]] - centre[mine[a[same]]])
        found_src.append(mine[a[same]])
    return np.concatenate(found_d), np.concatenate(found_src)


def _frame_to_frame_m(centre: np.ndarray, classes: np.ndarray, frame_of: np.ndarray, det_pass: np.ndarray,
                      within_m: float = 0.25) -> float:
    """Sigma of the difference between two frames' sightings of one defect within a pass, pooled
    over the flight, from the distance of each detection to the nearest same-class detection of the
    next frame of its pass (within ``within_m``): their lower quartile over 0.76 (a Rayleigh
    distribution's), because the upper part also holds neighbouring defects; 0 when no frame pair
    shares a defect."""
    by_frame: dict[int, list[int]] = defaultdict(list)
    for i, f in enumerate(frame_of.tolist()):
        by_frame[f].append(i)
    order = sorted(by_frame)
    dist: list[float] = []
    for a, b in zip(order, order[1:]):
        ia, ib = np.array(by_frame[a]), np.array(by_frame[b])
        if det_pass[ia[0]] != det_pass[ib[0]]:
            continue
        d = np.linalg.norm(centre[ia][:, None, :] - centre[ib][None, :, :], axis=2)
        d[classes[ia][:, None] != classes[ib][None, :]] = np.inf
        best = d.min(axis=1)
        dist.extend(best[best <= within_m].tolist())
    return float(np.quantile(dist, 0.25) / 0.76) if dist else 0.0


def _sightings(centre: np.ndarray, classes: np.ndarray, det_pass: np.ndarray, radius_m: float) -> np.ndarray:
    """A defect number per detection: same-class detections of one pass within ``radius_m`` of each
    other (transitively) are one defect."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = len(centre)
    key = det_pass * 1000 + classes
    pairs = cKDTree(centre).query_pairs(radius_m, output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    keep = key[a] == key[b]
    return connected_components(coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(n, n)),
                                directed=False)[1]


def _winning_offset(d: np.ndarray, src: np.ndarray, frames: np.ndarray, params: PassParams) -> np.ndarray | None:
    """The offset most of the pass's defects agree on (``src``: the defect behind each vote,
    ``frames``: how many frames saw each defect), or None when the vote is thin or split."""
    won = vote_offset(d, src, params.tol_m, params.min_support, params.min_ratio)
    if won is None or frames[won[1]].sum() < 2:
        return None
    return won[0]


def _outlines_by_pass(dets: list[Detection], basis: PlaneBasis, det_pass: np.ndarray,
                      widen_m: float) -> dict[int, dict[int, object]]:
    """pass → class → the union of that pass's outlines of that class, each widened by ``widen_m``
    (so that thin cracks a few millimetres apart still overlap), in the chart."""
    import shapely

    groups: dict[tuple[int, int], list[object]] = defaultdict(list)
    for d, p in zip(dets, det_pass.tolist()):
        ring = basis.to_2d(np.asarray(d.outline_ned_m))
        if len(ring) >= 3:
            groups[(p, d.class_id)].append(shapely.polygons(ring))
    out: dict[int, dict[int, object]] = defaultdict(dict)
    for (p, cls), polys in groups.items():
        out[p][cls] = shapely.union_all(shapely.buffer(shapely.make_valid(np.array(polys)), widen_m, quad_segs=2))
    return out


def _overlap_m2(shapes: dict[int, dict[int, object]], p: int, aligned: list[int], offsets: dict[int, np.ndarray],
                shift: np.ndarray) -> float:
    """Area where pass ``p``'s outlines, moved by ``shift``, cover the aligned passes' (moved by theirs)."""
    import shapely
    from shapely import affinity

    total = 0.0
    for cls, mine in shapes.get(p, {}).items():
        ref = [affinity.translate(shapes[q][cls], *offsets[q]) for q in aligned if cls in shapes.get(q, {})]
        if ref:
            total += affinity.translate(mine, *shift).intersection(shapely.union_all(ref)).area
    return total


def _outlines_agree_better(shapes: dict[int, dict[int, object]], p: int, aligned: list[int],
                           offsets: dict[int, np.ndarray], shift: np.ndarray) -> bool:
    """Whether moving pass ``p`` by ``shift`` lays its defects' outlines over the aligned passes' more
    than leaving it where it is does: the check on a vote of centroids."""
    return _overlap_m2(shapes, p, aligned, offsets, shift) > OVERLAP_GAIN * _overlap_m2(shapes, p, aligned, offsets,
                                                                                        np.zeros(2))


def _shift_detection(d: Detection, s: np.ndarray) -> Detection:
    return replace(d, outline_ned_m=d.outline_ned_m + s, centroid_ned_m=d.centroid_ned_m + s,
                   skeleton_ned_m=None if d.skeleton_ned_m is None else np.asarray(d.skeleton_ned_m) + s)


def _shift_frame(f: FrameGeoref, s: np.ndarray) -> FrameGeoref:
    return replace(f, camera_ned_m=np.asarray(f.camera_ned_m) + s,
                   footprint_ned_m=None if f.footprint_ned_m is None else np.asarray(f.footprint_ned_m) + s)
