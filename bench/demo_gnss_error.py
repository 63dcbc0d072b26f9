"""The demo scene flown with a GNSS error: does the ground station keep the findings' shape and place?

The simulator (``SimConfig.gnss_error_m``) logs an error of sigma per horizontal axis (1.5 sigma
vertically), by one of two models (missions/simulator/gnss.py): ``per-lane``, one independent draw per
lane, constant within it; ``gauss-markov``, a drift with a correlation time of minutes plus a few cm of
white jitter, as a plain receiver errs (it moves within a lane and smoothly between lanes). Across the
3 m standoff of the pier face the part along the face's normal is a *range* error, which scales
everything that lane sees. Tie points (groundstation
.tiepoints) take out each lane's range error from its own overlapping frames and the lanes'
differences, then each frame's drift (tiepoints_frames); the flight's common in-plane error stays (only RTK or ground control points remove it;
CE90 describes it). To score what the ground station can fix, the findings are moved by the reference
lane's known in-plane error (its mean over the lane's captures) first, as a ground control point
would, and then compared with the truth.

    .venv/bin/python bench/demo_gnss_error.py [--seeds 7 3 11] [--error-m 1.0] [--modes truth model]
                                              [--gnss-models per-lane gauss-markov] [--no-per-frame]

``truth``: the simulator's own masks in place of the model (geometry only); ``model``: the shipped
model. Writes JSON to bench/results/demo_gnss_error.json (one row per error model, seed and mode).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _reference_lane_in_plane_error(cfg, work: Path) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Lane 1's GNSS error in the face's plane, its mean over the lane's captures (the lanes are equal
    in size; the first is the reference; the per-lane model's error is constant over it)."""
    from missions.simulator.flight import gnss_error_ned, plan_flight
    from skyinspect.surface import PlaneSurface

    plan = plan_flight(cfg)
    e = np.mean([gnss_error_ned(plan, c.t_s) for c in plan.captures if c.lane == 1], axis=0)
    n = PlaneSurface.load(work / "simulation" / "surface.json").normal_ned()
    return e - float(e @ n) * n


def _moved(findings: Path, truth: Path, out: Path, offset_ned: np.ndarray) -> Path:
    """findings.geojson with every coordinate moved by -offset_ned (metres, north-east-down)."""
    from groundstation.evaluate import read_truth
    from skyinspect.geodesy import LocalFrame

    frame = LocalFrame(*read_truth(truth)[0].centroid)

    def mv(lat: float, lon: float, alt: float) -> list[float]:
        ned = frame.to_ned(lat, lon, alt).reshape(3) - offset_ned
        return [float(v) for v in frame.to_geodetic(ned)]

    def ring(coords: list[list[float]]) -> list[list[float]]:
        return [[*(m := mv(c[1], c[0], c[2]))[1::-1], m[2]] for c in coords]

    data = json.loads(findings.read_text())
    for feat in data["features"]:
        g = feat["geometry"]
        if g["type"] == "Polygon":
            g["coordinates"] = [ring(r) for r in g["coordinates"]]
        elif g["type"] == "Point":
            g["coordinates"] = ring([g["coordinates"]])[0]
        p = feat["properties"]
        p["lat"], p["lon"], p["alt_msl_m"] = mv(p["lat"], p["lon"], p["alt_msl_m"])
    out.write_text(json.dumps(data))
    return out


def main() -> int:
    from missions.simulator.config import GNSS_ERROR_MODELS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 3, 11])
    parser.add_argument("--error-m", type=float, default=1.0, help="GNSS error sigma (m)")
    parser.add_argument("--modes", nargs="+", choices=("truth", "model"), default=["truth", "model"])
    parser.add_argument("--gnss-models", nargs="+", choices=GNSS_ERROR_MODELS, default=list(GNSS_ERROR_MODELS),
                        help="the simulator's GNSS error models to fly")
    parser.add_argument("--no-per-frame", action="store_true", help="align passes only, one shift each "
                        "(TieParams.per_frame off: the ground station before session 21), to compare")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "demo_gnss_error.json")
    args = parser.parse_args()

    from groundstation.evaluate import compare_with_truth
    from missions.simulator import SimConfig, simulate
    from missions.simulator.oracle import TruthMaskSegmenter
    from groundstation.pipeline import process
    from groundstation.tiepoints import TieParams
    from onboard.replay import run_replay
    from skyinspect.camera import CameraModel
    from skyinspect.surface import PlaneSurface

    rows = []
    for gnss_model, seed in ((m, s) for m in args.gnss_models for s in args.seeds):
        cfg = replace(SimConfig(), seed=seed, gnss_error_m=args.error_m, gnss_error_model=gnss_model)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            simulate(work / "simulation", cfg, progress=False)
            truth = work / "simulation" / "truth.geojson"
            offset = _reference_lane_in_plane_error(cfg, work) if args.error_m > 0 else np.zeros(3)
            for mode in args.modes:
                t0 = time.perf_counter()
                if mode == "model":
                    from models import load_segmenter

                    segmenter = load_segmenter(None)
                else:
                    segmenter = TruthMaskSegmenter(work / "simulation")
                sim = work / "simulation"  # as skyinspect.cli.demo.fly_and_process, with the tie parameters
                run_replay(sim / "frames", sim / "flight.tlog", work / mode / "flight", segmenter,
                           CameraModel.load(sim / "camera.yaml"), progress=False)
                result = process(work / mode / "flight", work / mode / "results", PlaneSurface.load(sim / "surface.json"),
                                 progress=False, tie_params=TieParams(per_frame=not args.no_per_frame))
                moved = _moved(result.findings_geojson_path, truth, work / mode / "moved.geojson", offset)
                c = compare_with_truth(moved, truth)
                row = {"gnss_error_model": gnss_model, "seed": seed, "gnss_error_m": args.error_m, "mode": mode,
                       "found": c.found_count, "true": c.true_count, "false_positives": c.false_positive_count,
                       "duplicates": c.duplicate_count, "error_in_gsd": round(c.error_in_gsd, 2),
                       "placement_in_gsd": round(c.placement_error_in_gsd, 2),
                       "corrosion_area_ratio": round(c.corrosion_area_ratio, 2),
                       "crack_length_ratio": round(c.crack_length_ratio, 2),
                       "reference_in_plane_error_m": [round(float(v), 3) for v in offset],
                       "frames_realigned": result.frames_realigned, "per_frame": not args.no_per_frame,
                       "seconds": round(time.perf_counter() - t0, 1)}
                print(json.dumps(row), flush=True)
                rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"benchmark": "demo_gnss_error", "rows": rows, "python": platform.python_version(),
                                    "cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()]},
                                   indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
