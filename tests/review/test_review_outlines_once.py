"""Every finding's outline (/api/outlines, what the page's map draws) was worked out and encoded anew on every
page load, each coordinate at full float precision: on the demo's findings repeated to 1,600 (227,300 points)
12.8 MB and 0.2-0.3 s of the server's CPU (0.8-1.2 s until it arrived) each time, the table's answer waiting
behind it on a busy machine. The outlines do not change while the app runs: encoded once, to 1e-8 degree
(1.1 mm) and 1 mm of height, far below what the map can show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")


def test_the_outlines_are_encoded_once_to_a_millimetre(results: Path) -> None:
    from fastapi.testclient import TestClient

    from groundstation.review.app import create_app

    app = create_app(results)
    data = app.state.data
    full = {fid: data.outline(fid) for fid in data.findings}
    calls: list[str] = []
    outline = data.outline
    data.outline = lambda fid: calls.append(fid) or outline(fid)  # type: ignore[method-assign]
    c = TestClient(app)
    first = c.get("/api/outlines")
    assert first.status_code == 200 and first.headers["content-type"].startswith("application/json")
    assert c.get("/api/outlines").content == first.content
    assert len(calls) <= len(full)  # worked out once, not on every page load
    got = first.json()
    assert got.keys() == full.keys() and all(len(got[f]) == len(full[f]) > 2 for f in full)
    for fid, points in full.items():
        for (lat, lon, alt), (la, lo, al) in zip(points, got[fid]):
            assert abs(la - lat) <= 5.1e-9 and abs(lo - lon) <= 5.1e-9 and abs(al - alt) <= 0.00051
    assert len(first.content) < 0.6 * len(json.dumps(full))
