"""Run every benchmark in this folder, one after the other (``make bench``).

Each script writes its own JSON to bench/results/ (the README's "Benchmarks" table quotes them);
this runs them with their defaults plus the variants the README reports, and prints one line per
run: what ran, how long it took, and its exit status. A benchmark that cannot run on this machine
is skipped with the reason: ``segment.py`` compares against ultralytics (the ``train`` extra), and
``joint_split_real.py`` reads the real crack masks in ../shared/data, which a clone does not have.
Timings belong to the machine they ran on: run this on an idle machine, and nothing else at once.

    .venv/bin/python bench/run_all.py [--only georef,demo_flight] [--list]
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SHARED_CRACKS = HERE.parents[1] / "shared" / "data" / "cracks"


def _runs() -> list[tuple[str, list[str], str]]:
    """(name, arguments, why it cannot run here or "")."""
    no_ultralytics = "" if importlib.util.find_spec("ultralytics") else \
        "ultralytics is not installed (pip install -e '.[train]'): segment.py compares against it"
    no_masks = "" if SHARED_CRACKS.is_dir() else f"{SHARED_CRACKS} not found (the real crack masks)"
    return [
        ("georef", ["georef.py"], ""),
        ("crack_length", ["crack_length.py"], ""),
        ("demo_flight", ["demo_flight.py", "--out", str(RESULTS / "demo_flight.json")], ""),
        ("onboard_pipeline", ["onboard_pipeline.py"], ""),
        ("onboard_pipeline_rendered", ["onboard_pipeline.py", "--frames", "rendered",
                                       "--out", str(RESULTS / "onboard_pipeline_rendered.json")], ""),
        ("onboard_pipeline_1280", ["onboard_pipeline.py", "--width", "1280", "--height", "960", "--n", "60",
                                   "--out", str(RESULTS / "onboard_pipeline_1280.json")], ""),
        ("onboard_pipeline_1080p", ["onboard_pipeline.py", "--width", "1920", "--height", "1080", "--n", "40",
                                    "--out", str(RESULTS / "onboard_pipeline_1080p.json")], ""),
        ("kill_runtime", ["kill_runtime.py"], ""),
        ("plan_coverage", ["plan_coverage.py"], ""),
        ("process_scale", ["process_scale.py"], ""),
        ("segment", ["segment.py", "--out", str(RESULTS / "segment.json")], no_ultralytics),
        ("joint_split_real", ["joint_split_real.py"], no_masks),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated names (see --list)")
    parser.add_argument("--list", action="store_true", help="list the runs and exit")
    args = parser.parse_args()
    runs = _runs()
    names = {name for name, _, _ in runs}
    wanted = [n for n in args.only.split(",") if n]
    unknown = sorted(set(wanted) - names)
    if unknown:
        print(f"--only: no benchmark {', '.join(unknown)}; expected some of {', '.join(sorted(names))}",
              file=sys.stderr)
        return 2
    if args.list:
        for name, argv, why in runs:
            print(f"{name:28s} {' '.join(argv)}" + (f"   (skipped here: {why})" if why else ""))
        return 0
    failed = 0
    for name, argv, why in runs:
        if wanted and name not in wanted:
            continue
        if why:
            print(f"{name:28s} skipped: {why}")
            continue
        t0 = time.perf_counter()
        rc = subprocess.run([sys.executable, str(HERE / argv[0]), *argv[1:]], cwd=HERE.parent,
                            stdout=subprocess.DEVNULL).returncode
        failed += rc != 0
        print(f"{name:28s} {'ok' if rc == 0 else f'FAILED (exit {rc})'} in {time.perf_counter() - t0:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
