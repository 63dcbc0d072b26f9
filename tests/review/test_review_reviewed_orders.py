"""The review app offers the work orders as reviewed: its "workorders.csv" link gave the file as
processed, so a finding just rejected in the app (a formwork joint) still had its work order there,
and a relabel or a comment was not in it."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402

W = {"X-Reviewer": "ada", "Content-Type": "application/json"}


def test_the_reviewed_work_orders_follow_the_decisions(results: Path) -> None:
    c = TestClient(create_app(results))
    assert "workorders-reviewed.csv" in c.get("/api/inspection").json()["products"]
    before = list(csv.DictReader(io.StringIO(c.get("/files/workorders-reviewed.csv").text)))
    assert len(before) == 2
    rejected, commented = before[0]["finding_id"], before[1]["finding_id"]
    c.post(f"/api/findings/{rejected}/review", json={"action": "reject"}, headers=W)
    c.post(f"/api/findings/{commented}/review", json={"action": "comment", "comment": "prüfen ✓"}, headers=W)
    r = c.get("/files/workorders-reviewed.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers.get("content-disposition", "")
    assert r.content.startswith(codecs.BOM_UTF8)  # Excel reads it as UTF-8, not the ANSI code page
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["finding_id"] for row in rows] == [commented]
    assert "Review: ada: prüfen ✓" in rows[0]["description"]
    assert (results / "workorders.csv").read_text().count("\n") == 3  # the processed file stays as it was
