"""Benchmark crack length (groundstation/crack_length.py) on simulated flights with the simulator's masks.

Separates the measurement from the model: the frames are segmented by the simulator's own masks (the
demo's geometry check), so what is left is how the ground station gathers a crack over its views.

- ``exact``: the demo's pier-face flight, exact poses: each crack's measured / true length.
- ``gnss_0.5``, ``gnss_1.5``: the same flight logged with 0.5 and 1.5 m of plain-GNSS error per
  lane (``simulate --gnss-error-m``): the same crack lands 1-3 cm apart in different frames. Absolute
  positions are off by up to metres, so findings are not matched to the truth; reported: each
  crack finding's length against the longest true crack, and how many frames were left out.

The measure stage's time is reported per run (2 cores, the CI machine's kind).

    .venv/bin/python bench/crack_length.py --out bench/results/crack_length.json
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from bench_report import runs_in_temp_dirs, write_report


def run(work: Path, gnss_error_m: float) -> dict[str, object]:
    from missions.simulator import SimConfig, simulate
    from missions.simulator.oracle import TruthMaskSegmenter
    from skyinspect.cli.demo import fly_and_process

    sim = work / "simulation"
    simulate(sim, replace(SimConfig(), gnss_error_m=gnss_error_m), progress=False)
    leg = fly_and_process(sim, work, TruthMaskSegmenter(sim), progress=False)
    truth = [f["properties"] for f in json.loads((sim / "truth.geojson").read_text())["features"]
             if f["properties"]["class"] == "crack"]
    found = [f["properties"] for f in json.loads(leg.result.findings_geojson_path.read_text())["features"]
             if f["properties"]["class"] == "crack"]
    longest = max(t["length_mm"] for t in truth)
    out: dict[str, object] = {
        "gnss_error_m": gnss_error_m, "true_cracks": len(truth), "crack_findings": len(found),
        "measure_s": round(leg.result.seconds_by_stage.get("measure", float("nan")), 2),
        "longest_true_mm": round(longest, 1),
        "lengths_mm": sorted(round(f["length_mm"], 1) for f in found if f["length_mm"] is not None),
        "max_over_longest_true": round(max((f["length_mm"] or 0.0) for f in found) / longest, 3) if found else None,
        "findings_with_frames_left_out": sum("left out" in (f["length_mm_note"] or "") for f in found),
    }
    if gnss_error_m == 0:
        cmp = leg.comparison
        out.update(found=cmp.found_count, crack_length_ratio_median=round(cmp.crack_length_ratio, 3),
                   crack_length_ratios=[round(r, 3) for r in cmp.crack_length_ratios])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results/crack_length.json"))
    parser.add_argument("--gnss-error-m", type=float, nargs="*", default=[0.0, 0.5, 1.5])
    args = parser.parse_args()
    write_report("crack_length", runs_in_temp_dirs(run, args.gnss_error_m, indent=None), args.out)


if __name__ == "__main__":
    main()
