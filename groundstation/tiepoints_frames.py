"""Each frame's camera corrected by image tie points, after the per-pass alignment (tiepoints.py).

One shift per pass fits a GNSS error that is constant over a pass. A plain receiver's error drifts
(first-order Gauss-Markov, a correlation time of minutes, plus centimetres of white jitter), so over
one lane the cameras move by centimetres to decimetres against each other: a pass's frames then
disagree with each other, its range fit declines (drifting baselines are parallax that does not
fit), and fusion (2 cm tolerance) splits and misplaces what several frames saw (bench/demo_gnss_error.py,
gauss-markov at 1 m, simulator masks: 1-5 of 12 defects found, 10-14 false positives; aligned frame
by frame 10-12 found, 0-2 false positives; docs/georeferencing.md).

Here every pair of overlapping frames (within and across passes) has its ORB matches cast onto the
plane, and one 3D camera shift per frame is solved so that matched keypoints land on one another.
On a plane with the frames' orientations fixed a cast point moves linearly with its camera
(x(c + s) = x(c) + (I - d n^T / (n.d)) s, d the pixel's ray), so this is a linear least-squares
problem, solved with Huber weights (iteratively reweighted) against mismatches. The images leave
three things open: a shift of the whole flight in the plane (pinned: the largest pass keeps its
mean in-plane GNSS error, as before) and a scale of the whole flight about a point on the surface
(a common range error with the matching spread of the cameras in the plane), which overlapping
images cannot see. The scale is pinned to the camera layout the per-pass alignment left: the
correction has no part that spreads the cameras about their centroid. So the flight's scale is
that of its GNSS layout (one error per lane: exact, each lane's range came from its own frames; a
drifting receiver: as good as its drift across the flight, a few per cent on the demo's 5 m).
Each camera is also held near its telemetry within its stated accuracy (directions the images
hardly see are not left to noise), and a flight whose frames already agree (median pair offset under
``TieParams.inlier_m``) is left alone. Frames and pairs: each frame with its ``pairs_per_frame``
best-overlapping frames, at most ``max_matches_per_pair`` matches each, so the cost grows with the
frames, not their square.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from groundstation.georef import camera_center_ned, cast_pixels, footprint_polygons
from groundstation.plane import PlaneBasis

log = logging.getLogger(__name__)
GAUGE = 1e6  # weight of the rows that fix what the images leave open (a match row's is 1 / match_sigma_m)


@dataclass(frozen=True)
class FrameParams:
    pairs_per_frame: int = 4  # each frame is fitted with its best-overlapping few (any pass)
    max_matches_per_pair: int = 60  # spread evenly over the pair's matches: the solve stays small
    match_sigma_m: float = 0.003  # how far apart a good match's two casts land (a few pixels' worth)
    huber_m: float = 0.01  # a match landing farther off than this counts linearly (a mismatch barely pulls)
    iterations: int = 8
    probe_pairs: int = 40  # matched first, spread over the flight: if they agree, the flight is left alone


def frame_shifts(flight, geo, basis: PlaneBasis, pass_of: dict[int, int], ref: int, params: Any,  # type: ignore[no-untyped-def]
                 matched: Any, overlap: Any, frame_params: FrameParams = FrameParams()) -> dict[int, np.ndarray]:
    """frame index → (3,) NED camera shift laying every overlapping frame pair's matches onto each
    other. ``ref``: the reference pass of tiepoints.realign, which keeps its mean in-plane error;
    ``params``: tiepoints.TieParams; ``matched(ra, rb)`` → (pixels a, pixels b) or None and
    ``overlap(poly_a, poly_b)`` → share come from tiepoints.py. Empty when no two frames pair."""
    import shapely
    from scipy import sparse
    from scipy.sparse.linalg import spsolve

    records = {r.frame_index: r for r in flight.frames}
    prints = {i: p for i, p in footprint_polygons(geo, basis).items()
              if i in pass_of and records.get(i) is not None and records[i].image_path is not None}
    idx = sorted(prints)
    if len(idx) < 2:
        return {}
    polys = [prints[i] for i in idx]
    left, right = shapely.STRtree(polys).query(polys, predicate="intersects")
    share: dict[int, list[tuple[float, int]]] = {i: [] for i in idx}
    for i, j in zip(left.tolist(), right.tolist()):
        if i < j and (f := overlap(polys[i], polys[j])) >= params.min_overlap:
            share[idx[i]].append((f, idx[j]))
            share[idx[j]].append((f, idx[i]))
    pairs = sorted({(min(a, b), max(a, b)) for a, near in share.items()  # each frame's best-overlapping few
                    for _, b in sorted(near, reverse=True)[:frame_params.pairs_per_frame]})
    bound = geo.surface.bind(flight.origin)
    n = np.asarray(basis.n_ned, dtype=np.float64)
    o = np.asarray(basis.origin_ned_m, dtype=np.float64)
    proj = basis.to_2d(o[None, :] + np.eye(3)) - basis.to_2d(o[None, :])  # (3, 2): row k = d(u, v)/d(axis k)
    if _attitude_dominates([records[i] for i in idx], flight, n, o):
        return {}
    def block(a: int, b: int) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray] | None:
        """(a, b, offsets (m, 2), Ja (m, 2, 3), Jb (m, 2, 3)) of the pair's matches, or None."""
        m = matched(records[a], records[b])
        if m is None:
            return None
        xa, ja = _casts(m[0], records[a], flight, bound, n, proj, basis)
        xb, jb = _casts(m[1], records[b], flight, bound, n, proj, basis)
        off = xb - xa
        ok = np.isfinite(off).all(axis=1)
        if ok.sum() < params.min_matches:
            return None
        med = np.median(off[ok], axis=0)
        ok &= np.linalg.norm(np.nan_to_num(off - med, nan=1e9), axis=1) < params.coarse_m  # plain mismatches
        if ok.sum() < params.min_matches:
            return None
        keep = np.flatnonzero(ok)
        keep = keep[np.unique(np.linspace(0, len(keep) - 1, min(len(keep), frame_params.max_matches_per_pair))
                              .round().astype(int))]
        return a, b, off[keep], ja[keep], jb[keep]

    def agree(blks: list[Any]) -> bool:
        return not blks or float(np.median([np.linalg.norm(np.median(blk[2], axis=0)) for blk in blks])) < params.inlier_m

    # a spread sample of the pairs first: where the frames already agree (exact or RTK poses) the median
    # tells so without matching every pair (1,000 synthetic frames: align 14.1 s with all pairs matched)
    probe = set(pairs[::max(1, len(pairs) // frame_params.probe_pairs)])
    blocks = [blk for blk in (block(a, b) for a, b in pairs if (a, b) in probe) if blk is not None]
    if len(probe) < len(pairs) and blocks and agree(blocks):  # no match in the sample tells nothing
        return {}
    blocks += [blk for blk in (block(a, b) for a, b in pairs if (a, b) not in probe) if blk is not None]
    used = sorted({i for blk in blocks for i in blk[:2]})
    # frames that already agree are left alone: on exact poses the solve only fits noise, and on few
    # matched corners it moved a synthetic two-defect flight's cameras 2+ cm (3.5 GSD instead of < 3)
    if not blocks or agree(blocks):
        return {}
    col = {i: 3 * k for k, i in enumerate(used)}
    size = 3 * len(used)
    rows_i, cols_i, vals, rhs, kinds = [], [], [], [], []  # kinds: 0 a match (Huber weighted), 1 prior, gauge

    def add_row(entries: list[tuple[int, float]], value: float, kind: int) -> None:
        r = len(rhs)
        for c, v in entries:
            rows_i.append(r)
            cols_i.append(c)
            vals.append(v)
        rhs.append(value)
        kinds.append(kind)

    sig = frame_params.match_sigma_m
    for a, b, off, ja, jb in blocks:
        for k in range(len(off)):
            for ax in range(2):  # off + Jb s_b - Ja s_a = 0, in match sigmas
                add_row([(col[b] + j, jb[k, ax, j] / sig) for j in range(3)]
                        + [(col[a] + j, -ja[k, ax, j] / sig) for j in range(3)], -off[k, ax] / sig, 0)
    # each camera stays near its telemetry within the stated accuracy: directions the images hardly see
    # (one lane: a tilt of the line of cameras) are not left to noise (a plan's exact poses moved 2+ cm)
    for i in used:
        acc = records[i].pose.h_acc_m
        sigma = min(max(acc if math.isfinite(acc) else 1.0, 0.01), 3.0)
        for j in range(3):
            add_row([(col[i] + j, 1.0 / sigma)], 0.0, 1)
    # the flight's scale stays the GNSS layout's: no scale of the camera positions about their centroid
    cams = {i: np.asarray(camera_center_ned(records[i].pose, flight.origin)).reshape(3) for i in used}
    mid = np.mean(list(cams.values()), axis=0)
    lever = {i: (c - mid) @ proj for i, c in cams.items()}  # in-plane (2,)
    norm = math.sqrt(sum(float(v @ v) for v in lever.values())) or 1.0
    add_row([(col[i] + j, GAUGE * float(proj[j] @ lever[i]) / norm) for i in used for j in range(3)], 0.0, 1)
    # the reference pass keeps its mean in-plane error: its frames' mean in-plane correction is zero
    members = [i for i in used if pass_of[i] == ref] or used  # (its frames unpaired: the flight's mean stays)
    for ax in range(2):
        add_row([(col[i] + j, GAUGE * proj[j, ax] / len(members)) for i in members for j in range(3)], 0.0, 1)
    a_mat = sparse.csr_matrix((vals, (rows_i, cols_i)), shape=(len(rhs), size))
    b_vec, kind = np.asarray(rhs), np.asarray(kinds)
    w = np.ones(len(rhs))
    ridge = sparse.identity(size) * 1e-6
    s = np.zeros(size)
    for _ in range(frame_params.iterations):
        aw = sparse.diags(w) @ a_mat
        s = spsolve((a_mat.T @ aw + ridge).tocsc(), aw.T @ b_vec)
        res = a_mat @ s - b_vec
        w = np.ones(len(rhs))
        img = kind == 0  # Huber on each match's 2D miss (its two rows together)
        miss = np.repeat(np.hypot(res[img][0::2], res[img][1::2]), 2)
        w[img] = np.minimum(1.0, frame_params.huber_m / sig / np.maximum(miss, 1e-12))
    return {i: s[col[i]:col[i] + 3] for i in used}


def _attitude_dominates(recs, flight, n: np.ndarray, o: np.ndarray) -> bool:  # type: ignore[no-untyped-def]
    """Whether the frames' attitude errs more on the surface than their GNSS (medians): range x
    tan(attitude sigma) against h_acc. Tie points on one surface see both alike, so a position
    correction would then take the attitude's error into the cameras (the real ArduPlane SITL 2018
    flight, nadir at 81 m: 0.5 deg is 0.71 m on the ground against h_acc 0.25 m, and 13 cameras
    moved up to 4.8 m; the demo's 3 m standoff: 2.6 cm against 0.3-1 m of plain GNSS)."""
    att, pos = [], []
    for r in recs:
        cam = np.asarray(camera_center_ned(r.pose, flight.origin)).reshape(3)
        sigma_deg, acc = r.pose.attitude_sigma_deg, r.pose.h_acc_m
        if math.isfinite(sigma_deg) and math.isfinite(acc) and acc > 0:
            att.append(abs(float((cam - o) @ n)) * math.tan(math.radians(sigma_deg)))
            pos.append(acc)
    if not att or float(np.median(att)) <= float(np.median(pos)):
        return False
    log.info("frames' cameras not corrected one by one: their attitude errs %.2f m on the surface (range x %.2f "
             "deg), more than their GNSS (%.2f m); tie points cannot tell the two apart", float(np.median(att)),
             float(np.median([r.pose.attitude_sigma_deg for r in recs])), float(np.median(pos)))
    return True


def _casts(uv: np.ndarray, rec, flight, bound, n: np.ndarray, proj: np.ndarray,  # type: ignore[no-untyped-def]
           basis: PlaneBasis) -> tuple[np.ndarray, np.ndarray]:
    """(chart points (m, 2), NaN where missed; d chart point / d camera shift (m, 2, 3))."""
    cam = np.asarray(camera_center_ned(rec.pose, flight.origin)).reshape(3)
    pts, _, hit = cast_pixels(uv, flight.camera, rec.pose.r_ned_cam(), cam, bound)
    out = np.full((len(uv), 2), math.nan)
    jac = np.zeros((len(uv), 2, 3))
    if hit.any():
        out[hit] = basis.to_2d(pts[hit])
        d = pts[hit] - cam
        dn = d @ n
        j3 = np.eye(3)[None, :, :] - d[:, :, None] * n[None, None, :] / dn[:, None, None]  # d point / d camera
        jac[hit] = np.einsum("ka,mkc->mac", proj, j3)
    return out, jac


def moved_flight(flight, moves: dict[int, np.ndarray]):  # type: ignore[no-untyped-def]
    """``flight`` with each frame's camera moved by its shift (NED metres)."""
    frames = []
    for r in flight.frames:
        s = moves.get(r.frame_index)
        if s is None:
            frames.append(r)
            continue
        pose = r.pose
        ned = np.asarray(flight.origin.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m)).reshape(3) + s
        lat, lon, alt = (float(v) for v in flight.origin.to_geodetic(ned))
        frames.append(replace(r, pose=replace(pose, lat_deg=lat, lon_deg=lon, alt_msl_m=alt,
                                              alt_rel_m=pose.alt_rel_m + (alt - pose.alt_msl_m))))
    return replace(flight, frames=tuple(frames))
