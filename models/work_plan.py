"""How much model work a frame takes, so that progress can be shown within one photo.

A 4000x2250 drone photo with segment's post-flight passes (the reduced pass, four flips, two enlarged
passes) takes a minute and more on 2 cores; a bar that moved per photo sat at 0 % all that time. The
model's passes are most of that time and each takes time in proportion to its input pixels, so a
frame's progress is counted in model input pixels: :func:`model_input_px` plans them from the frame's
size, :meth:`models.runtime.TiledSegmenter.watch_progress` reports them as each batch of tiles is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from models.tiling import tile_grid
from models.tta import scaled_size
from skyinspect.segmentation import CRACK

if TYPE_CHECKING:
    from models.runtime import TiledSegmenter


def model_input_px(seg: TiledSegmenter, height: int, width: int) -> int:
    """The model input pixels ``seg.segment`` passes through the model for a ``height`` x ``width``
    frame, over all its passes (the path TiledSegmenter takes, pass by pass)."""
    from models.runtime import STRIDE_PX

    def once(h: int, w: int, tile: int | None = None, overlap: int | None = None) -> int:
        if tile is None and seg.uses_whole_frame(h, w):  # one pass, padded to the stride and a tile
            ph = max(-(-h // STRIDE_PX) * STRIDE_PX, seg.input_size)
            pw = max(-(-w // STRIDE_PX) * STRIDE_PX, seg.input_size)
            return ph * pw
        grid = tile_grid(h, w, seg.input_size if tile is None else tile, seg.overlap if overlap is None else overlap)
        return len(grid) * seg.input_size ** 2  # each tile goes in at the model's input size

    total = 0
    if seg.wide_crack_scale and len(seg.classes) > CRACK:
        total += once(*scaled_size(height, width, seg.wide_crack_scale))
    total += seg.flips * once(height, width)
    if seg.upscale:
        bh, bw = scaled_size(height, width, seg.upscale)
        if seg.uses_whole_frame(bh, bw):
            total += seg.upscale_flips * once(bh, bw)
        else:
            tile = max(STRIDE_PX, round(seg.input_size / seg.upscale))
            total += seg.upscale_flips * once(height, width, tile, min(round(seg.overlap / seg.upscale), tile - 1))
    return total


class PhotoProgress:
    """Photos done, counting the share of each one in flight (``frame_progress`` is a segmenter's
    ``watch_progress`` hook, called from its worker threads), said to ``say`` as a float up to ``total``."""

    def __init__(self, say: Callable[[float], None], total: int) -> None:
        self._say, self._total = say, float(total)
        self._done = 0
        self._in_flight: dict[int, float] = {}  # id of a frame being segmented: the share of its work done
        self._lock = threading.Lock()

    def frame_progress(self, frame: np.ndarray, share: float) -> None:
        with self._lock:
            self._in_flight[id(frame)] = share
            self._tell()

    def photo_done(self, frame: np.ndarray | None = None) -> None:
        with self._lock:
            self._in_flight.pop(id(frame), None)
            self._done += 1
            self._tell()

    def _tell(self) -> None:
        """Said under the lock: two workers' values in the order they were reached, never back."""
        self._say(min(self._done + sum(self._in_flight.values()), self._total))
