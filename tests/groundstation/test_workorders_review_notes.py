"""The reviewed work orders (`skyinspect workorders --write-csv`, for a CMMS) carry what the reviewer
said: a relabel and the comments reached the terminal only. On the demo, F-0002 relabelled corrosion ->
crack went to the CMMS as 'corrosion ... clean and spot-coat' with no word of it, and a comment
'vor Ort prüfen ✓' on F-0003 was nowhere in the file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from test_workorders import orders
from typer.testing import CliRunner

from groundstation.review.audit import AuditLog
from groundstation.workorders import apply_review, write_work_orders
from skyinspect.cli.main import app


def test_relabel_confirmation_and_comments_reach_the_cmms_file(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    write_work_orders(orders(), results / "workorders.csv", results / "workorders.json", "BR-7", "2025-06-01")
    audit = AuditLog(results / "review" / "audit.jsonl")
    audit.append("Jürgen", "relabel", "F-0004", label="corrosion")
    audit.append("Jürgen", "comment", "F-0001", comment="vor Ort prüfen ✓")
    audit.append("eng2", "confirm", "F-0001")
    kept, _ = apply_review(orders(), results)
    by = {o.finding_id: o for o in kept}
    assert by["F-0003"] == next(o for o in orders() if o.finding_id == "F-0003")  # not reviewed: as built
    assert "Review: relabelled corrosion by Jürgen (graded as crack: grade it again as corrosion)" in by["F-0004"].description
    assert "Review: confirmed by eng2; Jürgen: vor Ort prüfen ✓" in by["F-0001"].description
    got = CliRunner().invoke(app, ["workorders", str(results), "--write-csv", str(tmp_path / "cmms.csv")])
    assert got.exit_code == 0, got.output
    rows = {r["finding_id"]: r for r in csv.DictReader(io.StringIO((tmp_path / "cmms.csv").read_text("utf-8")))}
    assert "relabelled corrosion by Jürgen" in rows["F-0004"]["description"]
    assert "vor Ort prüfen ✓" in rows["F-0001"]["description"]
