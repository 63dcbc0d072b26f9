"""Where the onboard pipeline's helper threads spend their CPU per frame, stage by stage, measured in
isolation (``time.thread_time`` of one thread, so other processes' load changes it less than a rate).

On 2 saturated cores the pipeline keeps about model CPU / (model CPU + helper CPU) of the bare
model's rate (bench/onboard_pipeline.py), so these are the numbers that bound it. The frames are the
pipeline bench's kind (640x480 uniform-noise JPEGs with a dark line, quality 90); the capture path
is the replay's (``ImageFolderSource`` read + cut-short check + decode, frame-size check); the
recording path is the replay tagger (CAMERA_FEEDBACK) + ``FlightRecordWriter.add_frame`` with the
shipped model's segmentations of 16 of the frames, cycled (``--fake``: the test double's), committed
``--commit-frames`` at a time as the pipeline does (``onboard.pipeline.COMMIT_FRAMES``). Each
stage is the thread CPU inside the function named; "other" is the rest of the path.

    .venv/bin/python bench/onboard_stages.py [--n 200] [--reps 3] [--fake] [--commit-frames 1]
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
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
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--reps", type=int, default=3, help="passes; the median of each stage is reported")
    parser.add_argument("--fake", action="store_true", help="segment with the test double, not the ONNX model")
    parser.add_argument("--commit-frames", type=int, default=None,
                        help="frames per commit, as the pipeline's group commit (default: its COMMIT_FRAMES, 1: "
                             "a commit per frame; 4: the groups tried in session 23)")
    args = parser.parse_args()

    import skyinspect.jpeg
    import skyinspect.photo
    import skyinspect.record.writer as writer
    from onboard.pipeline import COMMIT_FRAMES
    from onboard.replay import plan_replay
    from onboard.runtime import ReplayTagger, _calibrated_size
    from onboard_helpers import DarkPixelSegmenter
    from onboard_pipeline import feedback_tlog, noise_frame
    from skyinspect.camera import CameraModel

    cv2.setNumThreads(1)  # as the pipeline runs OpenCV
    spent: dict[str, float] = {}

    def timed(module: object, name: str, stage: str) -> None:
        inner = getattr(module, name)

        @functools.wraps(inner)
        def wrapper(*a: object, **k: object) -> object:
            t0 = time.thread_time()
            try:
                return inner(*a, **k)
            finally:
                spent[stage] = spent.get(stage, 0.0) + time.thread_time() - t0

        setattr(module, name, wrapper)

    timed(skyinspect.photo, "read_file_bytes", "file read")
    timed(skyinspect.jpeg, "jpeg_cut_short", "JPEG cut-short check")
    timed(cv2, "imdecode", "JPEG decode")
    timed(cv2, "imencode", "mask encode")  # TIFF PackBits since session 25 (PNG before)
    timed(writer, "frame_stats", "drift statistics")
    timed(writer, "_write_atomic", "image + mask files (write, fsync, rename)")
    timed(writer, "fsync_dir", "folder fsyncs (once a commit)")
    timed(writer, "points_to_json", "polygons to JSON")

    commit_frames = max(1, args.commit_frames or COMMIT_FRAMES)
    segmenter = DarkPixelSegmenter()
    if not args.fake:
        from models import load_segmenter

        segmenter = load_segmenter()
    rng = np.random.default_rng(0)
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        frames = root / "frames"
        frames.mkdir()
        for i in range(args.n):  # as bench/onboard_pipeline.py --frames noise
            cv2.imwrite(str(frames / f"IMG_{i + 1}.jpg"), noise_frame(rng, 640, 480), [cv2.IMWRITE_JPEG_QUALITY, 90])
        tlog = feedback_tlog(root / "f.tlog", args.n)
        camera = CameraModel.from_fov(640, 480, 70.0)
        plan = plan_replay(frames, tlog)
        source = _calibrated_size(plan.source, plan.source, camera)
        segs = [segmenter.segment(cv2.imread(str(frames / f"IMG_{i + 1}.jpg"))) for i in range(min(16, args.n))]
        list(source)  # the files in the page cache, as a pass of the pipeline bench finds them
        for rep in range(args.reps):
            spent.clear()
            t0 = time.thread_time()
            captured = list(source)
            capture = time.thread_time() - t0
            row = {"capture total": capture, **spent, "capture other": capture - sum(spent.values())}
            spent.clear()
            tagger = ReplayTagger(plan.buffer, plan.events, plan.telemetry_time_s)
            with writer.FlightRecordWriter(root / f"rec{rep}", camera, segmenter.model_id, segmenter.sha256) as w:
                tagging, t0 = 0.0, time.thread_time()
                for k, frame in enumerate(captured):
                    t1 = time.thread_time()
                    pose = tagger(frame)
                    tagging += time.thread_time() - t1
                    w.add_frame(frame.index, pose.time_utc_s, frame.image_bgr, pose, segs[k % len(segs)],
                                jpeg_bytes=frame.jpeg_bytes, commit=False)
                    if (k + 1) % commit_frames == 0:  # as the pipeline commits (at full rate: by count)
                        w.commit()
                w.commit()
                record = time.thread_time() - t0
            row.update({"record total": record, "tagging": tagging, **spent,
                        "SQLite statements, commit and the rest": record - tagging - sum(spent.values())})
            for key, value in row.items():
                results.setdefault(key, []).append(value / len(captured) * 1e3)
    import os

    out = {"frames": args.n, "reps": args.reps, "model": "fake" if args.fake else "shipped ONNX",
           "commit_frames": commit_frames,
           "thread_cpu_ms_per_frame": {k: round(statistics.median(v), 3) for k, v in results.items()},
           "load_avg": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
