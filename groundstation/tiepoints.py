"""Pass alignment from the images: tie points between overlapping frames of different passes.

Defects are too sparse to align passes under metre-level GNSS error (passes.py declines most
votes), but the surface itself is full of texture. For pairs of frames from two passes whose
footprints overlap, ORB features are matched (Lowe's ratio test) and the 3D shift of the second
frame's camera that best lays its matched keypoints, cast through its pose onto the surface, onto
the first frame's casts is solved by robust least squares (soft-L1, so wrong matches barely pull).
A position error along the surface normal changes the range and so the scale of everything a frame
casts; a 2D shift of the casts cannot model it, a 3D camera shift does. Pass pairs are chained from
the largest pass (breadth first, best-supported pair first), each other pass's camera positions are
corrected by its chained shift, and the flight is georeferenced again (``realign``): detections,
footprints and camera path all follow. Only the relative error between passes goes; the flight
keeps the largest pass's GNSS error in the surface's plane, which CE90 still describes.

Before the passes are linked, each pass's error along the surface normal is taken out on its own
(``_pass_ranges``): that error is a range error, which scales everything the pass casts by
(range + error) / range, and linking passes only removes their differences, so the reference pass's
range error had scaled every finding (demo flight simulated with 1 m GNSS error, 3 m standoff: rust
areas 1.35x and crack lengths 1.18x on seed 7, 2.3x areas on seed 3). Two overlapping frames of one
pass have the right baseline (the pass's error is common to them), so a wrong range shows as
parallax that does not fit, as a stereo pair measures range: the range is solved from the pass's
frame pairs (their median).

What it needs: the flight record's images and a plane or a bounded face (otherwise nothing moves). Cost: ORB
on each frame used (about 20 ms at 1280x960), a Hamming match and a 3-parameter fit per pair (20 ms).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from groundstation.georef import Georeferenced, camera_center_ned, cast_pixels, footprint_polygons
from groundstation.load import LoadedFlight
from groundstation.passes import PassParams, split_passes
from groundstation.plane import PlaneBasis, is_planar
from groundstation.tiepoints_frames import frame_shifts, moved_flight

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TieParams:
    min_overlap: float = 0.3  # of the smaller footprint
    pairs_per_pass_pair: int = 3  # fitted frame pairs per pair of passes (their median is the link)
    max_tries: int = 40  # candidate frame pairs per pair of passes (best overlap first) whose matches are counted
    features: int = 1500
    ratio: float = 0.75  # Lowe's ratio test
    min_matches: int = 15  # matches the fit must explain (and at least half of them)
    inlier_m: float = 0.01  # a match the fit explains lands this close on the surface
    coarse_m: float = 0.3  # scale of the first, coarse robust fit
    min_shift_m: float = 0.02  # a smaller chained correction is not applied (exact poses move nothing)
    # a pass's range needs this many fitted frame pairs, most of them within range_agree_m (+5 % of
    # the range shift) of their median: one parameter is easily fitted to a few mismatched corners
    # (a synthetic flight of two painted defects, 16-26 matches a pair: -8.1 and -1.4 cm, moved 5 cm)
    range_min_pairs: int = 2
    range_agree_m: float = 0.01
    range_window: int = 8  # frames ahead (in capture order) looked at for a frame's range pair
    range_max_pairs: int = 40  # per pass
    per_frame: bool = True  # then each frame's camera on its own (tiepoints_frames.py: GNSS error drifts)


def realign(flight: LoadedFlight, geo: Georeferenced, params: TieParams = TieParams(),
            pass_params: PassParams = PassParams(), progress: bool = False) -> tuple[Georeferenced, dict[int, np.ndarray]]:
    """(``geo`` georeferenced again with each pass's cameras corrected by image tie points, then each
    frame's (``params.per_frame``), the corrections by pass: (3,) NED metres); ``geo`` itself when
    nothing needs moving."""
    from groundstation.georef import georeference
    from groundstation.plane import chart_for

    if not is_planar(geo.surface):
        return geo, {}
    basis = chart_for(geo.surface, flight.origin)
    pass_of = split_passes(geo.frames, basis, pass_params)
    passes = set(pass_of.values())
    if not passes:
        return geo, {}
    cache = _Cache()
    # first each pass's range (its error along the normal, from its own overlaps), then the passes'
    # differences in the plane (links between passes, found on the range-corrected flight)
    ranges = {p: s for p, s in _pass_ranges(flight, geo, basis, pass_of, params, cache).items()
              if float(np.linalg.norm(s)) >= params.min_shift_m}
    ranged, ranged_geo = flight, geo
    if ranges:
        for p, s in sorted(ranges.items()):
            log.info("pass %d cameras moved %.3f m along the surface normal by its own overlapping frames", p, s @ basis.n_ned)
        ranged = _moved_flight(flight, pass_of, ranges)
        ranged_geo = georeference(ranged, geo.surface, from_flight=geo.from_flight)
    moved = dict(ranges)
    linked: set[int] = set()  # passes tied to the reference by links (its own included)
    size: dict[int, int] = defaultdict(int)
    for p in pass_of.values():
        size[p] += 1
    ref = max(passes, key=lambda p: (size[p], -p))  # the largest pass, first on a tie
    if len(passes) >= 2:
        links = _pass_links(ranged, ranged_geo, basis, pass_of, params, progress, cache)
        shifts = solve_pass_shifts(links, ref)
        linked = set(shifts) if len(shifts) >= 2 else set()
        for p, s in shifts.items():
            if p != ref and float(np.linalg.norm(s)) >= params.min_shift_m:
                log.info("pass %d cameras moved %.3f, %.3f, %.3f m (north, east, down) onto pass %d by image tie "
                         "points", p, s[0], s[1], s[2], ref)
                moved[p] = moved.get(p, np.zeros(3)) + s
    tied = tuple(sorted(i for i, p in pass_of.items() if p in linked))
    done_flight, done = flight, geo
    if moved and all(p in ranges and moved[p] is ranges[p] for p in moved):
        done_flight, done = ranged, ranged_geo  # no pass moved in the plane: the ranged flight is it
    elif moved:
        done_flight = _moved_flight(flight, pass_of, moved)
        done = georeference(done_flight, geo.surface, from_flight=geo.from_flight)
    # then each frame on its own: a plain receiver's error drifts within a pass (tiepoints_frames.py)
    each = frame_shifts(done_flight, done, basis, pass_of, ref, params,
                        lambda ra, rb: _matched_keypoints(ra, rb, cache, params), _overlap_share) if params.per_frame else {}
    if each and max(float(np.linalg.norm(s)) for s in each.values()) >= params.min_shift_m:
        log.info("%d cameras moved up to %.3f m each by image tie points (drift within passes)", len(each),
                 max(float(np.linalg.norm(s)) for s in each.values()))
        done = georeference(moved_flight(done_flight, each), geo.surface, from_flight=geo.from_flight)
        tied = tuple(sorted(set(tied) | set(each)))
    elif not moved:  # linked and found together (exact telemetry) is tied all the same: the vote leaves it
        return (replace(geo, tied_frames=tied) if tied else geo), {}
    return replace(done, tied_frames=tied), moved


def _moved_flight(flight: LoadedFlight, pass_of: dict[int, int], moves: dict[int, np.ndarray]) -> LoadedFlight:
    """``flight`` with each frame's camera moved by its pass's shift (``moves``: pass -> NED metres)."""
    return moved_flight(flight, {i: moves[p] for i, p in pass_of.items() if p in moves})


def _pass_ranges(flight: LoadedFlight, geo: Georeferenced, basis: PlaneBasis, pass_of: dict[int, int],
                 params: TieParams, cache: _Cache) -> dict[int, np.ndarray]:
    """pass → (3,) camera shift along the surface normal that lays its own overlapping frames' casts
    onto each other. One GNSS error per pass leaves the baseline between its frames right; an error
    along the normal scales each frame's casts about its own foot point, so a feature two frames
    share lands (baseline x error / range) apart: parallax, as a stereo pair measures range. The
    median over the pass's frame pairs, taken when most of them and at least ``range_min_pairs`` agree
    with it; pairs whose baseline is under 5 % of the range tell nothing."""
    records = {r.frame_index: r for r in flight.frames}
    prints = footprint_polygons(geo, basis)
    by_pass: dict[int, list[int]] = defaultdict(list)
    for i in sorted(pass_of):
        if i in prints and records.get(i) is not None and records[i].image_path is not None:
            by_pass[pass_of[i]].append(i)
    bound = geo.surface.bind(flight.origin)
    n = np.asarray(basis.n_ned, dtype=np.float64)
    out = {}
    for p, frames in sorted(by_pass.items()):
        fits = [r for a, b in _range_pairs(frames, prints, params)
                if (r := _range_shift(records[a], records[b], flight, bound, basis, n, cache, params)) is not None]
        mid = float(np.median(fits)) if fits else 0.0
        agree = sum(abs(f - mid) <= params.range_agree_m + 0.05 * abs(mid) for f in fits)
        if agree >= params.range_min_pairs and agree > 0.5 * len(fits):
            out[p] = n * mid
    return out


def _range_pairs(frames: list[int], prints: dict[int, Any], params: TieParams) -> list[tuple[int, int]]:
    """The frame pairs a pass's range is fitted on: each frame with those of the next ``range_window``
    frames (capture order) that overlap it by ``min_overlap``, at most ``range_max_pairs`` of them
    spread evenly along the pass. One number is fitted: every overlapping pair of the pass (ca531a0)
    cost O(frames²) footprint tests and a fit per pair, align 2.4 -> 10.8 s at 250 frames a flight
    and 5 -> 123 s at 1,000 (bench/process_scale.py)."""
    pairs = []
    for k, a in enumerate(frames):
        for b in frames[k + 1:k + 1 + params.range_window]:
            if _overlap_share(prints[a], prints[b]) >= params.min_overlap:
                pairs.append((a, b))
    if len(pairs) > params.range_max_pairs:
        keep = np.unique(np.linspace(0, len(pairs) - 1, params.range_max_pairs).round().astype(int))
        pairs = [pairs[i] for i in keep]
    return pairs


def _overlap_share(a: Any, b: Any) -> float:
    """How much of the smaller of two footprints (shapely polygons) the other covers, 0..1."""
    return float(a.intersection(b).area / max(min(a.area, b.area), 1e-12))


def _range_shift(ra, rb, flight: LoadedFlight, bound, basis: PlaneBasis, n: np.ndarray,  # type: ignore[no-untyped-def]
                 cache: _Cache, params: TieParams) -> float | None:
    """Shift along the normal ``n`` of both frames' cameras that lays their matched keypoints onto
    each other on the surface (None: too few matches, or too short a baseline to tell)."""
    ca = np.asarray(camera_center_ned(ra.pose, flight.origin)).reshape(3)
    cb = np.asarray(camera_center_ned(rb.pose, flight.origin)).reshape(3)
    base = (cb - ca) - float((cb - ca) @ n) * n
    range_m = abs(float((ca - np.asarray(basis.origin_ned_m)) @ n))
    if float(np.linalg.norm(base)) < 0.05 * range_m:
        return None
    matched = _matched_keypoints(ra, rb, cache, params)
    if matched is None:
        return None
    ua, ub = matched

    def residual(t: np.ndarray) -> np.ndarray:
        r = _on_surface(ub, rb, flight, bound, basis, t[0] * n) - _on_surface(ua, ra, flight, bound, basis, t[0] * n)
        return np.nan_to_num(r, nan=1.0).ravel()

    fit = _robust_fit(residual, np.zeros(1), len(ua), params)
    return None if fit is None else float(fit[0][0])


def solve_pass_shifts(links: dict[tuple[int, int], tuple[np.ndarray, int]], ref: int) -> dict[int, np.ndarray]:
    """Camera shift per pass (the reference's zero) from the pairwise links, by weighted least squares
    over every link among the passes connected to the reference (weight: the square root of the
    matches behind a link), so a loop of links averages out one pair's error instead of chaining it."""
    reach, grown = {ref}, True
    while grown:
        grown = False
        for p, q in links:
            if (p in reach) != (q in reach):
                reach |= {p, q}
                grown = True
    unknown = sorted(reach - {ref})
    if not unknown:
        return {ref: np.zeros(3)}
    col = {p: k for k, p in enumerate(unknown)}
    rows, rhs = [], []
    for (p, q), (s, n) in links.items():
        if p not in reach or q not in reach:
            continue
        w = math.sqrt(max(n, 1))
        row = np.zeros(len(unknown))
        if q in col:
            row[col[q]] += w
        if p in col:
            row[col[p]] -= w
        rows.append(row)
        rhs.append(w * np.asarray(s))  # s_q - s_p = link
    x, *_ = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)
    return {ref: np.zeros(3), **{p: x[col[p]] for p in unknown}}


def _pass_links(flight: LoadedFlight, geo: Georeferenced, basis: PlaneBasis, pass_of: dict[int, int],
                params: TieParams, progress: bool = False, cache: _Cache | None = None) -> dict[tuple[int, int], tuple[np.ndarray, int]]:
    """(p, q) with p < q → (camera shift, NED, that lays pass q's casts onto pass p's; matches behind it)."""
    import shapely

    records = {r.frame_index: r for r in flight.frames}
    prints = {}
    for i, poly in footprint_polygons(geo, basis).items():
        rec = records.get(i)
        if i in pass_of and rec is not None and rec.image_path is not None:
            # grown by twice the stated GNSS accuracy: with metre-level errors the footprints of two
            # neighbouring passes may not even touch where they put them
            grow = min(3.0, 2.0 * rec.pose.h_acc_m) if math.isfinite(rec.pose.h_acc_m) else 0.0
            prints[i] = poly.buffer(grow)
    candidates: dict[tuple[int, int], list[tuple[float, int, int]]] = defaultdict(list)
    idx = sorted(prints)
    polys = [prints[i] for i in idx]
    if not polys:  # no frame kept its image (disk full onboard, or the images not copied): nothing to match
        return {}
    left, right = shapely.STRtree(polys).query(polys, predicate="intersects")  # not all against all
    for i, j in zip(left.tolist(), right.tolist()):
        a, b = idx[i], idx[j]
        pa, pb = pass_of[a], pass_of[b]
        if a >= b or pa == pb:
            continue
        share = _overlap_share(polys[i], polys[j])
        if share >= params.min_overlap:
            candidates[(min(pa, pb), max(pa, pb))].append((share, a, b) if pa < pb else (share, b, a))
    bound = geo.surface.bind(flight.origin)
    cache = _Cache() if cache is None else cache
    links = {}
    items: Iterable[tuple[tuple[int, int], list[tuple[float, int, int]]]] = list(candidates.items())
    if progress and candidates:
        from rich.progress import track

        items = track(items, description="tie points between passes", transient=False)
    for key, pairs in items:
        # footprints placed by a metre-level GNSS error mislead: of the best-overlapping candidates,
        # fit the pairs whose images share the most features, until enough fit
        tried = [(len(_good_matches(records[a], records[b], cache, params)), a, b)
                 for _, a, b in sorted(pairs, reverse=True)[:params.max_tries]]
        found = []
        for n, a, b in sorted(tried, reverse=True)[:2 * params.pairs_per_pass_pair]:
            if n >= params.min_matches and \
                    (r := _pair_shift(records[a], records[b], flight, bound, basis, cache, params)) is not None:
                found.append(r)
                if len(found) >= params.pairs_per_pass_pair:
                    break
        if found:
            links[key] = (np.median([f[0] for f in found], axis=0), int(sum(f[1] for f in found)))
    return links


def _pair_shift(ra, rb, flight: LoadedFlight, bound, basis: PlaneBasis,  # type: ignore[no-untyped-def]
                cache: _Cache, params: TieParams) -> tuple[np.ndarray, int] | None:
    """3D shift of frame b's camera laying its matched keypoints onto frame a's (or None)."""
    matched = _matched_keypoints(ra, rb, cache, params)
    if matched is None:
        return None
    ua, ub = matched
    sa = _on_surface(ua, ra, flight, bound, basis, np.zeros(3))
    ok = np.isfinite(sa).all(axis=1)
    if ok.sum() < params.min_matches:
        return None
    sa, ub = sa[ok], ub[ok]

    def residual(s: np.ndarray) -> np.ndarray:
        r = _on_surface(ub, rb, flight, bound, basis, s) - sa
        return np.nan_to_num(r, nan=1.0).ravel()  # a ray that stops meeting the surface: a far miss

    # start from the shift in the surface's plane that the matches' median offset asks for, then
    # coarse, then fine: from a start metres off, nearly every match is an "outlier" at 1 cm
    sb0 = _on_surface(ub, rb, flight, bound, basis, np.zeros(3))
    both = np.isfinite(sb0).all(axis=1)
    start = np.zeros(3)
    if both.any():
        start = basis.to_3d(np.median(sa[both] - sb0[both], axis=0)[None, :])[0] - basis.to_3d(np.zeros((1, 2)))[0]
    return _robust_fit(residual, start, len(sa), params)


def _matched_keypoints(ra, rb, cache: _Cache, params: TieParams  # type: ignore[no-untyped-def]
                       ) -> tuple[np.ndarray, np.ndarray] | None:
    """(frame a's, frame b's) pixel positions of their good matches, row for row (None: too few)."""
    good = _good_matches(ra, rb, cache, params)
    if len(good) < params.min_matches:
        return None
    fa, fb = _features(ra, cache, params), _features(rb, cache, params)
    assert fa is not None and fb is not None
    return fa[0][[m.queryIdx for m in good]], fb[0][[m.trainIdx for m in good]]


def _robust_fit(residual: Callable[[np.ndarray], np.ndarray], start: np.ndarray, matches: int,
                params: TieParams) -> tuple[np.ndarray, int] | None:
    """(parameters, inliers) of a coarse then fine robust fit of ``residual`` (2 values a match) from
    ``start``; None unless at least ``min_matches`` and half of the ``matches`` land within ``inlier_m``."""
    from scipy.optimize import least_squares

    coarse = least_squares(residual, start, loss="soft_l1", f_scale=params.coarse_m, max_nfev=50)
    fit = least_squares(residual, coarse.x, loss="soft_l1", f_scale=params.inlier_m, max_nfev=50)
    inliers = int((np.linalg.norm(residual(fit.x).reshape(-1, 2), axis=1) < params.inlier_m).sum())
    if inliers < params.min_matches or inliers < 0.5 * matches:
        return None
    return fit.x, inliers


@dataclass
class _Cache:
    """What one alignment computes once: ORB features per frame, ratio-tested matches per frame pair."""

    features: dict[int, tuple[np.ndarray, np.ndarray] | None] = field(default_factory=dict)
    matches: dict[tuple[int, int], list[cv2.DMatch]] = field(default_factory=dict)


def _good_matches(ra, rb, cache: _Cache, params: TieParams) -> list[cv2.DMatch]:  # type: ignore[no-untyped-def]
    """Feature matches of two frames that pass Lowe's ratio test."""
    key = (ra.frame_index, rb.frame_index)
    if key not in cache.matches:
        fa, fb = _features(ra, cache, params), _features(rb, cache, params)
        good = []
        if fa is not None and fb is not None and len(fa[1]) >= 2 and len(fb[1]) >= 2:
            knn = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(fa[1], fb[1], k=2)
            good = [m[0] for m in knn if len(m) == 2 and m[0].distance < params.ratio * m[1].distance]
        cache.matches[key] = good
    return cache.matches[key]


def _features(rec, cache: _Cache, params: TieParams) -> tuple[np.ndarray, np.ndarray] | None:  # type: ignore[no-untyped-def]
    """(keypoint pixel coordinates (N, 2), ORB descriptors) of a frame's image; None when unreadable."""
    if rec.frame_index not in cache.features:
        img = cv2.imread(str(Path(rec.image_path)), cv2.IMREAD_GRAYSCALE)
        found = None
        if img is not None:
            kps, desc = cv2.ORB_create(nfeatures=params.features).detectAndCompute(img, None)
            found = None if desc is None else (np.array([k.pt for k in kps], dtype=np.float64), desc)
        cache.features[rec.frame_index] = found
    return cache.features[rec.frame_index]


def _on_surface(uv: np.ndarray, rec, flight: LoadedFlight, bound, basis: PlaneBasis,  # type: ignore[no-untyped-def]
                shift_ned: np.ndarray) -> np.ndarray:
    """Pixels of one frame cast through its pose, camera moved by ``shift_ned``, onto the surface,
    in chart coordinates (NaN: missed)."""
    cam = np.asarray(camera_center_ned(rec.pose, flight.origin)).reshape(3) + shift_ned
    pts, _, hit = cast_pixels(uv, flight.camera, rec.pose.r_ned_cam(), cam, bound)
    out = np.full((len(uv), 2), math.nan)
    if hit.any():
        out[hit] = basis.to_2d(pts[hit])
    return out
