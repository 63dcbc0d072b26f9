"""Pipeline FPS vs bare-model FPS on the same frames (goal: ratio >= 0.95).

Bare model: ``segmenter.segment`` in a loop over the frames, nothing else. Pipeline: the same frames
through ``onboard.runtime.run_onboard`` (capture thread → inference thread → tagging + JPEG/PNG +
fsync + SQLite commit in the recording thread) from a synthetic CAMERA_FEEDBACK .tlog, no drops.
The model is the shipped ONNX model (``models.load_segmenter``) unless ``--fake`` (or the model is
missing), frames are synthetic 640x480 unless ``--frames``. Writes JSON to bench/results/.

    .venv/bin/python bench/onboard_pipeline.py [--frames DIR] [--n 40] [--fake]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "onboard"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--fake", action="store_true", help="use the test double instead of the ONNX model")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "onboard_pipeline.json")
    args = parser.parse_args()

    from onboard_helpers import DarkPixelSegmenter
    from onboard_synth import flight_records, write_tlog

    from onboard.runtime import run_onboard
    from skyinspect.camera import CameraModel

    segmenter, model = DarkPixelSegmenter(), "fake-dark-pixels"
    if not args.fake:
        try:
            from models import load_segmenter

            segmenter, model = load_segmenter(), "shipped ONNX (models.load_segmenter)"
        except Exception as exc:  # noqa: BLE001 - bench still useful with the double
            print(f"model unavailable ({exc}); using the test double", file=sys.stderr)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        frames = root / "frames"
        frames.mkdir()
        images = []
        for i in range(args.n):
            img = rng.integers(80, 220, (args.height, args.width, 3), dtype=np.uint8)
            cv2.line(img, (rng.integers(0, args.width), 0), (rng.integers(0, args.width), args.height - 1), (20, 20, 20), 3)
            cv2.imwrite(str(frames / f"IMG_{i + 1}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
            images.append(cv2.imread(str(frames / f"IMG_{i + 1}.jpg")))
        tlog = write_tlog(root / "f.tlog", flight_records(duration_s=args.n * 0.5 + 5,
                                                         feedback_boot_s=[101 + 0.5 * k for k in range(args.n)]))
        camera = CameraModel.from_fov(args.width, args.height, 70.0)
        segmenter.segment(images[0])  # warm-up (session init, allocations)

        def bare() -> float:
            t0 = time.perf_counter()
            for img in images:
                segmenter.segment(img)
            return time.perf_counter() - t0

        # bare, pipeline, bare: the machine's other load drifts, so bracket the pipeline run
        before = bare()
        summary = run_onboard(frames, tlog, root / "rec", segmenter, camera, queue_size=4)
        bare_s = (before + bare()) / 2.0
    s = summary.stats
    bare_fps, pipe_fps = args.n / bare_s, s.recorded / s.elapsed_s
    result = {"frames": args.n, "size": [args.width, args.height], "model": model,
              "bare_model_fps": round(bare_fps, 3), "pipeline_fps": round(pipe_fps, 3),
              "ratio": round(pipe_fps / bare_fps, 3), "goal": 0.95, "recorded": s.recorded, "dropped": s.dropped,
              "pipeline_model_fps": round(s.model_fps, 3), "python": platform.python_version(),
              "machine": platform.machine(), "cpus": __import__("os").cpu_count()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
