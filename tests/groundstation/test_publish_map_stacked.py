"""map.html on a vertical face: findings one above the other share a place on a 2D map.

Found on the demo's map.html (seed 7, chromium): F-0008, F-0010-J and F-0010 lie 494.9, 494.3 and 493.6 m
MSL on the pier face at the same latitude and longitude (within 1 mm), so their markers were drawn on one
spot at every zoom; a click opened the top one's popup, and the others' popups (crop, width, grade) could
not be reached from the map at all. A marker's popup now lists the findings drawn under it, each a link
to its own popup."""

from __future__ import annotations

from pathlib import Path

import pytest
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, face_flight, face_surface

from test_publish_map_popups import _offline_page

# one face position, two heights: a rust patch above another, both in every frame of the face flight
ABOVE_M, BELOW_M = FLY_HEIGHT_M + 0.25, FLY_HEIGHT_M - 0.25


@pytest.fixture(scope="module")
def stacked_map(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from groundstation.pipeline import process

    tmp = tmp_path_factory.mktemp("stacked")
    defects = [corrosion_on_face(0.3, ABOVE_M), corrosion_on_face(0.3, BELOW_M)]
    summary = process(face_flight(tmp / "flight", defects), tmp / "out", face_surface(), progress=False)
    assert summary.findings == 2
    return tmp / "out" / "map.html"


_MARKERS = """() => { const m = window[Object.getOwnPropertyNames(window).find(k => k.startsWith('map_'))];
    const out = []; m.eachLayer(l => { if (l instanceof L.CircleMarker && l.getPopup()) {
        const p = m.latLngToContainerPoint(l.getLatLng()); out.push([l.getTooltip().getContent(), p.x, p.y]); } });
    return out; }"""


def _shown(page) -> str:  # type: ignore[no-untyped-def]
    page.locator(".leaflet-popup-content").wait_for()
    return page.locator(".leaflet-popup-content b").first.inner_text()  # the finding's id, first in bold


def test_each_of_two_findings_one_above_the_other_can_be_opened_by_clicking(stacked_map: Path) -> None:
    with _offline_page(viewport={"width": 1280, "height": 900}) as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(stacked_map.as_uri())
        page.wait_for_timeout(1000)  # the map settles (fitBounds) before a user clicks
        markers = page.evaluate(_MARKERS)
        assert len(markers) == 2
        (_, x0, y0), (_, x1, y1) = markers
        assert abs(x0 - x1) < 2 and abs(y0 - y1) < 2  # one spot on the map: the face is vertical
        ids = sorted(t.replace("<div>", "").replace("</div>", "") for t, _, _ in markers)
        page.mouse.click(x0, y0)
        first = _shown(page)
        reached = {first}
        # the popup names the other finding under this marker, and its link opens that one's popup
        links = page.locator(".leaflet-popup-content .skyinspect-here-too a")
        assert links.count() == 1, page.inner_text(".leaflet-popup-content")
        note = page.inner_text(".leaflet-popup-content .skyinspect-here-too")
        assert "0.50 m below" in note or "0.50 m above" in note, note  # 0.5 m apart on the face
        links.first.click()
        page.wait_for_function("t => { const b = document.querySelector('.leaflet-popup-content b');"
                               " return b && b.innerText !== t; }", arg=first)
        reached.add(_shown(page))
        assert sorted(reached) == ids
        assert page.locator(".leaflet-popup-content img").count() == 1  # its crop, not the first's
        assert errors == []
