"""A review app left running while the review is published lists the grades as published. It read the
grades once, at start: on the demo, F-0001 (a crack relabelled corrosion, published: CS2+ by
aashto-mbei-1000) went on being listed 'CS2 (aashto-mbei-1130@1)', a crack's grade, until the app was
restarted, while the report, map and work orders gave the corrosion grade."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import crack_and_rust, decide  # noqa: E402


def _row(c, fid: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    rows = c.get("/api/findings").json()
    rows = rows["findings"] if isinstance(rows, dict) else rows
    return next(r for r in rows if r["finding_id"] == fid)


def test_the_running_app_lists_the_grade_published_since_it_started(results: Path) -> None:
    import json

    from groundstation.republish import publish_reviewed

    c, _, rust = crack_and_rust(results)
    before = _row(c, rust)
    decide(c, rust, "relabel", label="crack")
    publish_reviewed(results)
    published = next(f["properties"] for f in json.loads((results / "findings.geojson").read_text())["features"]
                     if f["properties"]["finding_id"] == rust)
    assert published["grade_rule"] != before["grade_rule"]  # publish graded it as a crack
    row = _row(c, rust)
    assert (row["grade"], row["grade_rule"]) == (published["grade"], published["grade_rule"])
    detail = c.get(f"/api/findings/{rust}").json()
    assert detail["grades"][0]["rule"] == published["grade_rule"]
    assert c.get(f"/api/findings?grade={published['grade']}").json()  # the filter sees it too


def test_grades_of_other_findings_processed_into_the_folder_are_not_listed(results: Path, tmp_path: Path) -> None:
    """Another flight processed into the folder: the app still shows (and refuses decisions on) the findings
    it started with, so it keeps their grades; the new F-0001's would have been listed against the old one."""
    from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, face_flight, face_surface

    from groundstation.pipeline import process

    c, crack, _ = crack_and_rust(results)
    before = _row(c, crack)
    process(face_flight(tmp_path / "other", [corrosion_on_face(0.3, FLY_HEIGHT_M + 0.4)]), results, face_surface(),
            progress=False)
    assert (_row(c, crack)["grade"], _row(c, crack)["grade_rule"]) == (before["grade"], before["grade_rule"])
