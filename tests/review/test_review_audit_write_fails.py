"""The audit trail while the app runs: a write that fails half-way (a full disk) leaves the trail as it
was, and a line cut by someone else (a second server killed mid-write) is named on every page instead
of a bare 500 Internal Server Error."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

import groundstation.review.audit as audit_mod
from groundstation.review.audit import AuditLog


class _HalfWrite:
    """A file whose writes put half the text on disk, then fail as a full disk does."""

    def __init__(self, fh: Any) -> None:
        self._fh = fh

    def write(self, text: str) -> int:
        self._fh.write(text[: len(text) // 2])
        self._fh.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _HalfWrite:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


def test_a_write_that_fails_half_way_leaves_the_trail_readable(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    log = AuditLog(tmp_path / "review" / "audit.jsonl")
    log.append("ada", "confirm", "F-0001")
    before = log.path.read_bytes()
    monkeypatch.setattr(audit_mod, "open", lambda *a, **k: _HalfWrite(open(*a, **k)), raising=False)
    with pytest.raises(OSError):
        log.append("bob", "reject", "F-0002", comment="joint")
    monkeypatch.undo()
    assert log.path.read_bytes() == before  # the half line had stayed: every page answered 500 after it
    log.check_readable()
    assert log.verify() and [e["who"] for e in log.entries()] == ["ada"]
    assert log.append("bob", "reject", "F-0002")["seq"] == 2 and log.verify()


def test_a_line_cut_while_the_app_runs_is_named_on_every_page(results: Path) -> None:
    from fastapi.testclient import TestClient

    from groundstation.review.app import create_app

    client = TestClient(create_app(results), raise_server_exceptions=False)
    fid = client.get("/api/findings").json()[0]["finding_id"]
    assert client.post(f"/api/findings/{fid}/review", json={"action": "confirm"},
                       headers={"X-Reviewer": "ada"}).status_code == 201
    path = results / "review" / "audit.jsonl"
    with open(path, "a", encoding="utf-8") as fh:  # a second server on the folder, killed mid-line
        fh.write('{"seq": 2, "time_utc": "2026-12')
    for got in (client.get("/api/findings"), client.get("/api/audit"), client.get(f"/api/findings/{fid}"),
                client.post(f"/api/findings/{fid}/review", json={"action": "reject"}, headers={"X-Reviewer": "bob"})):
        assert got.status_code == 503, got.text
        detail = got.json()["detail"]
        assert "audit.jsonl" in detail and "line 2" in detail and "Cut that line off" in detail
    assert path.read_text(encoding="utf-8").count("\n") == 1  # nothing appended after the cut line
