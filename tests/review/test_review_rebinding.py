"""`skyinspect serve` on loopback without a token answers only requests addressed to a loopback name: a
web page whose own name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own Host and a matching
Origin, which passed the same-origin check, and read every finding and wrote decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from review_helpers import free_port
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _served_app(results: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> Any:
    import uvicorn

    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.update(app=app))
    got = CliRunner().invoke(app, ["serve", str(results), "--port", str(free_port()), *extra])
    assert got.exit_code == 0, got.output
    return started["app"]


def test_a_foreign_host_name_is_refused_on_loopback(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(_served_app(results, monkeypatch), base_url="http://127.0.0.1:8765")
    fid = client.get("/api/findings").json()[0]["finding_id"]
    evil = {"Host": "evil.example:8765", "Origin": "http://evil.example:8765", "X-Reviewer": "mallory"}
    assert client.get("/api/findings", headers={"Host": "evil.example:8765"}).status_code == 403
    got = client.post(f"/api/findings/{fid}/review", json={"action": "reject"}, headers=evil)
    assert got.status_code == 403 and "evil.example" in got.json()["detail"], got.text
    assert not (results / "review" / "audit.jsonl").exists()
    for host in ("localhost:8765", "127.0.0.1:8765", "[::1]:8765", "127.0.0.2"):  # the names loopback goes by
        assert client.get("/api/findings", headers={"Host": host}).status_code == 200, host


def test_with_a_token_any_host_name_is_answered(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(_served_app(results, monkeypatch, "--host", "0.0.0.0", "--token", "s3cret"))
    assert client.get("/api/findings", headers={"Host": "inspection-pc.lan:8765"}).status_code == 200
