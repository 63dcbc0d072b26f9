"""Pure tile-grid and stitch functions: run a fixed-size model over a frame of any size at native scale.

The model was trained on 384-px crops at native pixel scale; squashing a 4000x3000 frame to 384 would
shrink a 2-px crack to nothing. So frames are cut into overlapping tiles (edge tiles flush with the
frame border, frames smaller than a tile padded), and per-class outputs are stitched back.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import cv2
import numpy as np

from models.postprocess import cv_plane

StitchMode = Literal["blend", "centre"]


@dataclass(frozen=True)
class TileGrid:
    """Tile origins over a frame. ``height``/``width`` are the frame's; ``padded_*`` at least ``tile``."""

    height: int
    width: int
    tile: int
    overlap: int
    ys: tuple[int, ...]
    xs: tuple[int, ...]

    @property
    def padded_height(self) -> int:
        return max(self.height, self.tile)

    @property
    def padded_width(self) -> int:
        return max(self.width, self.tile)

    @property
    def origins(self) -> list[tuple[int, int]]:
        """(y0, x0) of every tile, row-major."""
        return [(y, x) for y in self.ys for x in self.xs]

    def __len__(self) -> int:
        return len(self.ys) * len(self.xs)


def _starts(length: int, tile: int, stride: int) -> tuple[int, ...]:
    """Tile starts along one axis; the last tile is flush with the end (overlap >= requested)."""
    if length <= tile:
        return (0,)
    starts = list(range(0, length - tile, stride))
    starts.append(length - tile)
    return tuple(starts)


def tile_grid(height: int, width: int, tile: int = 384, overlap: int = 64) -> TileGrid:
    """Grid of ``tile``-px tiles overlapping by at least ``overlap`` px, covering the whole frame."""
    if height <= 0 or width <= 0:
        raise ValueError(f"tile_grid: expected a positive frame size, got {height}x{width}")
    if not 0 <= overlap < tile:
        raise ValueError(f"tile_grid: expected 0 <= overlap < tile, got overlap={overlap} tile={tile}")
    stride = tile - overlap
    return TileGrid(height, width, tile, overlap, _starts(height, tile, stride), _starts(width, tile, stride))


def extract_tiles(image: np.ndarray, grid: TileGrid) -> np.ndarray:
    """Cut ``image`` (H, W[, C]) into (N, tile, tile[, C]); frames smaller than a tile are edge-reflected."""
    ph, pw = grid.padded_height - grid.height, grid.padded_width - grid.width
    if ph or pw:
        pad = [(0, ph), (0, pw)] + [(0, 0)] * (image.ndim - 2)
        # reflect keeps texture statistics at the border; constant padding reads as a hard edge (crack-like)
        mode = "reflect" if grid.height > 1 and grid.width > 1 else "edge"
        image = np.pad(image, pad, mode=mode)
    t = grid.tile
    return np.stack([image[y:y + t, x:x + t] for y, x in grid.origins])


def blend_weights(tile: int, overlap: int) -> np.ndarray:
    """(tile, tile) float32 weights: 1 in the centre, ramping linearly down across the overlap band.

    Never zero, so a pixel covered by a single tile (frame edges) still gets its value.
    """
    ramp = _blend_ramp(tile, overlap)
    return np.outer(ramp, ramp)


def _blend_ramp(tile: int, overlap: int) -> np.ndarray:
    """One axis of :func:`blend_weights`."""
    ramp = np.ones(tile, dtype=np.float32)
    if overlap > 0:
        r = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        ramp[:overlap] = r
        ramp[-overlap:] = np.minimum(ramp[-overlap:], r[::-1])
    return ramp


def _centre_bounds(starts: tuple[int, ...], tile: int, length: int) -> list[tuple[int, int]]:
    """Per tile, the [lo, hi) frame span it owns: boundaries at midpoints of neighbouring overlaps."""
    bounds = []
    for i, s in enumerate(starts):
        lo = 0 if i == 0 else (starts[i - 1] + tile + s) // 2
        hi = length if i == len(starts) - 1 else (s + tile + starts[i + 1]) // 2
        bounds.append((lo, hi))
    return bounds


@lru_cache(maxsize=32)
def _normalised_ramps(starts: tuple[int, ...], tile: int, overlap: int, length: int) -> tuple[np.ndarray, ...]:
    """Per tile along one axis, its blend ramp divided by the sum of all tiles' ramps there."""
    ramp = _blend_ramp(tile, overlap)
    total = np.zeros(length, dtype=np.float32)
    for s in starts:
        total[s:s + tile] += ramp
    return tuple(ramp / total[s:s + tile] for s in starts)


def normalised_weights(grid: TileGrid, k: int) -> np.ndarray:
    """(tile, tile) weights of the grid's tile ``k`` divided by the sum of every tile's weights over
    the frame: the stitched frame is then the sum of each output times its own weights (no
    frame-wide division afterwards). The weights and so their sum are separable (an outer product
    of ramps), so one ramp per tile row and column is kept between frames, and a 2-D array only per
    distinct pair (a 12 MPx frame's 130 tiles' own weights would take 77 MB)."""
    ny = _normalised_ramps(grid.ys, grid.tile, grid.overlap, grid.padded_height)
    nx = _normalised_ramps(grid.xs, grid.tile, grid.overlap, grid.padded_width)
    row, col = divmod(k, len(grid.xs))
    return _outer(ny[row].tobytes(), nx[col].tobytes())


@lru_cache(maxsize=32)
def _outer(ramp_y: bytes, ramp_x: bytes) -> np.ndarray:
    """Outer product of two float32 ramps, cached by their values: the tiles inside a grid share
    theirs, so a frame of any size has a handful (the first, inner, second-to-last and last rows and
    columns of tiles), kept between frames."""
    out = np.outer(np.frombuffer(ramp_y, np.float32), np.frombuffer(ramp_x, np.float32))
    out.flags.writeable = False  # shared between calls and threads
    return out


class Stitcher:
    """Accumulate per-tile outputs batch by batch into one (C, height, width) float32 frame.

    ``blend`` averages overlaps with :func:`blend_weights` (smooth seams, for probabilities);
    ``centre`` copies each tile's owned centre region (exact, no averaging). Adding batches as they
    come avoids concatenating all tile outputs first (a frame-sized copy).
    """

    def __init__(self, grid: TileGrid, channels: int, mode: StitchMode = "blend") -> None:
        if mode not in ("blend", "centre"):
            raise ValueError(f"stitch: expected mode 'blend' or 'centre', got {mode!r}")
        self.grid, self.channels, self.mode = grid, channels, mode
        ph, pw, t = grid.padded_height, grid.padded_width, grid.tile
        self._next = 0
        self._origins = grid.origins
        if mode == "centre":
            self._acc = np.empty((channels, ph, pw), dtype=np.float32)
            self._yb, self._xb = _centre_bounds(grid.ys, t, ph), _centre_bounds(grid.xs, t, pw)
        else:
            self._acc = np.zeros((channels, ph, pw), dtype=np.float32)

    def add(self, outputs: np.ndarray) -> None:
        """Add the next tiles' outputs, (n, C, tile, tile), in grid order."""
        n, c, th, tw = outputs.shape
        t = self.grid.tile
        if c != self.channels or th != t or tw != t or self._next + n > len(self.grid):
            raise ValueError(f"stitch: expected up to ({len(self.grid) - self._next}, {self.channels}, {t}, {t}) "
                             f"outputs, got {outputs.shape}")
        nx = len(self.grid.xs)
        for j in range(n):
            k = self._next + j
            y, x = self._origins[k]
            if self.mode == "centre":
                (y_lo, y_hi), (x_lo, x_hi) = self._yb[k // nx], self._xb[k % nx]
                self._acc[:, y_lo:y_hi, x_lo:x_hi] = outputs[j, :, y_lo - y:y_hi - y, x_lo - x:x_hi - x]
            else:  # in place, no temporaries: 0.03 ms a plane where numpy's `+= out * w` took 0.2
                w = normalised_weights(self.grid, k)
                for c in range(self.channels):
                    cv2.accumulateProduct(cv_plane(outputs[j, c]), w, self._acc[c, y:y + t, x:x + t])
        self._next += n

    def result(self) -> np.ndarray:
        if self._next != len(self.grid):
            raise ValueError(f"stitch: expected {len(self.grid)} tiles, got {self._next}")
        g = self.grid
        return self._acc[:, :g.height, :g.width]


def stitch(outputs: np.ndarray, grid: TileGrid, mode: StitchMode = "blend") -> np.ndarray:
    """Stitch per-tile outputs (N, C, tile, tile) back to (C, height, width) float32 (see :class:`Stitcher`)."""
    n, c, th, tw = outputs.shape
    if n != len(grid) or th != grid.tile or tw != grid.tile:
        raise ValueError(f"stitch: expected ({len(grid)}, C, {grid.tile}, {grid.tile}) outputs, got {outputs.shape}")
    stitcher = Stitcher(grid, c, mode)
    stitcher.add(outputs)
    return stitcher.result()
