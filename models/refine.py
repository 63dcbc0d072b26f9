"""Crack masks drawn back onto the dark pixels of the image (torch-free, numpy + OpenCV).

The network's crack logits come at stride 8 and are upsampled x8, so a 2-px hairline comes out as a
4-6 px band and a wide crack's mask spills over its edges. A crack is darker than the concrete
around it: inside each predicted crack component we keep the pixels whose black-hat response (how
much darker a pixel is than a morphological closing of its neighbourhood) reaches a share of that
component's own strong response, and send the rest to background. The share is relative to each
component, so a faint hairline and a wide open crack are treated alike. Nothing is added that the
model did not predict, and the predicted band's centreline always stays, so a crack keeps its full
length (and stays one instance) where its faint end is less dark than the rest.

Settings chosen on validation data only (UAV75 val and the DeepCrack val hold-out); numbers in
models/MODEL_CARD.md ("Crack masks drawn onto dark pixels").
"""

from __future__ import annotations

import cv2
import numpy as np

from models.postprocess import Region, class_box, compare_scalar, label_components, thin_mask
from skyinspect.segmentation import CRACK

# Side of the closing's square window: must exceed the crack's width in pixels (a closing fills
# dark structures narrower than the window; under ~31 px DeepCrack's open cracks were cut; wider
# cracks get their own, WIDE_CRACK_WINDOW_PER_WIDTH). 61 px is
# the middle of a 51-71 px plateau on validation, and costs about what 15 px does (a square window
# is separable).
DEFAULT_REFINE_KERNEL_PX = 61
# A predicted crack wider than the window / this (its area over its centreline's length) gets a
# window of its own this many times its width: a wide open crack seen close up (30-100 px) is wider
# than the 61-px window and the closing would leave its inside "not dark" (session 14).
WIDE_CRACK_WINDOW_PER_WIDTH = 3.0
# A crack pixel stays when its darkness reaches this share of its component's 90th percentile.
DEFAULT_REFINE_KEEP_SHARE = 0.5
_PERCENTILE = 90.0
# What the runtime applies unless told otherwise: (closing window px, keep share)
DEFAULT_CRACK_REFINE: tuple[int, float] = (DEFAULT_REFINE_KERNEL_PX, DEFAULT_REFINE_KEEP_SHARE)


def _per_label_percentile(values: np.ndarray, labels: np.ndarray, n: int, q: float) -> np.ndarray:
    """``q``-th percentile (nearest rank) of ``values`` within each label 0..n-1 (0 where empty)."""
    order = np.lexsort((values, labels))
    v, lab = values[order], labels[order]
    counts = np.bincount(lab, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    idx = starts + np.floor((counts - 1).clip(min=0) * q / 100.0).astype(np.int64)
    out = np.zeros(n, dtype=np.float32)
    has = counts > 0
    out[has] = v[idx[has]]
    return out


def _centrelines(labels: np.ndarray, stats: np.ndarray) -> np.ndarray:
    """Skeleton of every labelled component, thinned inside its own bounding box (the boxes of a
    frame's cracks cover far less than the box around all of them)."""
    line = np.zeros(labels.shape, dtype=bool)
    for i in range(1, len(stats)):
        x, y, w, h = (int(v) for v in stats[i, :4])
        crop = labels[y:y + h, x:x + w] == i
        line[y:y + h, x:x + w] |= thin_mask(crop)
    return line


def component_widths(labels: np.ndarray, stats: np.ndarray, line: np.ndarray | None = None) -> np.ndarray:
    """Width in pixels of each labelled component (index = label; 0 is background): its area over
    its centreline's pixel count (``line``, the components' :func:`_centrelines`, thinned here when
    not given). The crack width both the wide-crack window and models.wide go by."""
    if line is None:
        line = _centrelines(labels, stats)
    n = len(stats)
    length = np.bincount(labels[line], minlength=n)[:n]
    return stats[:, cv2.CC_STAT_AREA] / np.maximum(length, 1)


def _darkness_of_wide_cracks(dark: np.ndarray, lab: np.ndarray, xs: np.ndarray, ys: np.ndarray, image_bgr: np.ndarray,
                             labels: np.ndarray, stats: np.ndarray, line: np.ndarray, kernel_px: int) -> None:
    """Overwrite ``dark`` (the black-hat at the crack pixels, frame coordinates ``xs``, ``ys``,
    component ``lab``) for each component wider than ``kernel_px / WIDE_CRACK_WINDOW_PER_WIDTH``
    with a black-hat of a window WIDE_CRACK_WINDOW_PER_WIDTH times its width, over its own box.
    Widths: :func:`component_widths`."""
    width = component_widths(labels, stats, line)
    wide = np.flatnonzero(WIDE_CRACK_WINDOW_PER_WIDTH * width > kernel_px)
    H, W = image_bgr.shape[:2]
    for i in wide[wide > 0]:
        mine = lab == i
        px, py = xs[mine], ys[mine]
        # a window wider than the component's box fills no more than one as wide
        k = int(min(np.ceil(WIDE_CRACK_WINDOW_PER_WIDTH * width[i]), 2 * (np.ptp(px) + np.ptp(py)) + 3)) | 1
        pad = k // 2 + 1
        x0, y0 = max(int(px.min()) - pad, 0), max(int(py.min()) - pad, 0)
        x1, y1 = min(int(px.max()) + 1 + pad, W), min(int(py.max()) + 1 + pad, H)
        region = image_bgr[y0:y1, x0:x1]
        gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
        dark[mine] = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, kernel, borderType=cv2.BORDER_REPLICATE)[
            py - y0, px - x0].astype(np.float32)


def refine_cracks(class_map: np.ndarray, image_bgr: np.ndarray, kernel_px: int = DEFAULT_REFINE_KERNEL_PX,
                  keep_share: float = DEFAULT_REFINE_KEEP_SHARE, keep_centreline: bool = True,
                  regions: list[Region] | None = None) -> np.ndarray:
    """``class_map`` with crack pixels that are not dark enough for their component sent to
    background (a new array when anything changes; the input is left alone).

    ``image_bgr`` is the frame the class map was predicted from (same height and width; uint8 BGR
    or grey). Cost: one black-hat over the cracks' padded bounding box and one labelling, and one
    black-hat over its own box for each crack wider than the window allows (see
    WIDE_CRACK_WINDOW_PER_WIDTH). ``regions``: see :func:`models.postprocess.class_box`."""
    if class_map.shape != image_bgr.shape[:2]:
        raise ValueError(f"class map {class_map.shape} and image {image_bgr.shape[:2]} differ in size; "
                         "pass the frame the class map was predicted from")
    x, y, w, h = class_box(class_map, CRACK, regions)
    if w == 0 or kernel_px < 3 or keep_share <= 0:
        return class_map
    pad = kernel_px // 2 + 1
    H, W = class_map.shape
    x0, y0, x1, y1 = max(x - pad, 0), max(y - pad, 0), min(x + w + pad, W), min(y + h + pad, H)
    region = image_bgr[y0:y1, x0:x1]
    gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (kernel_px, kernel_px))
    darkness = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, kernel, borderType=cv2.BORDER_REPLICATE)
    crack = compare_scalar(class_map[y:y + h, x:x + w], CRACK, cv2.CMP_EQ)  # 255 on crack, no bool temporary
    n, labels, stats = label_components(crack)
    # crack pixels as coordinates inside the box: OpenCV's scan is ~20x numpy's nonzero on a
    # frame-wide box holding a few thousand crack pixels
    xy = cv2.findNonZero(crack).reshape(-1, 2)
    xs, ys = xy[:, 0], xy[:, 1]
    lab = labels[ys, xs].astype(np.int64)
    dark = darkness[ys + (y - y0), xs + (x - x0)].astype(np.float32)
    line = _centrelines(labels, stats)
    _darkness_of_wide_cracks(dark, lab, xs + x, ys + y, image_bgr, labels, stats, line, kernel_px)
    strong = _per_label_percentile(dark, lab, n, _PERCENTILE)
    drop = dark < keep_share * strong[lab]
    if keep_centreline:
        drop &= ~line[ys, xs]
    if not drop.any():
        return class_map
    out = class_map.copy()
    out[ys[drop] + y, xs[drop] + x] = 0
    return out


def extend_along_ridges(class_map: np.ndarray, crack_prob: np.ndarray, low: float,
                        corrosion: int | None = None, regions: list[Region] | None = None) -> np.ndarray:
    """``class_map`` with each crack continued along the one-pixel ridge of its weaker crack
    probability: the regions where the crack probability reaches ``low`` (below the argmax's) and
    that touch a crack are thinned, and their skeleton pixels that are background become crack (a
    hysteresis on the skeleton, as Canny's on edges). A faint stretch the argmax breaks off, often a
    crack's far end, is drawn as a line, not a band: length comes back, width does not grow. A new
    array when anything changes; ``corrosion``: the class id the ridges may not cross; ``regions``
    (models.regions.defect_regions down to ``low`` or lower): work inside them only (the same
    result: every pixel that reaches ``low`` lies in one, and a connected stretch in one only)."""
    out = class_map
    for rows, cols in [(slice(None), slice(None))] if regions is None else regions:
        for y, x, add in _ridge_lines(class_map[rows, cols], crack_prob[rows, cols], low, corrosion):
            if out is class_map:
                out = class_map.copy()
            y0, x0 = (rows.start or 0) + y, (cols.start or 0) + x
            out[y0:y0 + add.shape[0], x0:x0 + add.shape[1]][add] = CRACK
    return out


def _ridge_lines(class_map: np.ndarray, crack_prob: np.ndarray, low: float,
                 corrosion: int | None) -> list[tuple[int, int, np.ndarray]]:
    """(y, x, boolean mask) of each ridge stretch :func:`extend_along_ridges` adds, at its box's
    top-left corner in ``class_map``."""
    crack = compare_scalar(class_map, CRACK, cv2.CMP_EQ)
    if not cv2.countNonZero(crack):
        return []
    # in OpenCV's primitives, and the touched labels read at the crack pixels only: the frame-wide
    # numpy masks cost as much again (demo frames, 1280x960)
    weak = compare_scalar(crack_prob, float(low), cv2.CMP_GE)
    if corrosion is not None:
        weak = cv2.bitwise_and(weak, compare_scalar(class_map, corrosion, cv2.CMP_NE))
    weak = cv2.bitwise_or(weak, crack)
    n, labels, stats = label_components(weak)
    xy = cv2.findNonZero(crack).reshape(-1, 2)
    touched = np.unique(labels[xy[:, 1], xy[:, 0]])
    lines = []
    for i in touched[touched > 0]:
        x, y, w, h = (int(v) for v in stats[i, :4])
        add = thin_mask(labels[y:y + h, x:x + w] == i) & (class_map[y:y + h, x:x + w] == 0)
        if add.any():
            lines.append((y, x, add))
    return lines
