"""`skyinspect serve` on a damaged results folder (a copy cut short, a full disk, a hand edit) is refused
naming the file: a findings.json cut mid-write ended in a JSONDecodeError traceback, a finding without
its class in KeyError 'class_name', grades.json's data [] in TypeError, inspection.json holding a list
in AttributeError."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _json(name: str, change: Callable[[object], object]) -> Callable[[Path], str]:
    def damage(results: Path) -> str:
        path = results / name
        path.write_text(json.dumps(change(json.loads(path.read_text()))))
        return name
    return damage


def _cut(name: str) -> Callable[[Path], str]:
    def damage(results: Path) -> str:
        text = (results / name).read_text()
        (results / name).write_text(text[: len(text) // 2])
        return name
    return damage


def _pop(key: str) -> Callable[[object], object]:
    def change(stored: object) -> object:
        stored["data"][0].pop(key)  # type: ignore[index]
        return stored
    return change


DAMAGE = {
    "findings cut short": _cut("stages/findings.json"),
    "a finding without its class": _json("stages/findings.json", _pop("class_name")),
    "findings without data": _json("stages/findings.json", lambda s: {"stage": "measure"}),
    "grades data a list": _json("stages/grades.json", lambda s: {**s, "data": []}),  # type: ignore[dict-item]
    "grades cut short": _cut("stages/grades.json"),
    "inspection a list": _json("inspection.json", lambda s: []),
    "inspection cut short": _cut("inspection.json"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_serve_refuses_a_damaged_results_folder_by_name(results: Path, case: str) -> None:
    from groundstation.review.app import create_app
    from skyinspect.errors import InputError

    name = DAMAGE[case](results)
    with pytest.raises(InputError, match=name.replace(".", r"\.")):
        create_app(results)
    got = CliRunner().invoke(app, ["serve", str(results), "--port", "1"])  # refused before the port is opened
    assert got.exit_code == 2 and name in " ".join(got.output.split()), (got.output, repr(got.exception))
