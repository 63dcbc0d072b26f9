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
2. The sighting whose skeleton is longest comes first; each next one (longest first) adds only the
   stretches of its skeleton farther than ``REGISTRATION_TOLERANCE_GSD`` from the bands already
   taken: what that frame saw beyond the others' borders or where they missed it, not the same
   crack again a few pixels off (frames register to about a pixel after the tie-point stage,
   docs/georeferencing.md). So views are never unioned into one blurred band.
3. The pieces left are joined as the skeleton's minimum spanning tree between pieces: a gap up to
   ``MAX_JOIN_M`` counts (the detector left it, or it is the tolerance band between two frames'
   stretches); a longer one is drawn but not counted (a separate crack the fusion linked).
4. Length = the links of the skeleton lifted back onto the surface (``skeleton_length``) plus the
   counted joins. σ = √2 · GSD per piece (each piece's two ends located to about a pixel), added in
   quadrature.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

from skyinspect.findings import CRACK_LINK_DISTANCE_M, Detection
from skyinspect.segmentation import CRACK
from skyinspect.skeleton import prune_spurs, skeleton_length

MAX_JOIN_M = CRACK_LINK_DISTANCE_M
REGISTRATION_TOLERANCE_GSD = 3.0
RASTER_PER_GSD = 2  # raster cells per GSD: a 1-2 px crack outline still fills whole cells
MAX_RASTER_CELLS = 4096 * 4096
OFF_CHART_M = 0.002  # a finding farther than this from the flight's chart gets its own plane


class PixelSource(Protocol):
    def crack_pixels(self, det: Detection) -> tuple[np.ndarray, np.ndarray] | None:
        """(outline (N, 2), crack pixel centres (M, 2)), both undistorted normalised image
        coordinates, the outline matching ``det.outline_ned_m`` point for point; None without a mask."""
        ...


class MaskPixels:
    """The crack pixels of each detection, from the flight record's class masks (read lazily; the
    last ``cache_size`` kept, as a crack's sightings are neighbouring frames)."""

    def __init__(self, flight: Any, cache_size: int = 32):
        self._records = {rec.frame_index: rec for rec in flight.frames}
        self._camera = flight.camera
        self._cache: OrderedDict[Any, np.ndarray | None] = OrderedDict()
        self._cache_size = cache_size

    def _mask(self, path: Any) -> np.ndarray | None:
        if path in self._cache:
            self._cache.move_to_end(path)
            return self._cache[path]
        mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        self._cache[path] = mask
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return mask

    def _normalised(self, uv: np.ndarray) -> np.ndarray:
        rays = self._camera.pixel_to_ray(uv)
        return rays[:, :2] / rays[:, 2:]

    def crack_pixels(self, det: Detection) -> tuple[np.ndarray, np.ndarray] | None:
        rec = self._records.get(det.frame_index)
        if rec is None or rec.mask_path is None or det.instance_index >= len(rec.instances):
            return None
        mask = self._mask(rec.mask_path)
        if mask is None or mask.ndim != 2:
            return None
        poly = np.asarray(rec.instances[det.instance_index].polygon_px, dtype=np.float64)
        if len(poly) != len(det.outline_ned_m) or len(poly) < 4:
            return None
        x0, y0 = np.maximum(np.floor(poly.min(axis=0)).astype(int) - 2, 0)
        x1, y1 = np.minimum(np.ceil(poly.max(axis=0)).astype(int) + 3, [mask.shape[1], mask.shape[0]])
        if x1 <= x0 or y1 <= y0:
            return None
        inside = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(inside, [np.round(poly - [x0, y0]).astype(np.int32)], 1)
        # the outline was simplified by about a pixel: its crack pixels may lie just outside it
        inside = cv2.dilate(inside, np.ones((5, 5), np.uint8))
        rows, cols = np.nonzero(inside.astype(bool) & (mask[y0:y1, x0:x1] == CRACK))
        if len(rows) == 0:
            return None
        pixels = np.stack([cols + x0, rows + y0], axis=1).astype(np.float64)
        return self._normalised(poly), self._normalised(pixels)


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
    skeleton_uv_m: np.ndarray  # (K, 2) skeleton cell centres on the chart (for drawings and tests)


@dataclass(frozen=True)
class _LocalPlane:
    origin: np.ndarray
    axes: np.ndarray  # (2, 3)

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
    centre = points.mean(axis=0)
    axes = np.linalg.svd(points - centre, full_matrices=False)[2][:2]
    return _LocalPlane(centre, axes)


def crack_length(sightings: Sequence[Sequence[Detection]], frame_ids: Sequence[int], gsd_m: float,
                 chart: Any = None, pixels: PixelSource | None = None) -> CrackLength | None:
    """Length of one crack seen in several frames (module doc). ``sightings[i]`` are the pieces
    frame ``frame_ids[i]`` saw, only fine sightings; ``gsd_m`` the best view's GSD; ``pixels`` the
    masks' crack pixels (None: the outlines are drawn)."""
    outlines = [[np.asarray(p.outline_ned_m, dtype=np.float64) for p in ps if len(p.outline_ned_m) >= 3]
                for ps in sightings]
    every = [o for os in outlines for o in os]
    if not every or not gsd_m > 0:
        return None
    local = _chart_for(np.vstack(every), chart)
    uv = [[local.to_2d(o) for o in os] for os in outlines]
    allp = np.vstack([u for us in uv for u in us])
    step = gsd_m / RASTER_PER_GSD
    lo = allp.min(axis=0) - 4 * gsd_m
    size = np.ceil((allp.max(axis=0) + 4 * gsd_m - lo) / step).astype(int) + 1
    if size[0] * size[1] > MAX_RASTER_CELLS:  # a very long crack: coarser cells, same physics
        step *= math.sqrt(size[0] * size[1] / MAX_RASTER_CELLS)
        size = np.ceil((allp.max(axis=0) + 4 * gsd_m - lo) / step).astype(int) + 1
    shape = (int(size[1]), int(size[0]))  # rows = v, cols = u

    skeletons, bands = [], []
    for ps, us in zip(sightings, uv):
        band = np.zeros(shape, np.uint8)
        pieces = [p for p in ps if len(p.outline_ned_m) >= 3]
        for p, u in zip(pieces, us):
            _draw_piece(band, p, u, pixels, lambda xy: (xy - lo) / step, p.gsd_m / step)
        skel = np.zeros(shape, bool)
        c0, r0, w, h = cv2.boundingRect(band)  # thin that box only: the raster spans every view
        if w and h:
            box = (slice(max(r0 - 2, 0), r0 + h + 2), slice(max(c0 - 2, 0), c0 + w + 2))
            skel[box] = _thin(band[box] > 0, step, gsd_m)
        skeletons.append(skel)
        bands.append(band)
    order = sorted(range(len(uv)), key=lambda i: -int(skeletons[i].sum()))
    tol = max(1, int(round(REGISTRATION_TOLERANCE_GSD * gsd_m / step)))
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tol + 1, 2 * tol + 1))
    taken = np.zeros(shape, bool)
    near = np.zeros(shape, np.uint8)
    used = []
    for i in order:
        new = skeletons[i] & (near == 0)
        if int(new.sum()) >= 2:
            taken |= new
            used.append(frame_ids[i])
        near |= cv2.dilate(bands[i], disk)

    def position(rc: np.ndarray) -> np.ndarray:
        return local.to_3d(lo + (rc[:, ::-1] + 0.5) * step)

    n, labels = cv2.connectedComponents(taken.astype(np.uint8), connectivity=8)
    joins = _spanning_joins(labels, n, step)
    counted = tuple(j for j in joins if j <= MAX_JOIN_M)
    length = skeleton_length(taken, position) + sum(counted)
    rc = np.argwhere(taken)
    return CrackLength(length, math.sqrt(2.0 * max(n - 1, 1)) * gsd_m, tuple(used), max(n - 1, 0), counted,
                       len(joins) - len(counted), lo + (rc[:, ::-1] + 0.5) * step)


def _draw_piece(band: np.ndarray, det: Detection, outline_uv: np.ndarray, pixels: PixelSource | None,
                to_cells: Any, px_cells: float) -> None:
    """Draw one piece onto ``band``: its mask's crack pixels through its outline's homography, or
    its outline filled; widened by half a pixel either way (module doc)."""
    radius = max(1, int(math.ceil(px_cells / 2.0)))
    mark = np.zeros_like(band)
    got = pixels.crack_pixels(det) if pixels is not None else None
    h = cv2.findHomography(got[0], outline_uv, 0)[0] if got is not None else None
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


def _spanning_joins(labels: np.ndarray, n: int, step_m: float) -> list[float]:
    """Lengths of the minimum spanning tree's edges between the n - 1 labelled pieces (metres on
    the raster; gaps are short and the surface locally flat, so no lift is needed)."""
    from scipy.spatial import cKDTree

    if n <= 2:
        return []
    pts = [np.argwhere(labels == k).astype(np.float64) for k in range(1, n)]
    trees = [cKDTree(p) for p in pts]
    m = n - 1
    dist = np.full((m, m), np.inf)
    for a in range(m):
        for b in range(a + 1, m):
            d = float(trees[b].query(pts[a], k=1)[0].min())
            dist[a, b] = dist[b, a] = d
    # Prim's algorithm on the dense piece-to-piece distances
    inside, best, out = np.zeros(m, bool), dist[0].copy(), []
    inside[0] = True
    for _ in range(m - 1):
        cand = np.where(inside, np.inf, best)
        k = int(np.argmin(cand))
        out.append(float(cand[k]) * step_m)
        inside[k] = True
        best = np.minimum(best, dist[k])
    return out
