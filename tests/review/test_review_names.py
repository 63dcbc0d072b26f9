"""Reviewer names: letters of any script, percent-encoded by the page; controls and markup refused."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402


@pytest.mark.parametrize(("header", "who"), [
    ("ada", "ada"), (quote("José García"), "José García"), (quote("Łukasz Żak"), "Łukasz Żak"),
    (quote("王芳"), "王芳"), (quote("José".replace("é", "e\u0301")), "José"),  # decomposed é stored composed
    ("ada.l@example.org", "ada.l@example.org"), ("Siobhan O'Brien", "Siobhan O'Brien"),
    (quote("Luca D’Angelo"), "Luca D’Angelo")])  # an apostrophe in a name had been refused
def test_names_of_any_script_are_recorded_as_typed(results: Path, header: str, who: str) -> None:
    c = TestClient(create_app(results))
    r = c.post("/api/findings/F-0001/review", json={"action": "confirm"},
               headers={"X-Reviewer": header, "Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert r.json()["who"] == who
    assert c.get("/api/findings/F-0001").json()["review"]["by"] == who


@pytest.mark.parametrize("header", ["", "%20ada", "ada%0Aeve", quote("<b>x</b>"), "%FF%FE", "a" * 65,
                                    quote("ada\u202eeve"), "_ada"])
def test_what_is_not_a_name_is_refused(results: Path, header: str) -> None:
    c = TestClient(create_app(results))
    r = c.post("/api/findings/F-0001/review", json={"action": "confirm"},
               headers={"X-Reviewer": header, "Content-Type": "application/json"})
    assert r.status_code == 422 and "X-Reviewer" in r.text
