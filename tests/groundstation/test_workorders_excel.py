"""workorders.csv opens in Excel with its non-ASCII text intact: Excel reads a CSV opened from the file
manager as the system's ANSI code page (Windows-1252 in western Europe) unless the file starts with the
UTF-8 byte order mark, so a component 'Pfeiler Süd' became 'Pfeiler SÃ¼d' and a reviewer's 'prüfen ✓'
'prÃ¼fen âœ“'. The CSVs written for people (workorders.csv, the reviewed orders, change.csv) carry the
BOM; Python reads them with encoding 'utf-8-sig' (which reads a file without one too)."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from test_workorders import FINDINGS, GRADES
from typer.testing import CliRunner

from groundstation.review.audit import AuditLog
from groundstation.workorders import build_work_orders, write_work_orders
from skyinspect.cli.main import app

LABEL = "Pfeiler Süd – Achse 3"


def _orders():  # type: ignore[no-untyped-def]
    return build_work_orders(FINDINGS, GRADES, "2025-06-01", "BR-7", {"F-0001": {"label": LABEL}})


def _rows(raw: bytes) -> dict[str, dict[str, str]]:
    return {r["finding_id"]: r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))}


def test_workorders_csv_starts_with_the_utf8_bom(tmp_path: Path) -> None:
    write_work_orders(_orders(), tmp_path / "wo.csv", tmp_path / "wo.json", "BR-7", "2025-06-01")
    raw = (tmp_path / "wo.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)  # what Excel takes as "this is UTF-8"
    assert raw.count(codecs.BOM_UTF8) == 1
    rows = _rows(raw)
    assert rows["F-0001"]["component"] == LABEL
    assert list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))[0]["work_order_id"].startswith("WO-BR-7")
    # what a reader ignoring the BOM would have shown, for the record: the label as Windows-1252 mojibake
    assert "Pfeiler SÃ¼d" in raw.decode("cp1252", errors="replace")


def test_reviewed_csv_from_the_cli_starts_with_the_bom(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    write_work_orders(_orders(), results / "workorders.csv", results / "workorders.json", "BR-7", "2025-06-01")
    AuditLog(results / "review" / "audit.jsonl").append("Jürgen", "comment", "F-0001", comment="vor Ort prüfen ✓")
    got = CliRunner().invoke(app, ["workorders", str(results), "--write-csv", str(tmp_path / "cmms.csv")])
    assert got.exit_code == 0, got.output
    raw = (tmp_path / "cmms.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and raw.count(codecs.BOM_UTF8) == 1
    assert "Jürgen: vor Ort prüfen ✓" in _rows(raw)["F-0001"]["description"]
