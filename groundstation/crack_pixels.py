"""Where a detection's crack pixels are: read back from the flight record's class masks.

The length (groundstation.crack_length) draws a crack from its mask's pixels, not from its outline:
a 1-2 px crack's outline, simplified by about a pixel, cuts off what it bends around. Both are given
in undistorted normalised image coordinates, so that the homography from the outline to its
georeferenced points carries the pixels onto the surface.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol

import cv2
import numpy as np

from models.postprocess import DEFAULT_CRACK_BRIDGE_PX
from skyinspect.findings import Detection
from skyinspect.segmentation import CRACK

OUTLINE_REACH_PX = 2  # the outline is the instance's bridged shape simplified by about a pixel


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
        crack = _own_pixels(inside.astype(bool) & (mask[y0:y1, x0:x1] == CRACK), poly - [x0, y0])
        rows, cols = np.nonzero(crack)
        if len(rows) == 0:
            return None
        pixels = np.stack([cols + x0, rows + y0], axis=1).astype(np.float64)
        return self._normalised(poly), self._normalised(pixels)


def _own_pixels(crack: np.ndarray, outline_px: np.ndarray) -> np.ndarray:
    """Of the crack pixels inside an instance's outline, those of the instance: the components the
    post-processing's bridging joins (``extract_instances``) that reach the outline. The outline of a
    crack that splits and rejoins encloses what lies between its branches, and a crack speck there (no
    instance of its own) or another crack (its own instance, its own finding) is not this crack. An
    outline that no component reaches (one not drawn by the post-processing) keeps the largest."""
    u8 = crack.astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (DEFAULT_CRACK_BRIDGE_PX, DEFAULT_CRACK_BRIDGE_PX))
    shape = cv2.morphologyEx(u8, cv2.MORPH_CLOSE, kernel) | u8
    n, labels = cv2.connectedComponents(shape, connectivity=8)
    if n <= 2:
        return crack
    band = np.zeros_like(u8)
    cv2.polylines(band, [np.round(outline_px).astype(np.int32)], True, 1, thickness=2 * OUTLINE_REACH_PX + 1)
    reached = np.unique(labels[(band > 0) & (shape > 0)])
    reached = reached[reached > 0]
    if len(reached) == 0:
        counts = np.bincount(labels[crack], minlength=n)
        counts[0] = 0
        reached = np.array([int(np.argmax(counts))])
    return crack & np.isin(labels, reached)
