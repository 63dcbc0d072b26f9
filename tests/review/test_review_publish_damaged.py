"""`skyinspect publish` on a stage output that is JSON but not that stage's (hand-edited, cut to a valid
prefix, written by another tool): a traceback (KeyError 'class_name', TypeError, AttributeError) instead
of a refusal naming the file, and a findings.json whose data was {} published an empty report, map and
work orders over the folder's products (exit 0, '0 findings'). Now each is refused, exit 2, with the
file named and every product as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _edit(name: str, change: Callable[[Any], None]) -> Callable[[Path], str]:
    def damage(results: Path) -> str:
        path = results / "stages" / name
        stored = json.loads(path.read_text())
        change(stored)
        path.write_text(json.dumps(stored))
        return name
    return damage


DAMAGE = {
    "findings data a mapping": _edit("findings.json", lambda s: s.__setitem__("data", {})),
    "findings data null": _edit("findings.json", lambda s: s.__setitem__("data", None)),
    "a finding without its class": _edit("findings.json", lambda s: s["data"][0].pop("class_name")),
    "grades data a list": _edit("grades.json", lambda s: s.__setitem__("data", [])),
    "a grade without its fields": _edit("grades.json", lambda s: s["data"]["grades"].__setitem__(
        next(iter(s["data"]["grades"])), [{"state": "CS9"}])),
    "aligned without its surface": _edit("aligned.json", lambda s: s.__setitem__("data", {"x": 1})),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_stage_output_is_refused_by_name(results: Path, case: str) -> None:
    name = DAMAGE[case](results)
    before = {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()}
    got = CliRunner().invoke(app, ["publish", str(results)])
    flat = " ".join(got.output.split())
    assert got.exit_code == 2, (got.output, repr(got.exception))
    assert f"stages/{name}" in flat and "skyinspect process" in flat, got.output
    assert {p.name: p.read_bytes() for p in results.iterdir() if p.is_file()} == before
