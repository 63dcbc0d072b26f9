"""A results folder the app cannot write to (a read-only share or card, or review/ a file in the way):
a decision or an export is answered with the file and the problem, and serve warns at start. Every
click had answered '500 Internal Server Error', the decision not saved and no reason given."""

from __future__ import annotations

from pathlib import Path

import pytest
from review_helpers import free_port
from typer.testing import CliRunner

from skyinspect.cli.main import app


def test_a_decision_that_cannot_be_written_says_why(results: Path) -> None:
    from fastapi.testclient import TestClient

    from groundstation.review.app import create_app

    (results / "review").write_text("not a folder")  # review/audit.jsonl cannot be created under it
    client = TestClient(create_app(results), raise_server_exceptions=False)
    fid = client.get("/api/findings").json()[0]["finding_id"]
    for got in (client.post(f"/api/findings/{fid}/review", json={"action": "confirm"}, headers={"X-Reviewer": "ada"}),
                client.post("/api/export", json={}, headers={"X-Reviewer": "ada"})):
        assert got.status_code == 503, got.text
        detail = got.json()["detail"]
        assert "not saved" in detail and "review" in detail and "cannot write" in detail, detail
    assert client.get("/api/findings").status_code == 200  # reading goes on
    assert (results / "review").read_text() == "not a folder"


def test_serve_warns_at_start_when_decisions_cannot_be_saved(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    (results / "review").write_text("not a folder")
    got = CliRunner().invoke(app, ["serve", str(results), "--port", str(free_port())])
    text = " ".join(got.output.split())
    assert got.exit_code == 0, got.output
    assert "warning" in text and "cannot be saved" in text and "review" in text, text
