"""Per-frame segmentation time: our runtime vs the bare model vs ultralytics' predict, one run.

For each frame: our ``segment`` split into preprocessing (padding or tiling + RGB/255 NCHW),
inference, stitching and postprocessing (class map → instances → polygons → skeletons) — as shipped
(a 1280x960 frame goes through whole) and forced through 384-px tiles; the bare model time = ONNX
Runtime on exactly the same input (padded frame, or the same tiles and batches), nothing else; and ``ultralytics.YOLO(<same onnx>).predict`` on
the same frame, both at ``imgsz`` = the frame's own size (same pixels, no tiling) and at 384 (the
frame squashed to the model's training size, which loses thin cracks). Needs the `train` extra for
the ultralytics column (skipped with a note otherwise).

    python bench/segment.py --out bench/results/segment.json          # demo frames, 1280x960
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def _frames(n: int) -> list[np.ndarray]:
    from missions.simulator import SimConfig, simulate

    work = Path(tempfile.mkdtemp(prefix="skyinspect-bench-seg-"))
    simulate(work, SimConfig(), progress=False)
    paths = sorted((work / "frames").glob("*.jpg"))
    step = max(1, len(paths) // n)
    return [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in paths[::step][:n]]


def _bare_model_s(seg: object, image: np.ndarray) -> float:
    """ONNX Runtime alone on the input ``segment`` uses: the padded whole frame, or the same tiles
    and batches (inputs prepared beforehand)."""
    from models.runtime import STRIDE_PX, to_model_input
    from models.tiling import extract_tiles, tile_grid

    h, w = image.shape[:2]
    if seg.uses_whole_frame(h, w):  # type: ignore[attr-defined]
        ph = max(-(-h // STRIDE_PX) * STRIDE_PX, seg.input_size)  # type: ignore[attr-defined]
        pw = max(-(-w // STRIDE_PX) * STRIDE_PX, seg.input_size)  # type: ignore[attr-defined]
        batches = [to_model_input(np.pad(image, ((0, ph - h), (0, pw - w), (0, 0)), mode="reflect")[None])]
    else:
        grid = tile_grid(h, w, seg.input_size, seg.overlap)  # type: ignore[attr-defined]
        tiles = extract_tiles(image, grid)
        batches = [to_model_input(tiles[i:i + seg.batch_tiles])  # type: ignore[attr-defined]
                   for i in range(0, len(tiles), seg.batch_tiles)]  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    for x in batches:
        seg._infer(x)  # type: ignore[attr-defined]
    return time.perf_counter() - t0


def _ultralytics(model: Path, frames: list[np.ndarray], imgsz: int | None) -> dict[str, float] | str:
    try:
        os.environ.setdefault("YOLO_OFFLINE", "1")
        os.environ.setdefault("YOLO_AUTOINSTALL", "false")
        from ultralytics import YOLO
    except ImportError:
        return "ultralytics not installed (pip install -e '.[train]')"
    yolo = YOLO(str(model), task="semantic")
    walls, pre, inf, post = [], [], [], []
    for img in frames:
        size = imgsz or int(np.ceil(max(img.shape[:2]) / 32) * 32)
        yolo.predict(img, imgsz=size, verbose=False)  # warm-up at this size
        t0 = time.perf_counter()
        r = yolo.predict(img, imgsz=size, verbose=False)[0]
        walls.append(time.perf_counter() - t0)
        pre.append(r.speed["preprocess"] / 1e3)
        inf.append(r.speed["inference"] / 1e3)
        post.append(r.speed["postprocess"] / 1e3)
    med = statistics.median
    return {"wall_s": med(walls), "preprocess_s": med(pre), "inference_s": med(inf), "postprocess_s": med(post)}


def _ours(seg: object, frames: list[np.ndarray], repeats: int) -> dict[str, float]:
    rows = []
    for img in frames:
        seg.segment(img)  # warm-up
        walls, bare, timings = [], [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            seg.segment(img)
            walls.append(time.perf_counter() - t0)
            timings.append(seg.last_timing)
            bare.append(_bare_model_s(seg, img))
        med = statistics.median
        rows.append({"wall_s": med(walls), "bare_model_s": med(bare),
                     "preprocess_s": med(t.preprocess_s for t in timings),
                     "inference_s": med(t.inference_s for t in timings),
                     "stitch_s": med(t.stitch_s for t in timings),
                     "postprocess_s": med(t.postprocess_s for t in timings)})
    med = statistics.median
    ours = {k: med(r[k] for r in rows) for k in rows[0]}
    ours["ratio_to_bare_model"] = ours["wall_s"] / ours["bare_model_s"]
    ours["postprocess_share"] = ours["postprocess_s"] / ours["wall_s"]
    return ours


def run(n_frames: int, model: Path | None, repeats: int) -> dict[str, object]:
    from models import DEFAULT_MODEL_PATH, load_segmenter
    from models.runtime import OnnxSegmenter

    model = model or DEFAULT_MODEL_PATH
    seg = load_segmenter(model)
    frames = _frames(n_frames)
    ours = _ours(seg, frames, repeats)
    # the same frames forced through 384-px tiles (what 12 MPx frames and fixed-shape engines get)
    tiled = _ours(OnnxSegmenter(model, whole_frame_max_px=0), frames, repeats)
    native = _ultralytics(model, frames, None)
    squashed = _ultralytics(model, frames, seg.input_size)
    result: dict[str, object] = {
        "model_id": seg.model_id, "frames": len(frames), "frame_px": f"{frames[0].shape[1]}x{frames[0].shape[0]}",
        "repeats": repeats, "tile_px": seg.input_size, "overlap_px": seg.overlap, "batch_tiles": seg.batch_tiles,
        "whole_frame": seg.uses_whole_frame(*frames[0].shape[:2]),
        "ours": ours, "ours_tiled_384": tiled, "ultralytics_predict_native_imgsz": native, "ultralytics_predict_imgsz_384": squashed,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_avg_1min": os.getloadavg()[0]},
    }
    if isinstance(native, dict):
        result["ours_vs_ultralytics_native"] = ours["wall_s"] / native["wall_s"]
        result["ours_tiled_vs_ultralytics_native"] = tiled["wall_s"] / native["wall_s"]
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path("bench/results/segment.json"))
    p.add_argument("--frames", type=int, default=8)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--model", type=Path, default=None)
    a = p.parse_args()
    result = run(a.frames, a.model, a.repeats)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
