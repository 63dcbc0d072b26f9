"""A plain replay killed part-way (SIGKILL, OOM, power): the record it leaves must say it did not finish.

The plain replay is all or nothing for errors and Ctrl-C (it removes what it wrote), but nothing runs
after a SIGKILL: the frames committed so far stay, and the record read like a whole flight of fewer
frames, which `skyinspect process` reported without a word (the SITL facade replay killed after 13 of
57 frames). The replay is forked here and kills itself while segmenting frame 6 (synthetic flight).
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from kill_helpers import camera, make_kill_flight
from onboard_helpers import DarkPixelSegmenter

from skyinspect.record import FlightRecordReader


class _KilledAt(DarkPixelSegmenter):
    def __init__(self, frame: int) -> None:
        self.frame, self.seen = frame, 0

    def parallel_workers(self, n: int | None = None) -> list[_KilledAt]:
        return [self]

    def segment(self, image_bgr):  # type: ignore[no-untyped-def]
        self.seen += 1
        if self.seen == self.frame:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().segment(image_bgr)


def test_a_killed_replay_leaves_a_record_that_says_it_did_not_finish(tmp_path: Path) -> None:
    from onboard.replay import run_replay

    frames, tlog = make_kill_flight(tmp_path / "flight", n_frames=12)
    out = tmp_path / "rec"
    pid = os.fork()
    if pid == 0:  # the child replays until it kills itself
        try:
            run_replay(frames, tlog, out, _KilledAt(6), camera(), progress=False)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    with FlightRecordReader(out) as reader:
        recorded = len(list(reader.frames()))
        ended = json.loads(reader.meta["ended"])
    assert 0 < recorded < 12
    assert ended["how"].startswith("did not finish")

    whole = run_replay(frames, tlog, tmp_path / "whole", DarkPixelSegmenter(), camera(), progress=False)
    with FlightRecordReader(tmp_path / "whole") as reader:
        done = json.loads(reader.meta["ended"])
    assert done["how"] == "the frames ended" and done["frames_recorded"] == whole.frames == 12


def test_a_replay_killed_while_replacing_a_record_leaves_no_copy_behind_for_good(tmp_path: Path) -> None:
    """`onboard --overwrite` writes the new record beside the old one as .NAME.replacing-<pid> and swaps it
    in at the end; a run killed meanwhile left that folder (every image of the flight so far), and the
    next run, another pid, never removed it. A folder of a process still running is kept."""
    from onboard.replay import run_replay

    frames, tlog = make_kill_flight(tmp_path / "flight", n_frames=3)
    out = tmp_path / "rec"
    run_replay(frames, tlog, out, DarkPixelSegmenter(), camera(), progress=False)
    dead = tmp_path / ".rec.replacing-999999999"
    live = tmp_path / f".rec.replacing-{os.getppid()}"
    for folder in (dead, live):
        (folder / "images").mkdir(parents=True)
        (folder / "images" / "000001.jpg").write_bytes(b"\xff\xd8" + bytes(1000))
    run_replay(frames, tlog, out, DarkPixelSegmenter(), camera(), progress=False, overwrite=True)
    assert not dead.exists() and live.exists()
    with FlightRecordReader(out) as reader:
        assert len(list(reader.frames())) == 3
