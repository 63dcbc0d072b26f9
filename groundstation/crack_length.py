"""A crack's length over all the frames that saw it, branches included.

One frame rarely holds a whole crack: a 0.7 m crack at 1 mm/px leaves a 1280 x 960 frame at its
border in most views, and a crack's side branches are cracks too. The length is therefore that of
the crack's *network* on the surface, gathered frame by frame:

1. Each fine sighting (GSD within ``SKELETON_GSD_SLACK`` of the best view's) is drawn onto a raster
   on the surface (the flight's chart when the finding lies on it, else the finding's own best-fit
   plane) at half the best view's GSD: the crack pixels of its frame's class mask inside each
   piece's outline, each carried onto the surface by the homography that takes the piece's
   undistorted outline pixels to its georeferenced outline (exact on a plane, and registered with
   the outline whatever pose correction the align stage made), and widened by half a pixel so
   neighbouring pixels touch. Without a mask file it is the outlines themselves, filled — which
   loses what a 1-2 px crack's simplified outline cuts off (13 % of one demo crack). Then it is
   thinned and its spurs pruned (``skyinspect.skeleton.prune_spurs``: terminal branches shorter
   than the band is wide plus 2 GSD).
2. The sighting whose skeleton is longest comes first. Each next one (longest first) is laid on
   the skeletons taken so far by point-to-line ICP (translation only, pairs within ``REACH_GSD``,
   moving only in directions the lines' normals pin down, so a straight stretch does not slide
   along itself and a frame's stretch beyond the others' end does not pull it back), then adds
   only the stretches of its skeleton farther than ``REGISTRATION_TOLERANCE_GSD`` from the bands
   already taken: what it saw beyond the others' borders or where they missed it, not the same
   crack again a few pixels off. Views are never unioned into one blurred band. Along a nearly
   straight crack the lines pin only the offset across it, so a frame whose pose is off *along*
   the crack lies on the others' line with one end running past theirs and the other stopping
   short by as much; when two of its true ends (inside its view and the others', not cut by a
   frame border) are each off the nearest taken end by the same offset (within ``ENDS_AGREE``
   tolerances, up to ``ENDS_REACH`` reaches), the frame is moved by it
   (crack_register.along_shift); one end that differs is the detector's, and stays. On the georef
   bench's flights with 0.2 deg of attitude noise per frame (bench/georef.py, RTK) crack lengths
   read 5-19 % long without this and 0.3-1.1 % in most runs with it. A frame is left
   out (and named in the note) when, laid as well as it goes, less than ``MIN_OVERLAP_GSD`` of its
   skeleton meets the others', or less than ``MIN_AGREEMENT`` of it does where the frames already
   taken saw the crack too (their footprints, when known): its pose put the crack elsewhere.
   Measured on the simulator with 0.5 and 1.5 m of plain-GNSS error per lane (`skyinspect simulate
   --gnss-error-m`, simulator masks, after the align stage): with every frame simply added, crack
   lengths read up to 6.4x the longest single frame's (copies of the crack 1-3 cm apart, each
   counted); with the registration and the checks 0.99-1.20x (most 1.00: the misplaced frames are
   left out). With exact poses (the demo) no frame is left out.
3. The pieces left are joined as the skeleton's minimum spanning tree between pieces: a gap up to
   ``MAX_JOIN_M`` counts (the detector left it, or it is the tolerance band between two frames'
   stretches); a longer one is drawn but not counted (a separate crack the fusion linked).
4. Length = the links of the skeleton lifted back onto the surface (``skeleton_length``) plus the
   counted joins. σ = √2 · GSD per piece (each piece's two ends located to about a pixel), added in
   quadrature.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np
from scipy.spatial import cKDTree

from groundstation.crack_pixels import PixelSource
from groundstation.crack_register import along_shift, reference, register
from skyinspect.findings import CRACK_LINK_DISTANCE_M, Detection
from skyinspect.skeleton import end_mask, prune_spurs, skeleton_length_and_trails

MAX_JOIN_M = CRACK_LINK_DISTANCE_M  # longest gap between pieces counted in a crack's length
REGISTRATION_TOLERANCE_GSD = 3.0
REACH_GSD = 8.0  # how far a frame's stretch may lie off the others' and still be laid on them
MIN_AGREEMENT = 0.7  # of a frame's skeleton where the frames used saw the crack too: else it is misplaced
ENDS_REACH = 8.0  # x REACH_GSD: how far along the crack a frame's ends may lie off the others' (step 2)
ENDS_AGREE = 2.0  # x the tolerance: how alike two ends' offsets must be to be one pose error
VIEW_MARGIN_GSD = 3.0
MIN_OVERLAP_GSD = 10.0  # a frame's skeleton on what is taken, once laid on it; less: nothing to register by
RASTER_PER_GSD = 2  # raster cells per GSD: a 1-2 px crack outline still fills whole cells
MAX_RASTER_CELLS = 4096 * 4096
OFF_CHART_M = 0.002  # a finding farther than this from the flight's chart gets its own plane
STUB_M = 0.002  # a drawn line shorter than this where lines meet is joined onto one of them
LINE_SIMPLIFY_GSD = 0.1  # the drawn lines' simplification: 0.0-0.4 % shorter than measured (demo)


class Chart(Protocol):
    def to_2d(self, points_ned_m: np.ndarray) -> np.ndarray: ...

    def to_3d(self, uv_m: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class CrackLength:
    length_m: float
    sigma_m: float
    frames: tuple[int, ...]  # the sightings that added to it, first = the longest
    pieces: int  # separate stretches of skeleton before joining
    counted_joins_m: tuple[float, ...]
    uncounted_joins: int
    unregistered: tuple[int, ...] = ()  # frames whose crack did not lie on the others': left out
    agreeing: int = 1  # frames laid on the skeleton, those that added nothing new included
    centrelines_ned_m: tuple[np.ndarray, ...] = ()  # the lines measured, (K, 3) each: stretches and counted joins


@dataclass(frozen=True)
class LocalPlane:
    """A chart of the plane that fits some points best (a crack's own face)."""

    origin: np.ndarray
    axes: np.ndarray  # (2, 3)

    @classmethod
    def fit(cls, points: np.ndarray) -> LocalPlane:
        centre = points.mean(axis=0)
        return cls(centre, np.linalg.svd(points - centre, full_matrices=False)[2][:2])

    def to_2d(self, points_ned_m: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(points_ned_m) - self.origin) @ self.axes.T

    def to_3d(self, uv_m: np.ndarray) -> np.ndarray:
        return self.origin + np.atleast_2d(uv_m) @ self.axes


def _chart_for(points: np.ndarray, chart: Any) -> Chart:
    """The flight's chart when the points lie on it, else their best-fit plane."""
    if chart is not None and hasattr(chart, "to_2d") and hasattr(chart, "to_3d"):
        back = chart.to_3d(chart.to_2d(points))
        if float(np.max(np.linalg.norm(back - points, axis=1))) <= OFF_CHART_M:
            return chart  # type: ignore[no-any-return]
    return LocalPlane.fit(points)


def crack_length(sightings: Sequence[Sequence[Detection]], frame_ids: Sequence[int], gsd_m: float,
                 chart: Any = None, pixels: PixelSource | None = None,
                 footprints: Sequence[np.ndarray | None] | None = None) -> CrackLength | None:
    """Length of one crack seen in several frames (module doc). ``sightings[i]`` are the pieces
    frame ``frame_ids[i]`` saw, only fine sightings; ``gsd_m`` the best view's GSD; ``pixels`` the
    masks' crack pixels (None: the outlines are drawn); ``footprints[i]`` that frame's footprint on
    the surface, (N, 3) NED (None: unknown)."""
    outlines = [[np.asarray(p.outline_ned_m, dtype=np.float64) for p in ps if len(p.outline_ned_m) >= 3]
                for ps in sightings]
    every = [o for os in outlines for o in os]
    if not every or not gsd_m > 0:
        return None
    local = _chart_for(np.vstack(every), chart)
    uv = [[local.to_2d(o) for o in os] for os in outlines]
    allp = np.vstack([u for us in uv for u in us])
    step = gsd_m / RASTER_PER_GSD
    pad = (4 + REACH_GSD) * gsd_m  # room for the registration's shifts
    lo = allp.min(axis=0) - pad
    size = np.ceil((allp.max(axis=0) + pad - lo) / step).astype(int) + 1
    if size[0] * size[1] > MAX_RASTER_CELLS:  # a very long crack: coarser cells, same physics
        step *= math.sqrt(size[0] * size[1] / MAX_RASTER_CELLS)
        size = np.ceil((allp.max(axis=0) + pad - lo) / step).astype(int) + 1
    shape = (int(size[1]), int(size[0]))  # rows = v, cols = u

    def to_cells(xy: np.ndarray) -> np.ndarray:
        return (xy - lo) / step

    margin = int(round(VIEW_MARGIN_GSD * gsd_m / step))
    drawn = []
    for k, (ps, us) in enumerate(zip(sightings, uv)):
        pieces = [p for p in ps if len(p.outline_ned_m) >= 3]
        fp = footprints[k] if footprints is not None else None
        drawn.append(_draw_sighting(pieces, us, pixels, to_cells, step, gsd_m, shape, fp, local, margin))
    tol = max(1, int(round(REGISTRATION_TOLERANCE_GSD * gsd_m / step)))
    icp = (REACH_GSD * gsd_m / step, MIN_OVERLAP_GSD * gsd_m / step, max(2, int(round(2 * gsd_m / step))))
    taken, added, agreeing, unregistered = _gather(drawn, shape, frame_ids, tol, icp)

    def position(rc: np.ndarray) -> np.ndarray:
        return local.to_3d(lo + (rc[:, ::-1] + 0.5) * step)

    n, labels = cv2.connectedComponents(taken.astype(np.uint8), connectivity=8)
    joins = _spanning_joins(labels, n, step)
    counted = [j for j in joins if j[0] <= MAX_JOIN_M]
    # the lines measured, for maps: the links the length counts, at the same smoothed positions (the raw
    # pixel stretches read 1-9 % longer on the demo), simplified by 0.1 GSD; then the joins
    skeleton_m, trails = skeleton_length_and_trails(taken, position, join_below_px=STUB_M / step)
    length = skeleton_m + sum(j[0] for j in counted)
    lines = [cv2.approxPolyDP(t[:, ::-1].astype(np.float32).reshape(-1, 1, 2), LINE_SIMPLIFY_GSD * gsd_m / step,
                              False).reshape(-1, 2)[:, ::-1] for t in trails]
    lines += [np.stack([a, b]) for _, a, b in counted]
    centrelines = tuple(position(np.asarray(p, dtype=np.float64)) for p in lines if len(p) >= 2)
    return CrackLength(length, math.sqrt(2.0 * max(n - 1, 1)) * gsd_m, tuple(added), max(n - 1, 0),
                       tuple(j[0] for j in counted), len(joins) - len(counted), unregistered, agreeing, centrelines)


@dataclass(frozen=True, eq=False)
class _Sighting:
    """One frame's drawing of the crack, kept as a crop of the raster (a long crack's raster is
    large, and a crack can have dozens of sightings)."""

    origin: tuple[int, int]  # (row, col) of the crop's corner in the raster
    band: np.ndarray  # uint8 crop: the crack pixels drawn
    skel: np.ndarray  # bool crop: thinned, spurs pruned
    footprint: np.ndarray | None  # (N, 2) x/y raster cells of the frame's footprint, None unknown
    margin: int  # cells the footprint is taken in from its edge (masks are least sure at the border)

    def cells(self) -> np.ndarray:
        return np.argwhere(self.skel) + np.asarray(self.origin)

    def footprint_at(self, shape: tuple[int, int], shift: tuple[int, int]) -> np.ndarray | None:
        """The footprint's x/y cells moved by ``shift``; None when it is unknown. An oblique frame's
        footprint can reach hundreds of metres: kept within 4 rasters (int32 in 1/16 cells)."""
        if self.footprint is None or len(self.footprint) < 3:
            return None
        far = 4.0 * max(shape)
        return np.clip(self.footprint + np.array([shift[1], shift[0]]), -far, far)

    def view(self, shape: tuple[int, int], shift: tuple[int, int]) -> np.ndarray | None:
        """The raster cells the frame saw, moved by ``shift``; None when its footprint is unknown."""
        xy = self.footprint_at(shape, shift)
        if xy is None:
            return None
        mask = np.zeros(shape, np.uint8)
        cv2.fillPoly(mask, [np.round(xy * 16).astype(np.int32)], 1, shift=4)
        if self.margin > 0:
            k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * self.margin + 1, 2 * self.margin + 1))
            mask = cv2.erode(mask, k)
        return mask > 0


def _window(shape: tuple[int, int], origin: tuple[int, int], size: tuple[int, ...]
            ) -> tuple[tuple[slice, slice], tuple[slice, slice]] | None:
    """(raster slices, crop slices) of a crop of ``size`` with its corner at ``origin``, clipped to
    the raster; None when nothing of it is inside."""
    r, c = origin
    r0, c0, r1, c1 = max(r, 0), max(c, 0), min(r + size[0], shape[0]), min(c + size[1], shape[1])
    if r1 <= r0 or c1 <= c0:
        return None
    return (slice(r0, r1), slice(c0, c1)), (slice(r0 - r, r1 - r), slice(c0 - c, c1 - c))


def _draw_sighting(pieces: list[Detection], outlines_uv: list[np.ndarray], pixels: PixelSource | None,
                   to_cells: Any, step: float, gsd_m: float, shape: tuple[int, int], footprint: np.ndarray | None,
                   chart: Any, margin: int) -> _Sighting:
    """Step 1 of the module doc for one frame, on the crop of the raster its pieces need."""
    px_cells = max(p.gsd_m for p in pieces) / step if pieces else 1.0
    room = int(math.ceil(4 * px_cells)) + 4  # mask pixels just outside the outlines, and the widening
    cells = np.vstack([to_cells(u) for u in outlines_uv]) if outlines_uv else np.zeros((1, 2))
    r0 = max(int(math.floor(cells[:, 1].min())) - room, 0)
    c0 = max(int(math.floor(cells[:, 0].min())) - room, 0)
    r1 = min(int(math.ceil(cells[:, 1].max())) + room + 1, shape[0])
    c1 = min(int(math.ceil(cells[:, 0].max())) + room + 1, shape[1])
    band = np.zeros((max(r1 - r0, 1), max(c1 - c0, 1)), np.uint8)

    def to_crop(xy: np.ndarray) -> np.ndarray:
        return to_cells(xy) - np.array([c0, r0])

    for p, u in zip(pieces, outlines_uv):
        _draw_piece(band, p, u, pixels, to_crop, p.gsd_m / step)
    skel = _thin(band > 0, step, gsd_m) if band.any() else np.zeros(band.shape, bool)
    fp = to_cells(chart.to_2d(np.asarray(footprint))) if footprint is not None and len(footprint) >= 3 else None
    return _Sighting((r0, c0), band, skel, fp, margin)


def _gather(drawn: list[_Sighting], shape: tuple[int, int], frame_ids: Sequence[int], tol: int,
            icp: tuple[float, float, int]) -> tuple[np.ndarray, list[int], int, tuple[int, ...]]:
    """Step 2 of the module doc: (the skeleton taken, the frames that added to it, how many frames
    were laid on it, the frames left out)."""
    reach, min_overlap, radius = icp
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tol + 1, 2 * tol + 1))
    taken = np.zeros(shape, bool)
    near = np.zeros(shape, np.uint8)  # the bands taken so far, widened by the tolerance
    laid = np.zeros(shape, bool)  # every registered frame's whole skeleton: what the next one is laid on
    seen = np.zeros(shape, bool)  # what the frames used saw (their footprints, where known)
    used: list[int] = []
    added: list[int] = []  # the frames that added stretches
    ref = None  # reference(laid), rebuilt when a frame is added
    taken_ends = None  # _true_ends(taken, seen), likewise
    pending = sorted((i for i in range(len(drawn)) if drawn[i].skel.any()), key=lambda i: -int(drawn[i].skel.sum()))
    while pending:  # a frame that overlaps nothing taken yet may overlap what a later one adds
        left = []
        for i in pending:
            d = drawn[i]
            shift = (0, 0)
            if used:  # the first (longest) frame is the reference the others are laid on
                if ref is None:
                    ref = reference(laid, radius)
                cells = d.cells()
                shift, overlap = register(cells, ref, reach, tol)
                if d.footprint is not None:  # its true ends need its view
                    if taken_ends is None:
                        taken_ends = _true_ends(taken, seen)
                    shift = _along_ends(d, cells, shift, taken_ends, seen, reach, tol)
                need = min(min_overlap, 0.5 * len(cells))  # a crack shorter than 2 x 10 GSD: half of it
            at = (d.origin[0] + shift[0], d.origin[1] + shift[1])
            win = _window(shape, at, d.skel.shape)
            if win is None:
                left.append(i)
                continue
            (rows, cols), crop = win
            skel = d.skel[crop]
            if used:
                both = skel & seen[rows, cols]  # where the frames used saw it too: there it must agree
                agree = int((both & (near[rows, cols] > 0)).sum())
                if overlap < need or (both.sum() >= 2 * need and agree < MIN_AGREEMENT * both.sum()):
                    left.append(i)
                    continue
            new = skel & (near[rows, cols] == 0)
            if int(new.sum()) >= 2:
                taken[rows, cols] |= new
                added.append(frame_ids[i])
            used.append(frame_ids[i])
            laid[rows, cols] |= skel
            ref = taken_ends = None
            wide = _window(shape, (at[0] - tol, at[1] - tol), (d.band.shape[0] + 2 * tol, d.band.shape[1] + 2 * tol))
            if wide is not None:
                (wr, wc), wcrop = wide
                near[wr, wc] |= cv2.dilate(np.pad(d.band, tol), disk)[wcrop]
            view = d.view(shape, shift)
            if view is not None:
                seen |= view
        if len(left) == len(pending):
            break
        pending = left
    return taken, added, len(used), tuple(frame_ids[i] for i in pending)


def _along_ends(d: _Sighting, cells: np.ndarray, shift: tuple[int, int], taken_ends: np.ndarray, seen: np.ndarray,
                reach: float, tol: int) -> tuple[int, int]:
    """``shift`` and the offset along the crack its true ends show (crack_register.along_shift);
    ``taken_ends``: the ends of what is taken that lie where the frames used saw."""
    poly = d.footprint_at(seen.shape, shift)
    if poly is None or len(taken_ends) == 0:
        return shift
    poly = poly.astype(np.float32)
    laid = cells + np.asarray(shift)
    ends = laid[end_mask(laid)]
    rows, cols = ends[:, 0].astype(int), ends[:, 1].astype(int)
    ok = (rows >= 0) & (cols >= 0) & (rows < seen.shape[0]) & (cols < seen.shape[1])
    ends, rows, cols = ends[ok], rows[ok], cols[ok]
    inside = [seen[r, c] and cv2.pointPolygonTest(poly, (float(c), float(r)), True) >= d.margin
              for r, c in zip(rows, cols)]
    extra = along_shift(ends[np.asarray(inside, dtype=bool)], taken_ends, ENDS_REACH * reach, ENDS_AGREE * tol, tol)
    return shift[0] + extra[0], shift[1] + extra[1]


def _true_ends(taken: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """The ends of the taken skeleton inside the views of the frames used (not cut by a border)."""
    cells = np.argwhere(taken)
    ends = cells[end_mask(cells)]
    return ends[seen[ends[:, 0], ends[:, 1]]].astype(np.float64)


def _draw_piece(band: np.ndarray, det: Detection, outline_uv: np.ndarray, pixels: PixelSource | None,
                to_cells: Any, px_cells: float) -> None:
    """Draw one piece onto ``band``: its mask's crack pixels through its outline's homography, or
    its outline filled; widened by half a pixel either way (module doc)."""
    radius = max(1, int(math.ceil(px_cells / 2.0)))
    mark = np.zeros_like(band)
    got = pixels.crack_pixels(det) if pixels is not None else None
    h = cv2.findHomography(got[0], outline_uv, 0)[0] if got is not None else None
    if got is not None and h is not None:
        # a degenerate outline (a 1-px line's box) gives a homography that does not reproduce it
        back = cv2.perspectiveTransform(got[0].reshape(-1, 1, 2), h).reshape(-1, 2)
        if not np.all(np.isfinite(back)) or float(np.abs(to_cells(back) - to_cells(outline_uv)).max()) > px_cells:
            h = None
    if got is not None and h is not None:
        xy = cv2.perspectiveTransform(got[1].reshape(-1, 1, 2), h).reshape(-1, 2)
        cells = np.round(to_cells(xy)).astype(int)
        ok = (cells[:, 0] >= 0) & (cells[:, 1] >= 0) & (cells[:, 0] < band.shape[1]) & (cells[:, 1] < band.shape[0])
        mark[cells[ok, 1], cells[ok, 0]] = 1
    else:
        cv2.fillPoly(mark, [np.round(to_cells(outline_uv) * 16).astype(np.int32)], 1, lineType=cv2.LINE_8, shift=4)
    band |= cv2.dilate(mark, np.ones((2 * radius + 1, 2 * radius + 1), np.uint8))


def _thin(band: np.ndarray, step_m: float, gsd_m: float) -> np.ndarray:
    from skimage.morphology import skeletonize

    skel = skeletonize(band)
    if not skel.any():
        return skel
    width = 2.0 * float(cv2.distanceTransform(band.astype(np.uint8), cv2.DIST_L2, 3)[skel].max())
    return prune_spurs(skel, width + 2.0 * gsd_m / step_m)


def _spanning_joins(labels: np.ndarray, n: int, step_m: float) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """The minimum spanning tree's edges between the n - 1 labelled pieces: (length in metres on
    the raster, the (row, col) cells it joins); gaps are short and the surface locally flat, so no
    lift is needed."""
    if n <= 2:
        return []
    cells = np.argwhere(labels > 0)
    by_label = cells[np.argsort(labels[cells[:, 0], cells[:, 1]], kind="stable")]
    counts = np.bincount(labels[cells[:, 0], cells[:, 1]], minlength=n)[1:]
    pts = [p.astype(np.float64) for p in np.split(by_label, np.cumsum(counts)[:-1])]
    trees = [cKDTree(p) for p in pts]
    m = n - 1
    dist = np.full((m, m), np.inf)
    ends: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for a in range(m):
        for b in range(a + 1, m):
            d, j = trees[b].query(pts[a], k=1)
            i = int(np.argmin(d))
            dist[a, b] = dist[b, a] = float(d[i])
            ends[(a, b)] = ends[(b, a)] = (pts[a][i], pts[b][int(j[i])])
    # Prim's algorithm on the dense piece-to-piece distances
    inside, best, parent, out = np.zeros(m, bool), dist[0].copy(), np.zeros(m, int), []
    inside[0] = True
    for _ in range(m - 1):
        cand = np.where(inside, np.inf, best)
        k = int(np.argmin(cand))
        out.append((float(cand[k]) * step_m, *ends[(int(parent[k]), k)]))
        inside[k] = True
        closer = dist[k] < best
        best = np.where(closer, dist[k], best)
        parent = np.where(closer, k, parent)
    return out
