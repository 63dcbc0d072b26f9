"""The review app lists a published relabel's grade as published: it read stages/grades.json (as
processed), so after `skyinspect publish` graded a rust patch relabelled crack 'indeterminate' by
aashto-mbei-1130, the app still listed it 'CS2+' by aashto-mbei-1000 (the report, map and work orders
gave the crack's grade)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import publish_rust_relabelled_crack  # noqa: E402


def test_the_app_lists_the_published_grade_of_a_relabel(results: Path) -> None:
    c, rust, published = publish_rust_relabelled_crack(results)
    from fastapi.testclient import TestClient

    from groundstation.review.app import create_app

    rows = TestClient(create_app(results)).get("/api/findings").json()
    rows = rows["findings"] if isinstance(rows, dict) else rows
    row = next(r for r in rows if r["finding_id"] == rust)
    assert (row["grade"], row["grade_rule"]) == (published["grade"], published["grade_rule"])
