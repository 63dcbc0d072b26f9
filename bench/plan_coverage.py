"""Mission planning's coverage check: points culled by cubes (``missions.planning.blocks``) against
projecting every surface point for every photo, on the example assets. Reports both times, whether
the coverage figures are identical (they must be: the culling is conservative), and the whole
``plan_flights`` + coverage time. Writes JSON to bench/results/plan_coverage.json.

    .venv/bin/python bench/plan_coverage.py [--cases bridge:0.3 turbine:1.0 turbine:0.3] [--every-point-max-photos 3000]

The every-point pass is slow by design (the turbine at 0.3 mm, 10,725 photos, took ~11 min that
way), so it is skipped for cases with more photos than ``--every-point-max-photos``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ASSETS = {"bridge": ROOT / "missions" / "examples" / "bridge.yaml",
          "turbine": ROOT / "missions" / "examples" / "wind_turbine.yaml"}


class _EveryPoint:
    """Stands in for the cubes: every point is a candidate (the check as it was before session 18)."""

    def candidates(self, *_args: object) -> None:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["bridge:0.3", "turbine:1.0", "turbine:0.3"],
                        help="ASSET:CRACK_WIDTH_MM, ASSET one of " + ", ".join(ASSETS))
    parser.add_argument("--every-point-max-photos", type=int, default=3000,
                        help="time projecting every point only for cases with at most this many photos")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "plan_coverage.json")
    args = parser.parse_args()

    import missions.planning.coverage as cov
    from missions.planning.assets import load_asset
    from missions.planning.cameras import get_camera
    from missions.planning.design import Requirement
    from missions.planning.planner import plan_flights

    results = []
    for case in args.cases:
        name, width = case.split(":")
        t0 = time.perf_counter()
        plans = plan_flights(load_asset(ASSETS[name]), get_camera("dji_h20_zoom"),
                             Requirement(float(width), 2.0, 0.7, 0.6, 0.5, None), "ardupilot", None)
        every = replace(plans[0], passes=tuple(ps for p in plans for ps in p.passes))
        t1 = time.perf_counter()
        culled = cov.plan_coverage(every)
        t2 = time.perf_counter()
        row = {"asset": name, "crack_width_mm": float(width), "flights": len(plans),
               "photos_checked": cov.coverage_frame_count(every),
               "surface_points": int(sum(len(s.points_ned) for s in every.surfaces)),
               "plan_flights_s": round(t1 - t0, 2), "coverage_culled_s": round(t2 - t1, 2),
               "covered_fraction": [round(c.covered_fraction, 6) for c in culled]}
        if row["photos_checked"] <= args.every_point_max_photos:
            real = cov.point_blocks
            cov.point_blocks = lambda *_a: _EveryPoint()  # type: ignore[assignment]
            try:
                t3 = time.perf_counter()
                full = cov.plan_coverage(every)
                row["coverage_every_point_s"] = round(time.perf_counter() - t3, 2)
            finally:
                cov.point_blocks = real
            row["identical"] = [asdict(a) for a in culled] == [asdict(b) for b in full]
            row["speed_up"] = round(row["coverage_every_point_s"] / max(row["coverage_culled_s"], 1e-9), 1)
        print(json.dumps(row), flush=True)
        results.append(row)
    out = {"cases": results, "python": platform.python_version(), "machine": platform.machine(),
           "cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    return 0 if all(r.get("identical", True) for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
