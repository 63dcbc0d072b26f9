"""The ground station at inspection scale: a synthetic flight record of N frames, processed stage by stage.

A real bridge inspection is 2,000-10,000 photos and hundreds of findings; the demo is 55 frames and 16.
This writes a record directly with ``skyinspect.record.FlightRecordWriter`` (no simulator, no model):
lanes of level frames 2 m from the test face of tests/groundstation/gs_fixtures.py, stepping north
0.3 m (about six views of each point per lane), one lane every 1 m up, flown back and forth; cracks
(wandering, so not joint-like) and rust patches scattered over the face at ``--defects-per-m`` per
metre of lane, each drawn into the frames that see it whole (polygon, skeleton and class mask). Then
``groundstation.pipeline.process`` runs on it in a child process (its own peak memory), and the
seconds of each stage, the peak RSS and the products' sizes (report.pdf pages, map.html) are
reported per size. Look for a stage whose time grows faster than the frames.

    .venv/bin/python bench/process_scale.py [--frames 250 1000] [--lanes 5] [--keep DIR]

Writes JSON to bench/results/process_scale.json. Default run: about 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "groundstation"))  # gs_fixtures: the test face and its camera

STEP_M = 0.3
LANE_GAP_M = 1.0

# Runs in the child: process() with its stage timings, then the child's own peak RSS.
CHILD = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from groundstation.pipeline import process
from skyinspect.surfaces.io import load_surface
t = time.perf_counter()
s = process(Path(sys.argv[1]), Path(sys.argv[2]), load_surface(Path(sys.argv[3])), progress=False)
print(json.dumps({"process_s": round(time.perf_counter() - t, 2), "seconds_by_stage": s.seconds_by_stage,
                  "detections": s.detections, "findings": s.findings,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def build_record(folder: Path, frames: int, lanes: int, defects_per_m: float, seed: int = 1) -> dict[str, object]:
    """A flight record of ``frames`` frames in ``lanes`` lanes (and its surface file beside it)."""
    import cv2
    import numpy as np
    from gs_fixtures import (CAMERA, FLY_HEIGHT_M, MODEL_ID, corrosion_on_face, crack_on_face, face_surface,
                             instance_for, pose_at)

    from skyinspect.record import FlightRecordWriter
    from skyinspect.segmentation import Segmentation

    rng = np.random.default_rng(seed)
    per_lane = -(-frames // lanes)
    length, height = per_lane * STEP_M, (lanes - 1) * LANE_GAP_M
    defects = []
    for i in range(int(defects_per_m * length * lanes)):
        north, up = rng.uniform(0.2, length - 0.5), FLY_HEIGHT_M + rng.uniform(-0.5, height + 0.5)
        defects.append(crack_on_face(round(north, 3), up, float(rng.uniform(0.1, 0.4)), wander_m=0.004)
                       if i % 2 == 0 else corrosion_on_face(round(north, 3), up, float(rng.uniform(0.05, 0.15))))
    centres = np.array([d.outline_ned.mean(axis=0) for d in defects]).reshape(-1, 3)
    w, h = CAMERA.width_px, CAMERA.height_px
    grey = np.full((h, w, 3), 128, np.uint8)
    detections = 0
    with FlightRecordWriter(folder, CAMERA, MODEL_ID, "0" * 64) as writer:
        for k in range(frames):
            lane, j = divmod(k, per_lane)
            j = j if lane % 2 == 0 else per_lane - 1 - j  # back and forth
            ned = np.array([j * STEP_M, 0.0, -(FLY_HEIGHT_M + lane * LANE_GAP_M)])
            pose = pose_at(ned, 90.0, 0.0, t=1.7e9 + k)
            near = np.nonzero((np.abs(centres[:, 0] - ned[0]) < 1.2) & (np.abs(-centres[:, 2] + ned[2]) < 1.0))[0]
            image, class_map, instances = grey.copy(), np.zeros((h, w), np.uint8), []
            for i in near:
                inst = instance_for(pose, defects[i])
                poly = inst.polygon_px
                if poly.min() < 0 or poly[:, 0].max() > w - 1 or poly[:, 1].max() > h - 1:
                    continue  # only defects seen whole: a cut one would be a different defect each frame
                pts = np.round(poly).astype(np.int32)
                cv2.fillPoly(image, [pts], (40, 40, 160))
                cv2.fillPoly(class_map, [pts], int(inst.class_id))
                instances.append(inst)
            detections += len(instances)
            writer.add_frame(k, pose.time_utc_s, image, pose, Segmentation(class_map, tuple(instances), MODEL_ID))
    folder.with_name(folder.name + "_surface.json").write_text(json.dumps(face_surface().to_dict()))
    return {"frames": frames, "lanes": lanes, "true_defects": len(defects), "detections_recorded": detections}


def pdf_pages(path: Path) -> int | None:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
        m = re.search(r"^Pages:\s+(\d+)", out, re.M)
        return int(m.group(1)) if m else None
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[250, 1000], help="record sizes to run")
    parser.add_argument("--lanes", type=int, default=5)
    parser.add_argument("--defects-per-m", type=float, default=3.0, help="true defects per metre of lane")
    parser.add_argument("--keep", type=Path, default=None, help="keep the records and results in this folder")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "process_scale.json")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="process_scale-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for n in args.frames:
            record, results = work / f"flight_{n}", work / f"results_{n}"
            shutil.rmtree(record, ignore_errors=True)
            shutil.rmtree(results, ignore_errors=True)
            t0 = time.perf_counter()
            row = build_record(record, n, args.lanes, args.defects_per_m)
            row["build_s"] = round(time.perf_counter() - t0, 1)
            child = subprocess.run([sys.executable, "-c", CHILD, str(record), str(results),
                                    str(record.with_name(record.name + "_surface.json")), str(ROOT)],
                                   capture_output=True, text=True, cwd=ROOT)
            if child.returncode != 0:
                print(child.stderr, file=sys.stderr)
                return 1
            row.update(json.loads(child.stdout.strip().splitlines()[-1]))
            row["report_pdf_bytes"] = (results / "report.pdf").stat().st_size
            row["report_pdf_pages"] = pdf_pages(results / "report.pdf")
            row["report_html_bytes"] = (results / "report.html").stat().st_size
            row["map_html_bytes"] = (results / "map.html").stat().st_size
            print(json.dumps(row), flush=True)
            rows.append(row)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    out = {"benchmark": "process_scale", "step_m": STEP_M, "lane_gap_m": LANE_GAP_M,
           "defects_per_m": args.defects_per_m, "runs": rows, "python": platform.python_version(),
           "machine": platform.machine(), "cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
