"""A line of review/audit.jsonl that is a JSON object but no review entry (written in by hand) is named by
its line at start and on every page: a KeyError had answered 500 Internal Server Error, unexplained."""

from __future__ import annotations

from pathlib import Path

import pytest

from groundstation.review.audit import AuditLog, AuditUnreadable

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402

W = {"X-Reviewer": "bob", "Content-Type": "application/json"}


@pytest.mark.parametrize("line", ['{"note": "checked by QA"}', '{"seq": 2, "who": "eve", "action": "reject"}',
                                  '{"seq": "2", "time_utc": "x", "who": "eve", "action": "reject", '
                                  '"finding_id": "F-0001", "prev": "0", "hash": "0"}'])
def test_an_object_that_is_no_entry_is_named_on_every_page(results: Path, line: str) -> None:
    log = AuditLog(results / "review" / "audit.jsonl")
    client = TestClient(create_app(results), raise_server_exceptions=False)
    log.append("ada", "confirm", "F-0001")
    with open(log.path, "a", encoding="utf-8") as fh:  # written into the trail by hand while the app runs
        fh.write(line + "\n")
    before = log.path.read_bytes()
    for got in (client.get("/api/findings"), client.get("/api/findings/F-0001"), client.get("/api/audit"),
                client.post("/api/findings/F-0002/review", json={"action": "confirm"}, headers=W)):
        assert got.status_code == 503, got.text  # a bare 500 Internal Server Error had said nothing
        assert "line 2 is not a review entry" in got.json()["detail"]
    assert log.path.read_bytes() == before
    with pytest.raises(AuditUnreadable, match="line 2"):  # `skyinspect serve` refuses it by name (exit 2)
        create_app(results)

