"""A review trail with a line that is JSON but not an entry (``[]``, ``null``, a number: a hand edit,
or another tool's file) fails its hash check like any edit: every product reads it through one reader
(groundstation.workorders.read_review) and says so. Before, read_review let the AttributeError from
``entry.get`` through: `skyinspect workorders` and `skyinspect publish` ended in a traceback, while
change detection's own copy of the reader caught it."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_workorders import orders
from typer.testing import CliRunner

from groundstation.change.review import read_verdicts
from groundstation.review.audit import AuditLog
from groundstation.workorders import apply_review, read_review, write_work_orders
from skyinspect.cli.main import app


@pytest.mark.parametrize("line", ["[]", "null", "7", '"text"'])
def test_a_line_that_is_not_an_entry_fails_the_hash_check(tmp_path: Path, line: str) -> None:
    results = tmp_path / "results"
    results.mkdir()
    write_work_orders(orders(), results / "workorders.csv", results / "workorders.json", "BR-7", "2025-06-01")
    audit = AuditLog(results / "review" / "audit.jsonl")
    audit.append("ada", "reject", "F-0001")
    with audit.path.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    trail = read_review(results)
    assert "fails its hash check" in trail.broken and not trail.state
    kept, said = apply_review(orders(), results)
    assert [o.finding_id for o in kept] == [o.finding_id for o in orders()]  # nothing applied
    assert any("fails its hash check" in s for s in said)
    assert "fails its hash check" in read_verdicts(results).note
    got = CliRunner().invoke(app, ["workorders", str(results)])
    assert got.exit_code == 0 and got.exception is None, got.output
    assert "fails its hash check" in got.output
