"""A relabelled finding's work order names the reviewer's class in its ``defect`` column once publish graded
it as that class. On the demo (F-0013 rust relabelled crack, F-0001 crack relabelled corrosion, published),
workorders.csv said ``defect`` corrosion beside rule aashto-mbei-1130 (crack width) and crack beside
aashto-mbei-1000 (steel corrosion): a CMMS filing by defect sent a crack crew to rust. The class the model
found stays in ``found_as``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import crack_and_rust, decide  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from skyinspect.cli.main import app  # noqa: E402


def _rows(text: str) -> dict[str, dict[str, str]]:
    return {r["finding_id"]: r for r in csv.DictReader(io.StringIO(text))}


def test_a_published_relabel_names_the_reviewed_class_as_the_defect(results: Path, tmp_path: Path) -> None:
    from groundstation.republish import publish_reviewed

    c, crack, rust = crack_and_rust(results)
    decide(c, rust, "relabel", label="crack")
    decide(c, crack, "relabel", label="corrosion")
    before = _rows(c.get("/files/workorders-reviewed.csv").content.decode("utf-8-sig"))
    # not published yet: still graded as the class found, so the defect stays the class found (its grade's)
    assert before[rust]["defect"] == "corrosion" and before[rust]["rule"].startswith("aashto-mbei-1000")
    assert "grade it again as crack" in before[rust]["description"]

    publish_reviewed(results)
    rows = _rows((results / "workorders.csv").read_text(encoding="utf-8-sig"))
    assert rows[rust]["rule"].startswith("aashto-mbei-1130") and rows[rust]["defect"] == "crack"
    assert rows[rust]["found_as"] == "corrosion"
    assert rows[crack]["rule"].startswith("aashto-mbei-1000") and rows[crack]["defect"] == "corrosion"
    assert rows[crack]["found_as"] == "crack"
    assert rows[rust]["description"].endswith("Review: relabelled crack by ada (graded as crack).")
    orders = {o["finding_id"]: o for o in json.loads((results / "workorders.json").read_text())["work_orders"]}
    assert (orders[rust]["defect"], orders[rust]["found_as"]) == ("crack", "corrosion")

    # listed and rewritten by `skyinspect workorders` (and the review app) after publishing: the same
    got = CliRunner().invoke(app, ["workorders", str(results), "--write-csv", str(tmp_path / "after.csv")])
    assert got.exit_code == 0, got.output
    assert "still graded as found" not in " ".join(got.output.split())
    after = _rows((tmp_path / "after.csv").read_text(encoding="utf-8-sig"))
    served = _rows(c.get("/files/workorders-reviewed.csv").content.decode("utf-8-sig"))
    for table in (after, served):
        assert (table[rust]["defect"], table[rust]["found_as"]) == ("crack", "corrosion")
        assert table[rust]["description"].endswith("Review: relabelled crack by ada (graded as crack).")
        assert "grade it again" not in table[crack]["description"]


def test_a_relabel_undone_after_publishing_is_said_graded_as_published(results: Path) -> None:
    """Relabelled, published, then set back to the class found: the order is still graded as the published
    relabel until published again, and the listing says so instead of nothing."""
    from groundstation.republish import publish_reviewed
    from groundstation.workorders import apply_review, load_work_orders

    c, _, rust = crack_and_rust(results)
    decide(c, rust, "relabel", label="crack")
    publish_reviewed(results)
    decide(c, rust, "relabel", label="corrosion")
    orders, said = apply_review(load_work_orders(results)[0], results)
    order = next(o for o in orders if o.finding_id == rust)
    assert order.defect == "crack" and order.rule.startswith("aashto-mbei-1130")
    assert any(f"{rust} crack -> corrosion" in s and "graded as published" in s for s in said), said
    assert "grade it again as corrosion" in order.description, order.description
