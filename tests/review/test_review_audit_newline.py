"""A last entry of review/audit.jsonl left without its line break (an editor that saves no final
newline, after cutting a torn line off as the app says to) does not swallow the next decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from groundstation.review.audit import AuditLog

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402

W = {"X-Reviewer": "bob", "Content-Type": "application/json"}


def test_a_last_entry_without_its_line_break_keeps_the_next_one_apart(results: Path) -> None:
    log = AuditLog(results / "review" / "audit.jsonl")
    log.append("ada", "confirm", "F-0001")
    log.append("ada", "reject", "F-0002")
    log.path.write_bytes(log.path.read_bytes().rstrip(b"\n"))
    client = TestClient(create_app(results), raise_server_exceptions=False)
    got = client.post("/api/findings/F-0001/review", json={"action": "comment", "comment": "seen"}, headers=W)
    assert got.status_code == 201, got.text
    entries = log.entries()  # the decision had been glued onto ada's reject: line 2 unreadable, both lost
    assert [e["seq"] for e in entries] == [1, 2, 3] and log.verify(entries)
    assert client.get("/api/findings/F-0002").json()["review"]["status"] == "rejected"
