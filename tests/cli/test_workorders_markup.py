"""`skyinspect workorders` prints names from the results (components from the asset file, the asset id)
and paths as written: rich read '[north]' in 'Pier [north]' as a style and dropped it, and a closing
tag such as '[/2]' in 'Span [/2]' ended in a MarkupError traceback, exit 1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from skyinspect.cli.main import app


def _with_components(results: Path, tmp_path: Path, names: list[str]) -> Path:
    out = tmp_path / "results"
    shutil.copytree(results, out)
    path = out / "workorders.json"
    doc = json.loads(path.read_text())
    assert len(doc["work_orders"]) >= len(names)
    for order, name in zip(doc["work_orders"], names):
        order["component"] = name
    doc["asset_id"] = "bridge [east]"
    path.write_text(json.dumps(doc))
    return out


def test_names_with_brackets_are_printed_as_written(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    results = _with_components(inspections[1], tmp_path, ["Pier [north]", "Span [/2]"])
    csv_path = tmp_path / "orders [draft].csv"
    run = CliRunner().invoke(app, ["workorders", str(results), "--write-csv", str(csv_path)], env={"COLUMNS": "300"})
    assert run.exit_code == 0, run.output
    text = run.output
    assert "Pier [north]" in text and "Span [/2]" in text and "asset bridge [east]" in text, text
    assert f"to {csv_path}" in " ".join(text.split()), text
