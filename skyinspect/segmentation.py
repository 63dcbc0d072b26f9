"""What a segmenter returns for one frame: the class map and the instances found in it.

This is the checked type that crosses the boundary between the model runtimes (ONNX Runtime,
TensorRT) and everything downstream. Pixel coordinates are (x, y) = (column, row) in the full
frame, in pixels, with the origin at the top-left corner of the top-left pixel's centre.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np

BACKGROUND = 0
CRACK = 1
CORROSION = 2
CLASS_NAMES: tuple[str, ...] = ("background", "crack", "corrosion")


@dataclass(frozen=True, eq=False)
class Instance:
    """One connected defect region in one frame."""

    class_id: int
    score: float
    polygon_px: np.ndarray  # (N, 2) float, outer ring, x/y pixels
    area_px: float  # the mask's pixels (the ground station's area: these times a pixel's area on the surface)
    skeleton_px: np.ndarray | None = None  # (M, 2) float polyline (cracks), x/y pixels

    def __post_init__(self) -> None:
        poly = np.asarray(self.polygon_px, dtype=np.float64)
        if poly.ndim != 2 or poly.shape[1] != 2 or poly.shape[0] < 3:
            raise ValueError(f"Instance.polygon_px: expected (N>=3, 2) array, got shape {poly.shape}")
        object.__setattr__(self, "polygon_px", poly)
        if self.skeleton_px is not None:
            skel = np.asarray(self.skeleton_px, dtype=np.float64)
            if skel.ndim != 2 or skel.shape[1] != 2:
                raise ValueError(f"Instance.skeleton_px: expected (M, 2) array, got shape {skel.shape}")
            object.__setattr__(self, "skeleton_px", skel)
        if not 0.0 <= float(self.score) <= 1.0:
            raise ValueError(f"Instance.score: expected 0..1, got {self.score}")

    @property
    def class_name(self) -> str:
        return CLASS_NAMES[self.class_id]

    @property
    def bbox_px(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the polygon."""
        lo = self.polygon_px.min(axis=0)
        hi = self.polygon_px.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


@dataclass(frozen=True, eq=False)
class Segmentation:
    """Per-frame output of a segmenter.

    ``class_map`` is uint8 (H, W) with 0 background, 1 crack, 2 corrosion at the frame's own
    resolution; ``confidence`` (optional) is float32 (H, W), the winning class's probability.
    """

    class_map: np.ndarray
    instances: tuple[Instance, ...]
    model_id: str
    confidence: np.ndarray | None = None
    class_names: tuple[str, ...] = field(default=CLASS_NAMES)

    def __post_init__(self) -> None:
        cm = np.asarray(self.class_map)
        if cm.ndim != 2 or cm.dtype != np.uint8:
            raise ValueError(f"Segmentation.class_map: expected uint8 (H, W), got {cm.dtype} {cm.shape}")
        if self.confidence is not None and np.shape(self.confidence) != cm.shape:
            raise ValueError(
                f"Segmentation.confidence: expected shape {cm.shape}, got {np.shape(self.confidence)}"
            )
        object.__setattr__(self, "instances", tuple(self.instances))

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.class_map.shape[0]), int(self.class_map.shape[1])

    def mask(self, class_id: int) -> np.ndarray:
        """Boolean mask of one class."""
        return self.class_map == class_id


class Segmenter(Protocol):
    """What every model runtime (ONNX Runtime, TensorRT, a test double) provides."""

    model_id: str
    sha256: str

    def segment(self, image_bgr: np.ndarray) -> Segmentation:
        """Segment one uint8 BGR frame of any size at its full resolution."""
        ...


# what decides a segmenter's masks, recorded with what it produced (`skyinspect segment`'s JSON, the
# flight record's meta ``segmentation``)
SETTING_NAMES = ("model_id", "sha256", "flips", "upscale", "upscale_flips", "crack_ridge_low", "wide_crack_scale",
                 "prob_sharpen", "crack_refine", "crack_threshold", "corrosion_threshold")


def settings_of(segmenter: object) -> dict[str, object]:
    """The segmenter's :data:`SETTING_NAMES` (None where it has no such setting), JSON-ready."""
    def plain(v: object) -> object:
        return list(v) if isinstance(v, tuple) else v

    return {name: plain(getattr(segmenter, name, None)) for name in SETTING_NAMES}


T = TypeVar("T")


def segment_each(segmenter: Segmenter, items: Iterable[T], image_of: Callable[[T], np.ndarray],
                 workers: int | None = None) -> Iterator[tuple[T, Segmentation | Exception]]:
    """``(item, segmentation)`` for each item, in order, segmented by the segmenter's
    ``parallel_workers`` (``workers`` of them; None: as many as pay off, e.g. two one-thread ONNX
    Runtime workers on a 2-core CPU, ~1.3-1.5x the frames per second of one) when it has them,
    else one at a time. At most two items per worker are in flight, so memory stays bounded on
    long videos. A segmenter error comes back in place of that item's segmentation (the caller
    knows which item failed and decides); an error from ``items`` or ``image_of`` is raised. Closed
    early (Ctrl-C, the caller's error), it stops the items in flight through the workers'
    ``interrupt()`` where they have one (models.runtime.TiledSegmenter), and ``resume()``s them."""
    import queue
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    pool = list(getattr(segmenter, "parallel_workers", lambda _n: [segmenter])(workers)) or [segmenter]
    if len(pool) == 1:
        for item in items:
            image = image_of(item)
            try:
                result: Segmentation | Exception = pool[0].segment(image)
            except Exception as exc:  # noqa: BLE001 - handed to the caller with its item
                result = exc
            yield item, result
        return
    free: queue.SimpleQueue = queue.SimpleQueue()
    for worker in pool:
        free.put(worker)

    def run(image: np.ndarray) -> Segmentation:
        worker = free.get()
        try:
            return worker.segment(image)
        finally:
            free.put(worker)

    def outcome(future: Future) -> Segmentation | Exception:
        exc = future.exception()
        return exc if isinstance(exc, Exception) else future.result()

    pending: deque[tuple[T, Future]] = deque()
    executor = ThreadPoolExecutor(len(pool), thread_name_prefix="segment")
    def first() -> tuple[T, Segmentation | Exception]:
        """The oldest item's outcome; the item is left pending until it has one (Ctrl-C while waiting)."""
        done, future = pending[0]
        result = outcome(future)
        pending.popleft()
        return done, result

    try:
        for item in items:
            pending.append((item, executor.submit(run, image_of(item))))
            if len(pending) >= 2 * len(pool):
                yield first()
        while pending:
            yield first()
    finally:
        for _, future in pending:  # the caller stopped early (Ctrl-C) or an item failed
            future.cancel()
        # the items in flight are stopped at their next model pass where the workers can be (interrupt):
        # else the stop waited for them to be segmented to the end (a minute and more a drone photo)
        in_flight = any(not f.done() for _, f in pending)
        stopped = [w for w in pool if in_flight and hasattr(w, "interrupt")]
        for worker in stopped:
            worker.interrupt()
        executor.shutdown(wait=True)
        for worker in stopped:
            worker.resume()
