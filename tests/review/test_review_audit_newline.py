"""review/audit.jsonl as an editor may save it (after cutting a torn line off as the app says to): a last
entry left without its line break does not swallow the next decision, and a byte order mark is not
read as part of the first entry."""

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


def test_a_trail_saved_with_a_byte_order_mark_reads_as_before(results: Path) -> None:
    # Windows editors (Notepad before 2019) save UTF-8 with a byte order mark: line 1 was then 'not a
    # review entry', and the fix the app gave (cut that line off) dropped the first decision
    log = AuditLog(results / "review" / "audit.jsonl")
    log.append("ada", "reject", "F-0001", comment="a stain")
    log.path.write_bytes(b"\xef\xbb\xbf" + log.path.read_bytes())
    client = TestClient(create_app(results))
    assert client.get("/api/findings/F-0001").json()["review"]["status"] == "rejected"
    got = client.post("/api/findings/F-0002/review", json={"action": "confirm"}, headers=W)
    assert got.status_code == 201, got.text
    entries = log.entries()
    assert [e["seq"] for e in entries] == [1, 2] and log.verify(entries)
