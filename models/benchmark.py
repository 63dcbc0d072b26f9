"""CPU timing of the runtime: one 384 tile (ORT only) and whole frames through ``segment``.

Uses a real UAV75 frame (tiled up to the frame size) when shared data is present, else noise; noise
makes the postprocess slower than real frames (many specks), so say which was used.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from models.prepare import DEFAULT_SHARED


def _frame(h: int, w: int, shared: Path) -> tuple[np.ndarray, str]:
    src = shared / "cracks/uav75/images/DSC00552.jpg"
    img = cv2.imread(str(src), cv2.IMREAD_COLOR) if src.exists() else None
    if img is None:
        return np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8), "noise"
    reps = (-(-h // img.shape[0]), -(-w // img.shape[1]), 1)
    return np.ascontiguousarray(np.tile(img, reps)[:h, :w]), f"{src.name} tiled"


def benchmark(model: Path | None = None, sizes: tuple[tuple[int, int], ...] = ((960, 1280), (2250, 4000)),
              repeats: int = 5, shared: Path = DEFAULT_SHARED) -> dict[str, object]:
    """Median wall-clock seconds per tile and per frame (after one warm-up call)."""
    from models import load_segmenter

    seg = load_segmenter(model)
    t = seg.input_size
    x = np.random.default_rng(0).random((1, 3, t, t), dtype=np.float32)
    seg._session.run(None, {seg._input_name: x})
    tile_s = []
    for _ in range(repeats * 2):
        t0 = time.perf_counter()
        seg._session.run(None, {seg._input_name: x})
        tile_s.append(time.perf_counter() - t0)
    out: dict[str, object] = {"model_id": seg.model_id, "tile_px": t, "overlap_px": seg.overlap,
                              "batch_tiles": seg.batch_tiles, "sec_per_tile_ort": statistics.median(tile_s)}
    for h, w in sizes:
        img, what = _frame(h, w, shared)
        seg.segment(img)
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            res = seg.segment(img)
            runs.append(time.perf_counter() - t0)
        out[f"{w}x{h}"] = {"sec_per_frame": statistics.median(runs), "image": what,
                           "n_instances": len(res.instances)}
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m models.benchmark", description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=None)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args(argv)
    print(json.dumps(benchmark(a.model, repeats=a.repeats), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
