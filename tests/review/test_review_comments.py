"""Comment text the review app stores: every product that prints it (the app's JSON, the work orders' CSV,
report, KML, GeoPackage) must be able to hold it, so what none can is refused before it reaches the trail."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402
from groundstation.review.audit import AuditLog  # noqa: E402

W = {"X-Reviewer": "ada", "Content-Type": "application/json"}


def test_half_an_emoji_is_refused_and_the_app_keeps_answering(results: Path) -> None:
    # JSON allows a lone UTF-16 surrogate escape (a client that cut a string inside an emoji sends one);
    # stored, it is no UTF-8 character: every page of the app answered 500 and publish failed on it
    c = TestClient(create_app(results), raise_server_exceptions=False)
    r = c.post("/api/findings/F-0001/review", content=b'{"action": "comment", "comment": "rust here \\ud83d"}',
               headers=W)
    assert r.status_code == 422, r.text
    assert "U+D83D" in r.json()["detail"] and "character 11" in r.json()["detail"]
    assert AuditLog(results / "review" / "audit.jsonl").entries() == []
    for path in ("/api/findings", "/api/findings/F-0001", "/api/audit", "/files/workorders-reviewed.csv"):
        assert c.get(path).status_code == 200, path
    # a whole emoji (the escaped pair) is a character like any other
    r = c.post("/api/findings/F-0001/review", content=b'{"action": "comment", "comment": "rust \\ud83d\\ude00"}',
               headers=W)
    assert r.status_code == 201 and r.json()["comment"] == "rust \U0001f600"


@pytest.mark.parametrize(("comment", "said"), [
    ("spalling\x0bsee photo", "U+000B"),  # a vertical tab
    ("crack\x00", "U+0000"), ("\x1b[31mred", "U+001B"), ("rust\x7f", "U+007F"), ("edge \x85 here", "U+0085"),
    ("ok\ufffe", "U+FFFE")])
def test_control_characters_are_refused(results: Path, comment: str, said: str) -> None:
    # no XML may hold them: findings.kml (an ElementTree writes them as they are) stopped being well-formed
    # and Google Earth would not open it
    c = TestClient(create_app(results))
    r = c.post("/api/findings/F-0001/review", json={"action": "comment", "comment": comment}, headers=W)
    assert r.status_code == 422 and said in r.json()["detail"], r.text
    r = c.post("/api/findings/F-0001/review", json={"action": "reject", "comment": comment}, headers=W)
    assert r.status_code == 422
    assert AuditLog(results / "review" / "audit.jsonl").entries() == []


def test_lines_and_tabs_reach_the_published_kml(results: Path) -> None:
    import xml.etree.ElementTree as ET

    from groundstation.republish import publish_reviewed

    c = TestClient(create_app(results))
    said = "spalling\tnext to the joint\r\nsee photo 3\n\u00e9t\u00e9 \u2013 \U0001f600"
    r = c.post("/api/findings/F-0001/review", json={"action": "comment", "comment": said}, headers=W)
    assert r.status_code == 201
    publish_reviewed(results)
    text = "".join(ET.parse(results / "findings.kml").getroot().itertext())  # well-formed
    assert "see photo 3" in text and "\U0001f600" in text
