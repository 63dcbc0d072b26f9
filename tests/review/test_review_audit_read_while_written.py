"""Reading review/audit.jsonl while the app appends to it: a reader (the app's own pages, or `skyinspect
publish` in another process) read a line half written as a cut line. Measured: 1 of 3,222 reads during
600 appends in one process; publish then called the trail failing its hash check and published every
product without the review. Readers now wait for the append's file lock."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from groundstation.review.audit import GENESIS, AuditLog, _hash
from groundstation.workorders import read_review

fcntl = pytest.importorskip("fcntl", reason="the trail's file lock is POSIX flock (Windows: one server per folder)")


def test_a_line_being_written_is_waited_for(tmp_path: Path) -> None:
    results = tmp_path / "results"
    log = AuditLog(results / "review" / "audit.jsonl")
    first = log.append("ada", "reject", "F-0001", comment="a stain")
    entry = {"seq": 2, "time_utc": "2026-12-07T15:00:00.000+00:00", "who": "bob", "action": "confirm",
             "finding_id": "F-0002", "prev": first["hash"]}
    entry["hash"] = _hash(entry)
    line = (json.dumps(entry, sort_keys=True) + "\n").encode()
    got: list[object] = []
    with open(log.path, "ab", buffering=0) as fh:  # a writer as AuditLog.append is, caught mid-line
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        fh.write(line[: len(line) // 2])
        reader = threading.Thread(target=lambda: got.append(read_review(results)))
        reader.start()
        time.sleep(0.3)  # the reader reaches the file while the line is half written
        fh.write(line[len(line) // 2:])
    reader.join(30)
    trail = got[0]
    assert not trail.broken, trail.broken  # had been 'fails its hash check': no decision applied
    assert trail.seq == 2 and trail.rejected("F-0001") and trail.state["F-0002"]["status"] == "confirmed"
    assert log.verify() and GENESIS == log.entries()[0]["prev"]
