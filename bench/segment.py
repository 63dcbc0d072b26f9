"""Per-frame segmentation time: our runtime vs the bare model vs ultralytics' predict, one run.

For each frame: our ``segment`` split into preprocessing (padding or tiling + RGB/255 NCHW),
inference, stitching and postprocessing (class map → instances → polygons → skeletons) — one pass as
`skyinspect segment --flips 1` runs it (a 1280x960 frame goes through whole; ONNX Runtime threads may
busy-wait), with onboard's session settings (no busy-waiting), with segment's default four flipped
passes, and forced through 384-px tiles; the bare model time = ONNX
Runtime on exactly the same input (padded frame, or the same tiles and batches), nothing else; and ``ultralytics.YOLO(<same onnx>).predict`` on
the same frame, both at ``imgsz`` = the frame's own size (same pixels, no tiling) and at 384 (the
frame squashed to the model's training size, which loses thin cracks). Needs the `train` extra for
the ultralytics column (skipped with a note otherwise).

    python bench/segment.py --out bench/results/segment.json          # demo frames, 1280x960
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
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
    from models.runtime import to_model_input
    from models.tiling import extract_tiles, tile_grid

    h, w = image.shape[:2]
    if seg.uses_whole_frame(h, w):  # type: ignore[attr-defined]
        batches = [seg.whole_frame_input(image)]  # type: ignore[attr-defined]
    else:
        grid = tile_grid(h, w, seg.input_size, seg.overlap)  # type: ignore[attr-defined]
        tiles = extract_tiles(image, grid)
        batches = [to_model_input(tiles[i:i + seg.batch_tiles])  # type: ignore[attr-defined]
                   for i in range(0, len(tiles), seg.batch_tiles)]  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    for x in batches:
        seg._infer(x)  # type: ignore[attr-defined]
    return time.perf_counter() - t0


def _ultralytics_model(model: Path) -> object | str:
    try:
        os.environ.setdefault("YOLO_OFFLINE", "1")
        os.environ.setdefault("YOLO_AUTOINSTALL", "false")
        from ultralytics import YOLO
    except ImportError:
        return "ultralytics not installed (pip install -e '.[train]')"
    return YOLO(str(model), task="semantic")


def _time_ultralytics(yolo: object, img: np.ndarray, imgsz: int | None) -> dict[str, float]:
    size = imgsz or int(np.ceil(max(img.shape[:2]) / 32) * 32)
    t0 = time.perf_counter()
    r = yolo.predict(img, imgsz=size, verbose=False)[0]  # type: ignore[attr-defined]
    return {"wall_s": time.perf_counter() - t0, "preprocess_s": r.speed["preprocess"] / 1e3,
            "inference_s": r.speed["inference"] / 1e3, "postprocess_s": r.speed["postprocess"] / 1e3}


def _time_ours(seg: object, img: np.ndarray) -> dict[str, float]:
    t0 = time.perf_counter()
    seg.segment(img)  # type: ignore[attr-defined]
    wall = time.perf_counter() - t0
    t = seg.last_timing  # type: ignore[attr-defined]
    return {"wall_s": wall, "preprocess_s": t.preprocess_s, "inference_s": t.inference_s,
            "stitch_s": t.stitch_s, "postprocess_s": t.postprocess_s}


def _block(fn: Callable[[], dict[str, float]], repeats: int) -> dict[str, float]:
    """One warm-up call, then the median of ``repeats`` calls, per field: each session is timed
    warm, as in flight where one session runs frame after frame."""
    fn()
    samples = [fn() for _ in range(repeats)]
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def _paired(seg: object, img: np.ndarray, repeats: int) -> dict[str, float]:
    """:func:`_block` of our ``segment`` with the bare model timed *between* its calls (ours, bare,
    ours, bare, ...), so the two see the same machine: on this VM a block of one then a block of the
    other put 1-2 % of drift into the ratio, as much as the post-processing being measured."""
    _time_ours(seg, img)
    _bare_model_s(seg, img)
    samples = []
    for _ in range(repeats):
        row = _time_ours(seg, img)
        row["bare_model_s"] = _bare_model_s(seg, img)
        row["paired_ratio"] = row["wall_s"] / row["bare_model_s"]  # the two at the same moment
        samples.append(row)
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def _summarise(rows: list[dict[str, float]]) -> dict[str, float]:
    med = statistics.median
    out = {k: med(r[k] for r in rows) for k in rows[0]}
    if "bare_model_s" in out:
        # median wall over median bare; "paired_ratio" (where measured) is the median of each call's
        # ratio to the bare model timed right after it: what this VM's drift moves least
        out["ratio_to_bare_model"] = out["wall_s"] / out["bare_model_s"]
        out["postprocess_share"] = out["postprocess_s"] / out["wall_s"]
    return out


def run(n_frames: int, model: Path | None, repeats: int) -> dict[str, object]:
    """Frame by frame, every variant in turn (ours with its bare model timed between its calls, see
    ``_paired``; tiled likewise; ultralytics native, ultralytics 384), each warm (see ``_block``), so
    a change in machine load hits all columns alike; medians over frames."""
    from models import (DEFAULT_MODEL_PATH, CRACK_RIDGE_LOW, POST_FLIGHT_FLIPS, POST_FLIGHT_UPSCALE,
                        load_segmenter)
    model = model or DEFAULT_MODEL_PATH
    # as `skyinspect segment` runs it (threads may busy-wait: nothing else needs the cores), one
    # pass per frame: the same work as ultralytics' predict
    seg = load_segmenter(model, spin_wait=True)
    # copies of it (its session and every decision setting as load_segmenter made them), one setting
    # changed: the same frames forced through 384-px tiles (what 12 MPx frames and fixed-shape engines
    # get), and the same path without drawing crack masks onto dark pixels (models/refine.py)
    tiled, unrefined = copy.copy(seg), copy.copy(seg)
    tiled.whole_frame_max_px, unrefined.crack_refine = 0, None
    # onboard's settings (no busy-waiting: capture and recording share the cores) and segment's
    # default of four flipped passes
    onboard = load_segmenter(model)
    flips4 = load_segmenter(model, flips=4, spin_wait=True)
    # `skyinspect segment`'s default: four flips plus two over the frame enlarged 1.5x (session 9),
    # cracks continued along their probability ridge (session 13)
    post_flight = load_segmenter(model, flips=POST_FLIGHT_FLIPS, spin_wait=True, upscale=POST_FLIGHT_UPSCALE,
                                 crack_ridge_low=CRACK_RIDGE_LOW)
    yolo = _ultralytics_model(model)
    frames = _frames(n_frames)
    rows: dict[str, list[dict[str, float]]] = {"ours": [], "unrefined": [], "tiled": [], "native": [], "squashed": [],
                                               "onboard": [], "flips4": [], "post_flight": []}
    for img in frames:
        ours_row = _paired(seg, img, repeats)
        rows["ours"].append(ours_row)
        rows["onboard"].append(_paired(onboard, img, repeats))
        rows["flips4"].append(_block(lambda: _time_ours(flips4, img), repeats))
        rows["post_flight"].append(_block(lambda: _time_ours(post_flight, img), repeats))
        unrefined_row = _block(lambda: _time_ours(unrefined, img), repeats)
        unrefined_row["bare_model_s"] = ours_row["bare_model_s"]
        rows["unrefined"].append(unrefined_row)
        rows["tiled"].append(_paired(tiled, img, repeats))
        if not isinstance(yolo, str):
            rows["native"].append(_block(lambda: _time_ultralytics(yolo, img, None), repeats))
            rows["squashed"].append(_block(lambda: _time_ultralytics(yolo, img, seg.input_size), repeats))
    folder_fps = _folder_fps(seg, yolo, frames, repeats)
    ours, tiled_s, unrefined_s = _summarise(rows["ours"]), _summarise(rows["tiled"]), _summarise(rows["unrefined"])
    native = _summarise(rows["native"]) if rows["native"] else yolo
    squashed = _summarise(rows["squashed"]) if rows["squashed"] else yolo
    result: dict[str, object] = {
        "model_id": seg.model_id, "frames": len(frames), "frame_px": f"{frames[0].shape[1]}x{frames[0].shape[0]}",
        "repeats": repeats, "tile_px": seg.input_size, "overlap_px": seg.overlap, "batch_tiles": seg.batch_tiles,
        "whole_frame": seg.uses_whole_frame(*frames[0].shape[:2]),
        "ours": ours, "ours_onboard_no_spin_wait": _summarise(rows["onboard"]),
        "ours_four_flips": _summarise(rows["flips4"]),
        "ours_segment_default_four_flips_and_upscaled": _summarise(rows["post_flight"]),
        "ours_without_crack_refine": unrefined_s, "ours_tiled_384": tiled_s, "ultralytics_predict_native_imgsz": native,
        "ultralytics_predict_imgsz_384": squashed,
        "folder_fps": folder_fps, "parallel_workers": len(seg.parallel_workers()),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_avg_1min": os.getloadavg()[0]},
    }
    if isinstance(native, dict):
        result["ours_vs_ultralytics_native"] = ours["wall_s"] / native["wall_s"]
        result["ours_without_crack_refine_vs_ultralytics_native"] = unrefined_s["wall_s"] / native["wall_s"]
        result["ours_tiled_vs_ultralytics_native"] = tiled_s["wall_s"] / native["wall_s"]
        result["folder_fps_ours_parallel_vs_ultralytics"] = (folder_fps["ours_parallel_workers"]
                                                             / folder_fps["ultralytics_predict"])
    return result


def _folder_fps(seg: object, yolo: object | str, frames: list[np.ndarray], repeats: int) -> dict[str, float]:
    """Frames per second over the whole list, as a folder of photos is segmented: ours through
    ``segment_each`` (the segmenter's parallel workers, what `skyinspect segment` and replay run),
    ours one frame at a time, and ultralytics' predict one frame at a time (native imgsz);
    alternating rounds after a warm-up round, median per column."""
    from skyinspect.segmentation import segment_each

    def rate(run: Callable[[], None]) -> float:
        t0 = time.perf_counter()
        run()
        return len(frames) / (time.perf_counter() - t0)

    def parallel() -> None:
        for _ in segment_each(seg, frames, lambda f: f):  # type: ignore[arg-type]
            pass

    def one_at_a_time() -> None:
        for f in frames:
            seg.segment(f)  # type: ignore[attr-defined]

    def ultralytics() -> None:
        for f in frames:
            _time_ultralytics(yolo, f, None)

    columns: dict[str, Callable[[], None]] = {"ours_parallel_workers": parallel, "ours_one_at_a_time": one_at_a_time}
    if not isinstance(yolo, str):
        columns["ultralytics_predict"] = ultralytics
    samples: dict[str, list[float]] = {k: [] for k in columns}
    for round_ in range(repeats + 1):
        for name, run in columns.items():
            r = rate(run)
            if round_:  # the first round warms every path up
                samples[name].append(r)
    return {k: statistics.median(v) for k, v in samples.items()}


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
