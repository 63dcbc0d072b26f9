"""The review app shows a lower-bound grade as the report does: steel corrosion graded "CS2+" (CS3/CS4
cannot be excluded from imagery) was listed as plain "CS2"."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from groundstation.review.app import create_app


def test_a_lower_bound_grade_keeps_its_plus_and_filters_with_its_state(results: Path) -> None:
    c = TestClient(create_app(results, None))
    rust = next(r for r in c.get("/api/findings").json() if r["class"] == "corrosion")
    assert rust["grade"] == "CS2+"
    assert c.get(f"/api/findings/{rust['finding_id']}").json()["grade"] == "CS2+"
    for typed in ("CS2", "CS2+"):
        assert [r["finding_id"] for r in c.get("/api/findings", params={"grade": typed}).json()] == [rust["finding_id"]]
