"""Class map -> per-class masks -> instances (polygon, area, score, crack skeleton).

Everything per component runs on its bounding-box crop only, so cost scales with defect area, not
frame size: a 4000x3000 frame with a few cracks costs one connectedComponents pass plus tiny crops.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

import cv2
import numpy as np

from skyinspect.centreline import polyline_length_m
from skyinspect.segmentation import CORROSION, CRACK, Instance

DEFAULT_MIN_AREA: dict[int, int] = {CRACK: 30, CORROSION: 100}
# Thin cracks come out of segmentation (and out of resampling) broken into dashes a few pixels
# apart; one crack is one instance, so crack pixels are bridged by a small closing first.
DEFAULT_CRACK_BRIDGE_PX = 5
# A crack is a line: its skeleton length squared over its filled area is its length/width ratio
# (L*L / (L*w) = L/w). Blobs (tie holes, stains, shadows of bolts) score ~0.1-1 and closed rings
# ~pi, so a crack "instance" below 4:1 is not reported as a crack.
DEFAULT_CRACK_MIN_ELONGATION = 4.0


_NUMPY_COMPARE = {cv2.CMP_EQ: np.equal, cv2.CMP_NE: np.not_equal, cv2.CMP_GE: np.greater_equal,
                  cv2.CMP_GT: np.greater, cv2.CMP_LE: np.less_equal, cv2.CMP_LT: np.less}


def compare_scalar(array: np.ndarray, value: float, op: int) -> np.ndarray:
    """``cv2.compare(array, value, op)``: a uint8 mask, 255 where the comparison holds. OpenCV takes
    an array of four elements or fewer for a scalar itself (a (1, 1) or (4, 1) array compared with a
    number gives a 4x1 answer), so those go through numpy: a frame's narrow edge region can be one."""
    if array.size <= 4:
        return _NUMPY_COMPARE[op](array, value).astype(np.uint8) * np.uint8(255)
    return cv2.compare(array, value, op)


def cv_plane(plane: np.ndarray) -> np.ndarray:
    """``plane`` as float32 with positive strides and contiguous rows (row padding is fine), as
    OpenCV takes it without a copy."""
    if plane.dtype != np.float32 or plane.strides[1] != 4 or plane.strides[0] < 0:
        return np.ascontiguousarray(plane, dtype=np.float32)
    return plane


# a rectangle of a frame as (row slice, column slice): models.regions.defect_regions makes them
Region = tuple[slice, slice]


def class_box(class_map: np.ndarray, cls: int, regions: list[Region] | None = None) -> tuple[int, int, int, int]:
    """(x, y, w, h) bounding box of the ``cls`` pixels of a uint8 class map (w = h = 0: none).
    ``regions``: look inside these rectangles only, the caller's word that the class map is
    background everywhere else (true of a frame's map after models.regions.defect_regions' decisions):
    a compare and a bounding box over a 1280x960 map cost ~0.2 ms, and a frame's post-processing
    asks for six of them."""
    if regions is None:
        return tuple(int(v) for v in cv2.boundingRect(compare_scalar(class_map, cls, cv2.CMP_EQ)))  # type: ignore[return-value]
    x0 = y0 = math.inf
    x1 = y1 = -math.inf
    for rows, cols in regions:
        x, y, w, h = cv2.boundingRect(compare_scalar(class_map[rows, cols], cls, cv2.CMP_EQ))
        if w:
            oy, ox = rows.start or 0, cols.start or 0
            x0, y0, x1, y1 = min(x0, ox + x), min(y0, oy + y), max(x1, ox + x + w), max(y1, oy + y + h)
    if x0 == math.inf:
        return 0, 0, 0, 0
    return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def label_components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """(count incl. background, labels, stats) of a uint8 mask's 8-connected components, as
    ``cv2.connectedComponentsWithStats``. Labels are uint16 while they fit (OpenCV refuses to
    overflow; then int32): 2.5 vs 4.4 ms on a whole 1280x960 mask, the int32 label image being most
    of the cost."""
    try:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_16U)
    except cv2.error:  # more than 65,535 components
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_32S)
    return n, labels, stats


# The 8 neighbours of a pixel as (dx, dy), turning the way OpenCV follows an outer border (the background
# on the scanned side); even indices are the 4 neighbours. _NEIGHBOUR_INDEX[dy + 1, dx + 1] is the index.
_TURN = np.array([(1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1)])
_NEIGHBOUR_INDEX = np.full((3, 3), -1, dtype=np.int64)
_NEIGHBOUR_INDEX[_TURN[:, 1] + 1, _TURN[:, 0] + 1] = np.arange(8)


def _edge_midpoints(border: np.ndarray) -> np.ndarray:
    """The marching-squares outline (level 0.5, the pixels 8-connected) of a component from its outer
    border as OpenCV follows it (``border``: (K, 2) pixels, CHAIN_APPROX_NONE): at each border pixel, the
    midpoints of its edges with the background 4-neighbours met turning from the previous border pixel to
    the next (the Moore scan that found the next one saw only background there). On the pixels' edges, a
    convex corner cut by an eighth of a pixel, a one-pixel diagonal a band of its pixels' area; a simple
    ring, which never pinches. Costs O(K), not O(area)."""
    if len(border) == 1:
        return border + 0.5 * _TURN[::2]
    back, ahead = np.roll(border, 1, axis=0) - border + 1, np.roll(border, -1, axis=0) - border + 1
    came, goes = _NEIGHBOUR_INDEX[back[:, 1], back[:, 0]], _NEIGHBOUR_INDEX[ahead[:, 1], ahead[:, 0]]
    between = (goes - came - 1) % 8  # neighbours strictly between: 7 at a line's end (back the way it came)
    step = np.arange(1, 8)
    turned = (came[:, None] + step[None, :]) % 8
    keep = (step[None, :] <= between[:, None]) & (turned % 2 == 0)
    at, _ = np.nonzero(keep)  # row-major, as turned[keep]
    return border[at] + 0.5 * _TURN[turned[keep]]


# An outline is simplified by at most this fraction of its mean width (twice its area over its perimeter):
# much more lets Douglas-Peucker fold a crack one or two pixels wide onto itself. On UAV75's 60 masks
# (105 cracks) 0.35 keeps every outline valid, its area 0.98-1.07 x the bridged pixels', 26,397 vertices
# (0.25: 36,275; 0.45: 18,244 but areas down to 0.94 x)
OUTLINE_TOLERANCE_OF_WIDTH = 0.35


def outer_polygon(crop: np.ndarray, epsilon: float) -> np.ndarray:
    """Outline of a binary crop's largest component as (N, 2) float x/y, pixel centres at integers: a
    valid polygon round its pixels (see :func:`_edge_midpoints`), simplified by ``epsilon`` pixels or
    OUTLINE_TOLERANCE_OF_WIDTH of its mean width, whichever is less, where that keeps it valid. The ring
    through the boundary pixels' centres it replaces lay half a pixel inside the mask (a 2-px-wide crack's
    outline held half its pixels) and collapsed on a slanted crack one or two pixels wide, which was then
    drawn as its bounding box."""
    import shapely

    padded = cv2.copyMakeBorder(crop, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    contours, _ = cv2.findContours(padded, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    c = (_edge_midpoints(max(contours, key=len).reshape(-1, 2)) - 1.0).astype(np.float32)  # half-pixels: exact
    poly = c.astype(np.float64)
    width_px = 2.0 * cv2.contourArea(c) / max(cv2.arcLength(c, closed=True), 1.0)  # 2 x area / perimeter
    tolerance_px = min(epsilon, OUTLINE_TOLERANCE_OF_WIDTH * width_px)
    if tolerance_px > 0:
        simple = cv2.approxPolyDP(c.reshape(-1, 1, 2), tolerance_px, closed=True).reshape(-1, 2).astype(np.float64)
        if len(simple) >= 3 and shapely.Polygon(simple).is_valid:
            poly = simple
    return poly


_NEIGHBOURS = [(dy, dx, math.hypot(dy, dx)) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


def _neighbour_lists(nodes: np.ndarray, shape: tuple[int, int]) -> list[list[tuple[int, float]]]:
    """Per node, its 8-connected skeleton neighbours as (node, step length), in _NEIGHBOURS order.
    Found with one array lookup per direction (a padded index image) instead of a dict lookup per
    node and direction: the Dijkstra sweeps below then only walk Python lists."""
    index = np.full((shape[0] + 2, shape[1] + 2), -1, dtype=np.int64)
    ys, xs = nodes[:, 0] + 1, nodes[:, 1] + 1
    index[ys, xs] = np.arange(len(nodes))
    around = np.stack([index[ys + dy, xs + dx] for dy, dx, _ in _NEIGHBOURS], axis=1).tolist()
    steps = [step for _, _, step in _NEIGHBOURS]
    return [[(v, steps[k]) for k, v in enumerate(row) if v >= 0] for row in around]


def _farthest(start: int, neighbours: list[list[tuple[int, float]]]) -> tuple[int, list[float], list[int]]:
    """Dijkstra over the skeleton graph from ``start``; returns (farthest node, dist, parent)."""
    dist = [math.inf] * len(neighbours)
    parent = [-1] * len(neighbours)
    dist[start] = 0.0
    heap = [(0.0, start)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, step in neighbours[u]:
            if d + step < dist[v]:
                dist[v], parent[v] = d + step, u
                heapq.heappush(heap, (d + step, v))
    far = max(range(len(neighbours)), key=lambda i: dist[i] if dist[i] < math.inf else -1.0)
    return far, dist, parent


def longest_skeleton_path(skel: np.ndarray) -> np.ndarray:
    """Longest geodesic path through a binary skeleton, as (M, 2) x/y pixel coords.

    Double sweep (farthest from any node, then farthest from that) is exact on trees, which thin
    cracks' skeletons nearly always are; on loops it still returns a long simple path.
    """
    ys, xs = np.nonzero(skel)
    if len(ys) == 0:
        return np.zeros((0, 2))
    nodes = np.stack([ys, xs], axis=1)
    neighbours = _neighbour_lists(nodes, skel.shape)
    a, _, _ = _farthest(0, neighbours)
    b, _, parent = _farthest(a, neighbours)
    path = [b]
    while path[-1] != a and parent[path[-1]] != -1:
        path.append(parent[path[-1]])
    pts = nodes[path][:, ::-1].astype(np.float64)  # (y, x) -> (x, y)
    return pts


# Summed segment length of an (M, 2) polyline in its own units (pixels here): one definition with
# the ground station's
polyline_length = polyline_length_m


def zhang_suen_thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning (vectorised numpy); fallback when scikit-image is not installed."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = [np.roll(np.roll(img, -dy, 0), -dx, 1) for dy, dx in
                 ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))]  # P2..P9
            b = sum(p)
            a = sum(((p[i] == 0) & (p[(i + 1) % 8] == 1)).astype(np.uint8) for i in range(8))
            if step == 0:
                c1, c2 = p[0] * p[2] * p[4], p[2] * p[4] * p[6]
            else:
                c1, c2 = p[0] * p[2] * p[6], p[0] * p[4] * p[6]
            rm = (img == 1) & (b >= 2) & (b <= 6) & (a == 1) & (c1 == 0) & (c2 == 0)
            if rm.any():
                img[rm] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def thin_mask(mask: np.ndarray) -> np.ndarray:
    """One-pixel skeleton of a boolean mask: scikit-image's when installed, else Zhang-Suen in numpy."""
    try:
        from skimage.morphology import skeletonize  # lazy: only cracks need it
    except ImportError:  # scikit-image is optional; Zhang-Suen in numpy gives the same kind of skeleton
        return zhang_suen_thin(mask)
    return skeletonize(mask)


def crack_skeleton(crop: np.ndarray, epsilon: float = 0.7,
                   thin: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Skeleton polyline of one crack component crop (crop coordinates); ``thin`` overrides the thinning."""
    skel = (thin or thin_mask)(crop.astype(bool))
    pts = longest_skeleton_path(skel)
    if len(pts) > 2 and epsilon > 0:  # drop collinear staircase points; length barely changes
        pts = cv2.approxPolyDP(pts.astype(np.float32).reshape(-1, 1, 2), epsilon, closed=False)
        pts = pts.reshape(-1, 2).astype(np.float64)
    return pts


def crack_elongation(crop: np.ndarray, skeleton: np.ndarray) -> float:
    """Length/width ratio of one crack component: skeleton length**2 / area with holes filled."""
    filled = float(filled_area(crop))
    return polyline_length(skeleton) ** 2 / filled if filled else 0.0


def filled_area(mask: np.ndarray) -> int:
    """Pixels of ``mask`` plus its holes (background that no 4-connected path joins to the border,
    as scipy's ``binary_fill_holes``): one OpenCV flood fill from outside, ~20x faster than scipy."""
    padded = cv2.copyMakeBorder((mask != 0).astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    cv2.floodFill(padded, None, (0, 0), 2, flags=4)
    return int(padded.size - np.count_nonzero(padded == 2))


def extract_instances(class_map: np.ndarray, confidence: np.ndarray | None = None,
                      min_area: dict[int, int] | None = None, epsilon: float = 1.0,
                      classes: tuple[int, ...] = (CRACK, CORROSION),
                      crack_bridge_px: int = DEFAULT_CRACK_BRIDGE_PX,
                      crack_min_elongation: float = DEFAULT_CRACK_MIN_ELONGATION,
                      regions: list[Region] | None = None) -> list[Instance]:
    """Connected components of each defect class as :class:`Instance` objects in frame pixels.

    ``min_area`` (pixels, per class) drops specks; ``epsilon`` (pixels) bounds the outline's
    simplification: Douglas-Peucker with ``epsilon`` or OUTLINE_TOLERANCE_OF_WIDTH (0.35) x the
    component's mean width (2 x area / perimeter), whichever is less, kept only where the simplified
    ring is a valid polygon of 3+ points (else the unsimplified pixel-edge outline; 0: unsimplified;
    see :func:`outer_polygon`). Score is the mean confidence inside the component (1.0 without one).
    Crack pixels closer than ``crack_bridge_px`` are joined into one instance (outline and
    skeleton follow the bridged shape; the area counts only the segmented pixels). Crack components
    less elongated than ``crack_min_elongation`` (length/width, see :func:`crack_elongation`) are
    blobs, not cracks, and are dropped. ``regions``: see :func:`class_box`.
    """
    min_area = {**DEFAULT_MIN_AREA, **(min_area or {})}
    out: list[Instance] = []
    for cls in classes:
        # Work on the class's bounding box only (plus room for the closing): labelling a whole
        # 1280x960 frame costs ~6 ms, and defects usually cover a small part of it.
        bx, by, bw, bh = class_box(class_map, cls, regions)
        if bw == 0 or bh == 0:
            continue
        pad = crack_bridge_px if cls == CRACK else 0
        x0, y0 = max(bx - pad, 0), max(by - pad, 0)
        x1, y1 = min(bx + bw + pad, class_map.shape[1]), min(by + bh + pad, class_map.shape[0])
        mask = compare_scalar(class_map[y0:y1, x0:x1], cls, cv2.CMP_EQ)  # 255 on the class; & with 0/1 crops keeps 1
        shape = mask
        if cls == CRACK and crack_bridge_px > 1:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (crack_bridge_px, crack_bridge_px))
            # pad = the kernel's width >= twice its radius, so the closing inside the box is the
            # closing of the whole frame (what it dilates, it erodes back within the box)
            shape = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel) | mask
        n, labels, stats = label_components(shape)
        for i in range(1, n):
            x, y, w, h, _ = (int(v) for v in stats[i])
            crop = (labels[y:y + h, x:x + w] == i).astype(np.uint8)
            area = int((crop & mask[y:y + h, x:x + w]).sum())
            if area < min_area.get(cls, 0):
                continue
            offset = np.array([x + x0, y + y0], dtype=np.float64)
            skel = None
            if cls == CRACK:
                skel = crack_skeleton(crop)
                if crack_elongation(crop, skel) < crack_min_elongation:
                    continue
                skel = skel + offset
            poly = outer_polygon(crop, epsilon) + offset
            score = 1.0
            if confidence is not None:
                cy, cx = y + y0, x + x0
                score = float(np.clip(confidence[cy:cy + h, cx:cx + w][crop.astype(bool)].mean(), 0.0, 1.0))
            out.append(Instance(class_id=cls, score=score, polygon_px=poly, area_px=float(area),
                                skeleton_px=skel))
    return out


# The model's commonest confusion at a rust patch: its dark rim and the shadows of exposed bars are
# labelled crack. A crack component lying mostly (>= CRACK_FRINGE_MIN_FRACTION of its pixels)
# within CRACK_FRINGE_PX of corrosion is that rim and joins the corrosion; a real crack running out
# of a corroded area (rust jacking) has most of its length away from it and stays a crack.
# 30 % within 4 px: on the demo flight 3 px/50 % caught none of the rims (they sit 2-4 px off the
# patch across a bright halo); the real held-out corrosion split is the check that it generalises.
CRACK_FRINGE_PX = 4
CRACK_FRINGE_MIN_FRACTION = 0.3
CRACK_FRINGE_MIN_AREA_RATIO = 2.0


def absorb_crack_fringes(class_map: np.ndarray, fringe_px: int = CRACK_FRINGE_PX,
                         min_fraction: float = CRACK_FRINGE_MIN_FRACTION,
                         min_area_ratio: float = CRACK_FRINGE_MIN_AREA_RATIO,
                         regions: list[Region] | None = None) -> np.ndarray:
    """``class_map`` with crack components that hug a corrosion region at least ``min_area_ratio``
    times their own size relabelled corrosion (a new array; the input is left alone).
    Cost: one dilation and two labellings, inside the classes' bounding boxes. ``regions``: see
    :func:`class_box`."""
    # Everything runs inside bounding boxes (full-frame labelling and dilation cost ~5 ms each)
    cx, cy, cw, ch = class_box(class_map, CORROSION, regions)
    kx, ky, kw, kh = class_box(class_map, CRACK, regions)
    if cw == 0 or kw == 0:
        return class_map
    h, w = class_map.shape
    # corrosion box grown by the fringe: where "near corrosion" can be true
    gx0, gy0 = max(cx - fringe_px, 0), max(cy - fringe_px, 0)
    gx1, gy1 = min(cx + cw + fringe_px, w), min(cy + ch + fringe_px, h)
    ix0, iy0, ix1, iy1 = max(gx0, kx), max(gy0, ky), min(gx1, kx + kw), min(gy1, ky + kh)
    if ix0 >= ix1 or iy0 >= iy1:
        return class_map  # no crack pixel within reach of any corrosion
    nc, c_labels, c_stats = label_components(compare_scalar(class_map[gy0:gy1, gx0:gx1], CORROSION, cv2.CMP_EQ))
    if nc > 65535:
        return class_map
    k = 2 * fringe_px + 1
    # the largest-labelled corrosion component within fringe_px of each pixel (0: none)
    near_label = cv2.dilate(c_labels.astype(np.uint16, copy=False), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    n, labels = cv2.connectedComponents(compare_scalar(class_map[ky:ky + kh, kx:kx + kw], CRACK, cv2.CMP_EQ),
                                        connectivity=8)
    total = np.bincount(labels.ravel(), minlength=n)
    lab = labels[iy0 - ky:iy1 - ky, ix0 - kx:ix1 - kx]
    near = near_label[iy0 - gy0:iy1 - gy0, ix0 - gx0:ix1 - gx0]
    on_crack = lab > 0
    lab, near = lab[on_crack], near[on_crack]
    near_area = c_stats[:, cv2.CC_STAT_AREA][near]
    big = (near > 0) & (near_area >= min_area_ratio * total[lab])
    close = np.bincount(lab[big], minlength=n)
    absorb = close >= min_fraction * np.maximum(total, 1)
    absorb[0] = False
    if not absorb.any():
        return class_map
    out = class_map.copy()
    out[ky:ky + kh, kx:kx + kw][absorb[labels]] = CORROSION
    return out
