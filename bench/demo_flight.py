"""Benchmark the whole foundation path on the default simulated pier-face flight.

Measures wall time per step (simulate, onboard replay, ground-station process) and the accuracy
against the simulator's truth (recall, false positives, position error in metres and GSD).

    .venv/bin/python bench/demo_flight.py --out bench/results/demo_flight.json
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_report import runs_in_temp_dirs, write_report


def run(work: Path, seed: int | None) -> dict[str, object]:
    from dataclasses import replace

    from missions.simulator import SimConfig, simulate
    from models import load_segmenter
    from skyinspect.cli.demo import fly_and_process

    config = SimConfig() if seed is None else replace(SimConfig(), seed=seed)
    t0 = time.perf_counter()
    sim = simulate(work / "simulation", config, progress=False)
    t1 = time.perf_counter()
    segmenter = load_segmenter(None)
    marks: dict[str, float] = {}
    leg = fly_and_process(work / "simulation", work, segmenter, progress=False,
                          on_stage=lambda name: marks.__setitem__(name, time.perf_counter()))
    t3 = time.perf_counter()
    t2 = marks["process"]  # onboard ends where process starts
    replay, result, cmp = leg.replay, leg.result, leg.comparison
    return {
        "frames": sim.n_frames, "model_id": segmenter.model_id, "seed": config.seed,
        "seconds": {"simulate": round(t1 - t0, 2), "onboard": round(t2 - t1, 2), "process": round(t3 - t2, 2),
                    "total": round(t3 - t0, 2)},
        "onboard_fps": round(replay.fps, 3), "detections": result.detections, "findings": result.findings,
        "true_defects": cmp.true_count, "found": cmp.found_count, "recall": round(cmp.recall, 4),
        "false_positives": cmp.false_positive_count, "duplicates": cmp.duplicate_count,
        "mean_position_error_m": round(cmp.mean_position_error_m, 4),
        "mean_gsd_m": round(cmp.mean_gsd_m, 6), "error_in_gsd": round(cmp.error_in_gsd, 3),
        "placement_error_in_gsd": round(cmp.placement_error_in_gsd, 3), "mean_coverage": round(cmp.mean_coverage, 3),
        "crack_length_ratio": round(cmp.crack_length_ratio, 3),
        "crack_length_ratios": [round(r, 3) for r in cmp.crack_length_ratios],
        "corrosion_area_ratio": round(cmp.corrosion_area_ratio, 3),
        "per_class": {k: {"true": v.true_count, "found": v.found_count, "false_positives": v.false_positive_count,
                          "duplicates": v.duplicate_count}
                      for k, v in cmp.per_class.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results/demo_flight.json"))
    parser.add_argument("--seeds", type=int, nargs="*", default=[None], help="simulator seeds (default: the demo's)")
    args = parser.parse_args()
    write_report("demo_flight", runs_in_temp_dirs(run, args.seeds, indent=1), args.out)


if __name__ == "__main__":
    main()
