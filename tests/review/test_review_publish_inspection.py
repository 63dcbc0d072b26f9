"""`skyinspect publish RESULTS` with an inspection.json it cannot read (cut by a full disk, edited into
something that is not an object) is refused by name, exit 2, nothing written. Before, the flight
record's lookup read it unguarded: a JSONDecodeError / AttributeError traceback, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app


@pytest.mark.parametrize("text", ['{"asset_id": "BR-7", "flig', "[]"])
def test_an_unreadable_inspection_json_is_refused_by_name(results: Path, text: str) -> None:
    (results / "inspection.json").write_text(text, encoding="utf-8")
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    got = CliRunner().invoke(app, ["publish", str(results)])
    assert got.exit_code == 2, (got.output, got.exception)
    assert "inspection.json" in got.output and "unreadable" in got.output
    assert {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()} == before
    assert not list(results.glob(".staging-*"))
