"""A workorders.json whose review section (written by `skyinspect publish`) is damaged, by hand or by
another tool: `skyinspect workorders` (and the review app's reviewed orders) ended in a traceback
(KeyError 'finding_id', TypeError 'int' object is not iterable). Now refused naming the file, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_workorders import orders
from typer.testing import CliRunner

from groundstation.workorders import write_work_orders
from skyinspect.cli.main import app


@pytest.mark.parametrize("review", [{"rejected_orders": [{"x": 1}]}, {"rejected": 5}, {"rejected_orders": 7},
                                    {"rejected_orders": [5]}, {"graded_as": []}])
def test_a_damaged_review_section_is_refused_by_name(tmp_path: Path, review: dict) -> None:
    results = tmp_path / "results"
    results.mkdir()
    write_work_orders(orders(), results / "workorders.csv", results / "workorders.json", "BR-7", "2025-06-01",
                      {"applied_to_seq": 1, "by": ["ada"], "rejected": [], "rejected_orders": [], **review})
    got = CliRunner().invoke(app, ["workorders", str(results)])
    assert got.exit_code == 2, (got.output, repr(got.exception))
    assert "workorders.json" in got.output and "review" in got.output
