"""A trail cut short or replaced after publishing still verifies (a hash chain cannot see entries cut off
its end), and the app said nothing: the products showed a rejection the trail no longer held while the
page's published line counted 0 decisions since. The app now compares the trail with what publish
recorded in inspection.json (the seq and the hash of the last entry it applied) and says so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import crack_and_rust, decide  # noqa: E402

from groundstation.republish import publish_reviewed  # noqa: E402
from groundstation.review.audit import AuditLog  # noqa: E402


def test_a_trail_cut_after_publishing_is_said(results: Path) -> None:
    c, crack, rust = crack_and_rust(results)
    decide(c, crack, "confirm")
    decide(c, rust, "reject", comment="a stain")
    publish_reviewed(results)
    review = json.loads((results / "inspection.json").read_text())["review"]
    assert review["rejected"] == [rust] and review["applied_to_seq"] == 2
    trail = results / "review" / "audit.jsonl"
    assert review["applied_to_hash"] == AuditLog(trail).entries()[-1]["hash"]
    trail.write_text(trail.read_text().splitlines(True)[0])  # the reject cut off; the chain still verifies
    assert c.get("/api/audit").json()["verified"] is True
    published = c.get("/api/inspection").json()["published"]
    assert published["review_seq"] == 2
    assert "holds 1 entries" in published["trail_changed"] and "#2" in published["trail_changed"]


def test_a_trail_replaced_after_publishing_is_said(results: Path) -> None:
    c, crack, rust = crack_and_rust(results)
    decide(c, rust, "reject")
    publish_reviewed(results)
    trail = results / "review" / "audit.jsonl"
    shutil.move(trail, results / "review" / "audit-old.jsonl")  # a new trail, as the app's advice allows
    for action in ("confirm", "comment", "confirm"):
        decide(c, crack, action, **({"comment": "seen"} if action == "comment" else {}))
    published = c.get("/api/inspection").json()["published"]
    assert "not the one published" in published["trail_changed"]  # had read '2 made since'
    publish_reviewed(results)  # published from the new trail: nothing to say
    assert c.get("/api/inspection").json()["published"] == {"review_seq": 3, "decisions_since": 0,
                                                           "trail_changed": ""}
