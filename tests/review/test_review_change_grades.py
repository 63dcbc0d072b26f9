"""Change detection gives a reviewed finding the grade its results folder published: it read
stages/grades.json, the grades as processed, so the demo's F-0002 (rust relabelled crack, published
'indeterminate' by aashto-mbei-1130: a crack with no width) was listed as a new crack graded CS2, the
grade of the corrosion it was found as (aashto-mbei-1000)."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import publish_rust_relabelled_crack  # noqa: E402


def test_change_reads_the_published_grades_of_a_reviewed_folder(results: Path, tmp_path: Path) -> None:
    from groundstation.change import compare

    before = tmp_path / "before"
    shutil.copytree(results, before)
    # last year's flight (change refuses one flight compared with itself), its findings as this one's
    meta = json.loads((before / "inspection.json").read_text())
    day = date.fromisoformat(meta["inspection_date"])
    (before / "inspection.json").write_text(json.dumps({**meta, "start_time_utc_s": meta["start_time_utc_s"] - 365 * 86400,
                                                        "inspection_date": str(day - timedelta(days=365))}))
    c, rust, published = publish_rust_relabelled_crack(results)
    assert published["grade_rule"].startswith("aashto-mbei-1130")
    report = compare(before, results)
    now = next(ch for ch in report.changes if ch.finding_id == rust)
    assert now.current_grade == published["grade"].rstrip("+")
    was = next(ch for ch in report.changes if ch.previous_finding_id == rust and ch.finding_id is None) \
        if now.previous_finding_id != rust else now
    assert was.previous_grade == "CS2"  # last time's: the corrosion as processed, not reviewed
