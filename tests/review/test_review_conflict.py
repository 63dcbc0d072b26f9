"""Two reviewers on one finding: a decision made on a stale view is refused, not silently applied.

Found in a browser (two contexts on `skyinspect serve` of the demo): ada confirmed F-0005, bob's page
still showed it unreviewed, bob clicked Reject and got "reject saved"; ada's confirmation was overridden
and neither was told."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402
from review_helpers import decide  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402

ADA = {"X-Reviewer": "ada", "Content-Type": "application/json"}
BOB = {**ADA, "X-Reviewer": "bob"}


def test_a_decision_on_a_stale_view_is_refused(results: Path) -> None:
    c = TestClient(create_app(results))
    fid = c.get("/api/findings").json()[0]["finding_id"]
    url = f"/api/findings/{fid}/review"
    seen = c.get(f"/api/findings/{fid}").json()["review"].get("seq", 0)  # both pages opened it undecided
    assert seen == 0
    decide(c, fid, "confirm", ADA, base_seq=seen)
    r = c.post(url, json={"action": "reject", "base_seq": seen}, headers=BOB)
    assert r.status_code == 409 and "ada" in r.json()["detail"] and "confirm" in r.json()["detail"]
    row = c.get(f"/api/findings/{fid}").json()["review"]
    assert row["status"] == "confirmed" and row["by"] == "ada"
    # a comment never conflicts (comments add up), and does not move the decision seq
    decide(c, fid, "comment", BOB, comment="rust?", base_seq=seen)
    assert c.get(f"/api/findings/{fid}").json()["review"]["seq"] == row["seq"]
    # having looked again, bob's decision goes through
    decide(c, fid, "relabel", BOB, label="corrosion", base_seq=row["seq"])
    assert c.get(f"/api/findings/{fid}").json()["review"]["label"] == "corrosion"
    # without base_seq (scripts, older pages) decisions are taken as before
    decide(c, fid, "reject", ADA)
    assert c.post(url, json={"action": "confirm", "base_seq": "1"}, headers=ADA).status_code == 422
    audit = c.get("/api/audit").json()
    assert audit["verified"] and [e["action"] for e in audit["entries"]] == ["confirm", "comment", "relabel", "reject"]
