"""SIGKILL the onboard runtime at 50 random moments of a replay; count committed frames lost.

Each run forks the runtime (``onboard.runtime.run_onboard`` on a synthetic CAMERA_FEEDBACK replay,
tests/onboard/kill_helpers.py, shared with test_kill.py) into the same record it resumes, as a restarted
companion computer would, and SIGKILLs it after a random delay (seeded). The child writes each frame
number to a pipe once ``FlightRecordWriter.add_frame`` has committed it. After every kill the record
is reopened and every frame reported committed must be there with its image, mask, pose and
instances. A record that holds every frame is finished and the next run starts a new one.
``--subprocess`` runs ``python -m onboard.runtime`` instead of forking (slower: imports each time).

Counts: frames committed (reported by the killed or finished runs), frames lost (reported but not
in the reopened record; must be 0), opens failed (a record that exists but does not open; must be
0), damaged (committed frames whose files do not decode). Writes JSON to bench/results/.

    .venv/bin/python bench/kill_runtime.py [--kills 50] [--seed 3] [--size 64x48] [--subprocess]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELPERS = ROOT / "tests" / "onboard"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HELPERS))


def _fork_run(frames: Path, tlog: Path, out: Path, delay_s: float, size: tuple[int, int],
              wait_s: float) -> tuple[bool, set[int]]:
    """(killed, frames reported committed) for one forked run killed after ``wait_s``."""
    from kill_helpers import read_reported, run_child

    r, w = os.pipe()
    proc = multiprocessing.get_context("fork").Process(
        target=run_child, args=(str(frames), str(tlog), str(out), w, delay_s, size), daemon=True)
    proc.start()
    os.close(w)
    proc.join(wait_s)
    killed = proc.is_alive()
    if killed:
        os.kill(proc.pid, signal.SIGKILL)
    proc.join(30)
    reported = read_reported(r)
    os.close(r)
    return killed, reported


def _subprocess_run(frames: Path, tlog: Path, out: Path, size: tuple[int, int],
                    wait_s: float) -> tuple[bool, set[int]]:
    """The same with a real ``python -m onboard.runtime``; ``wait_s`` counts from its first line."""
    cmd = [sys.executable, "-m", "onboard.runtime", "--frames", str(frames), "--telemetry", str(tlog),
           "--out", str(out), "--fov", f"{size[0]}x{size[1]}x60",
           "--segmenter", f"{HELPERS / 'onboard_helpers.py'}:DarkPixelSegmenter", "--print-recorded"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    first = proc.stdout.readline()  # type: ignore[union-attr]  # recording has started (or it finished)
    time.sleep(wait_s)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate(timeout=60)
    lines = (first + rest).decode().splitlines()
    return killed, {int(x.split()[1]) for x in lines if x.startswith("recorded ")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--frames", type=int, default=40, help="frames per record")
    parser.add_argument("--size", default="64x48", help="frame size WIDTHxHEIGHT")
    parser.add_argument("--delay-s", type=float, default=0.01, help="stand-in inference time per frame")
    parser.add_argument("--window-s", type=float, nargs=2, default=(0.02, 0.8),
                        help="kill after a uniform delay in this range (fork: from the start of the run)")
    parser.add_argument("--subprocess", action="store_true", help="kill `python -m onboard.runtime` instead")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "kill_runtime.json")
    args = parser.parse_args()
    if not args.subprocess and "fork" not in multiprocessing.get_all_start_methods():
        parser.error("forking is not available here; pass --subprocess")

    from kill_helpers import check_record, make_kill_flight

    import onboard.alerts
    import onboard.capture
    import onboard.replay
    import onboard.runtime  # noqa: F401 - imported before forking, as the test's pytest parent has them

    width, height = (int(v) for v in args.size.lower().split("x"))
    rng = random.Random(args.seed)
    counts = {"kills": 0, "runs": 0, "runs_finished": 0, "frames_committed": 0, "frames_lost": 0,
              "opens_failed": 0, "frames_damaged": 0, "kills_before_record": 0, "kills_while_recording": 0,
              "records": 1}
    lost: list[str] = []
    started = time.monotonic()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        frames, tlog = make_kill_flight(Path(tmp) / "flight", args.frames, width, height)
        out = Path(tmp) / "rec0"
        while counts["kills"] < args.kills:
            wait_s = rng.uniform(*args.window_s)
            if args.subprocess:
                killed, reported = _subprocess_run(frames, tlog, out, (width, height), wait_s)
            else:
                killed, reported = _fork_run(frames, tlog, out, args.delay_s, (width, height), wait_s)
            counts["runs"] += 1
            counts["kills"] += killed
            counts["runs_finished"] += not killed
            check = check_record(out, reported)
            counts["frames_committed"] += len(reported)
            counts["frames_lost"] += len(check.lost)
            counts["opens_failed"] += check.exists and not check.opened
            counts["frames_damaged"] += len(check.damaged)
            if killed:
                counts["kills_before_record"] += not check.exists
                counts["kills_while_recording"] += bool(reported)
            if check.lost or (check.exists and not check.opened) or check.damaged:
                lost.append(f"run {counts['runs']} ({out.name}): lost {sorted(check.lost)} "
                            f"damaged {list(check.damaged)} {check.error}")
            if len(check.frames) == args.frames:  # finished: the next run starts a new record
                out = out.with_name(f"rec{counts['records']}")
                counts["records"] += 1
    result = {**counts, "seconds": round(time.monotonic() - started, 2), "problems": lost[:20],
              "mode": "subprocess" if args.subprocess else "fork", "seed": args.seed,
              "frames_per_record": args.frames, "size": [width, height], "kill_window_s": list(args.window_s),
              "segmenter": f"dark-pixel test double + {args.delay_s} s sleep, two inference workers" if not args.subprocess
              else "dark-pixel test double", "load_avg_1_5_15": [round(x, 2) for x in load_before],
              "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0 if counts["frames_lost"] == 0 and counts["opens_failed"] == 0 and counts["frames_damaged"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
