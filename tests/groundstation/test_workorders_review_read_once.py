"""read_review reads review/audit.jsonl once: it read it three times (entries, verify, state), so a decision
the review app appended between the reads (`serve` runs while `publish` does) was applied to the products
while the seq they record ("Includes review decisions up to audit seq 1") left it out: the app then
counted it as a decision not yet published, and the next publish applied it again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from groundstation.review.audit import AuditLog
from groundstation.workorders import read_review


def test_a_decision_appended_while_reading_is_applied_with_its_seq_or_not_at_all(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    audit = AuditLog(tmp_path / "review" / "audit.jsonl")
    audit.append("ada", "confirm", "F-0001")
    reads: list[int] = []
    entries = AuditLog.entries

    def entries_then_another_reviewer(self: AuditLog) -> list[dict[str, Any]]:
        got = entries(self)
        if getattr(self, "app", False):  # the review app's own read while it appends
            return got
        reads.append(len(got))
        if len(reads) == 1:  # the review app appends right after the first read
            app = AuditLog(self.path)
            app.app = True  # type: ignore[attr-defined]
            app.append("bob", "reject", "F-0002", comment="a stain")
        return got

    monkeypatch.setattr(AuditLog, "entries", entries_then_another_reviewer)
    trail = read_review(tmp_path)
    assert not trail.broken
    applied = max((s["seq"] for s in trail.state.values()), default=0)
    assert applied == trail.seq  # the seq said is the last decision applied
    assert trail.rejected("F-0002") == (trail.seq == 2) and trail.who == ("ada", "bob")[:trail.seq]
    assert len(reads) == 1
