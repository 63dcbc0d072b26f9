"""A review audit trail whose last line was cut (the server killed or the disk full while writing)
is refused by name when the app starts: every page had answered 500 Internal Server Error."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundstation.review.audit import AuditLog
from skyinspect.cli.main import app


def test_serve_names_the_cut_line_and_the_fix(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: pytest.fail("the app was started"))
    log = AuditLog(results / "review" / "audit.jsonl")
    log.append("ada", "confirm", "F-0001")
    with open(log.path, "a", encoding="utf-8") as fh:
        fh.write('{"seq": 2, "time_utc": "2026-12')  # cut mid-line
    got = CliRunner().invoke(app, ["serve", str(results), "--port", "8765"])
    text = " ".join(got.output.split())
    assert got.exit_code == 2, got.output
    assert "audit.jsonl" in text and "line 2" in text and "Traceback" not in text
    assert log.path.read_text(encoding="utf-8").count("\n") == 1  # nothing appended to or rewritten
