"""A trail written before the app refused them (83aaa09, 1665e04) may hold a comment with a control
character or half a surrogate pair. The trail stays as it is (its hash chain covers those bytes); what
is written from it must still be readable: findings.kml well-formed XML, the app's pages answered."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from groundstation.review.audit import AuditLog


def _old_trail(results: Path, comment: str) -> bytes:
    # AuditLog.append takes any text, as the app did before it refused these comments
    audit = AuditLog(results / "review" / "audit.jsonl")
    audit.append("ada", "comment", "F-0001", comment=comment)
    audit.append("bob", "reject", "F-0002", comment=comment)
    return audit.path.read_bytes()


def test_control_characters_of_an_old_trail_leave_the_kml_well_formed(results: Path) -> None:
    from groundstation.republish import publish_reviewed

    trail = _old_trail(results, "crack \x0b width \x01 ok\ufffe")
    publish_reviewed(results)
    text = "".join(ET.parse(results / "findings.kml").getroot().itertext())  # well-formed
    assert "crack \ufffd width \ufffd ok\ufffd" in text  # each one shown replaced, the rest as written
    assert (results / "review" / "audit.jsonl").read_bytes() == trail
    assert AuditLog(results / "review" / "audit.jsonl").verify()


def test_half_a_surrogate_pair_in_an_old_trail_is_shown_replaced_and_published(results: Path) -> None:
    import pytest

    pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
    from fastapi.testclient import TestClient

    from groundstation.republish import publish_reviewed
    from groundstation.review.app import create_app

    trail = _old_trail(results, "rust \ud83d here")  # an emoji cut in two; json.dumps escapes it
    c = TestClient(create_app(results), raise_server_exceptions=False)
    for path in ("/api/findings", "/api/findings/F-0001", "/api/audit", "/files/workorders-reviewed.csv"):
        assert c.get(path).status_code == 200, path  # each had answered 500 (no UTF-8 for it)
    detail = c.get("/api/findings/F-0001").json()
    assert [x["text"] for x in detail["review"]["comments"]] == ["rust \ufffd here"]
    assert [e["comment"] for e in c.get("/api/audit").json()["entries"]] == ["rust \ufffd here"] * 2
    assert c.get("/api/audit").json()["verified"] is True
    publish_reviewed(results)  # had failed: UnicodeEncodeError writing findings.gpkg
    assert "rust \ufffd here" in "".join(ET.parse(results / "findings.kml").getroot().itertext())
    assert "rust \ufffd here" in (results / "workorders.csv").read_text(encoding="utf-8-sig")
    assert (results / "review" / "audit.jsonl").read_bytes() == trail
    assert AuditLog(results / "review" / "audit.jsonl").verify()
