"""Two review servers on one results folder (two engineers each running `skyinspect serve` on a shared
drive): their decisions go into one audit trail whose chain stays whole."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from groundstation.review.audit import AuditLog


def _review(path: str, who: str, n: int) -> None:
    log = AuditLog(Path(path))  # each server process has its own AuditLog (and its own thread lock)
    for i in range(n):
        log.append(who, "comment", f"F-{i % 7 + 1:04d}", comment=f"{who} note {i}")


def test_two_processes_appending_keep_one_verified_chain(tmp_path: Path) -> None:
    path = tmp_path / "review" / "audit.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_review, args=(str(path), who, 40)) for who in ("ada", "bob")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    log = AuditLog(path)
    entries = log.entries()
    # before: both read the same last entry and wrote the same seq (a demo run: 60 lines, seqs repeated),
    # verify() failed, and `skyinspect workorders` then ignored every review decision
    assert [e["seq"] for e in entries] == list(range(1, 81))
    assert log.verify()
    assert sum(e["who"] == "ada" for e in entries) == 40
