"""Change detection gives a reviewed finding the grade its results folder published: it read
stages/grades.json, the grades as processed, so the demo's F-0002 (rust relabelled crack, published
'indeterminate' by aashto-mbei-1130: a crack with no width) was listed as a new crack graded CS2, the
grade of the corrosion it was found as (aashto-mbei-1000)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import crack_and_rust  # noqa: E402

W = {"X-Reviewer": "ada", "Content-Type": "application/json"}


def test_change_reads_the_published_grades_of_a_reviewed_folder(results: Path, tmp_path: Path) -> None:
    from groundstation.change import compare
    from groundstation.republish import publish_reviewed

    before = tmp_path / "before"
    shutil.copytree(results, before)
    c, _, rust = crack_and_rust(results)
    assert c.post(f"/api/findings/{rust}/review", json={"action": "relabel", "label": "crack"},
                  headers=W).status_code == 201
    publish_reviewed(results)
    feats = json.loads((results / "findings.geojson").read_text())["features"]
    published = next(f["properties"] for f in feats if f["properties"]["finding_id"] == rust)
    assert published["grade_rule"].startswith("aashto-mbei-1130")
    report = compare(before, results)
    now = next(ch for ch in report.changes if ch.finding_id == rust)
    assert now.current_grade == published["grade"].rstrip("+")
    was = next(ch for ch in report.changes if ch.previous_finding_id == rust and ch.finding_id is None) \
        if now.previous_finding_id != rust else now
    assert was.previous_grade == "CS2"  # last time's: the corrosion as processed, not reviewed
