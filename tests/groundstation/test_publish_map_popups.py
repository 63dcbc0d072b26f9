"""map.html popups: text folium puts inside a JavaScript template literal, and popups that fit a phone.

Found opening the demo's map.html in chromium (offline): a finding's popup was 947 px tall, so on a
390x740 phone (and a 1366x700 laptop) its grade and clause lay below the map's edge, and the layer list
covered its close button. Reading folium's popup template: the popup's HTML is put in `...`, where a
"${" from a component name (asset files name piers and girders) ran as code and a backslash before a
"u" ("C:\\users") was a syntax error that left the whole map blank."""

from __future__ import annotations

import contextlib
import html
import math
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from groundstation.publish.webmap import popup_html

NASTY = "pier `P1` ${alert(document.domain)} C:\\users\\ops"
CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).is_file()), None)


def _inp(label: str) -> SimpleNamespace:
    f = SimpleNamespace(finding_id="F-0001", class_name="crack", score=0.7, view_count=3, best_view=(4, 0),
                        lat_deg=47.4, lon_deg=8.5, alt_msl_m=490.0, ce90_m=math.nan, measurements={})
    return SimpleNamespace(findings=[f], primary_grade=lambda fid: None, checks={}, component_label=lambda fid: label,
                           location=lambda fid: {"location": label})


def test_popup_text_cannot_break_out_of_folium_template_literal() -> None:
    text = popup_html(_inp(NASTY), 0, None)  # type: ignore[arg-type]
    assert "${" not in text and "\\" not in text and "`" not in text
    assert NASTY in html.unescape(text)  # the reader still sees the name as written


def _browser():  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        pytest.skip("system chromium not installed (Debian: apt-get install -y chromium); the browser check needs it")
    pytest.importorskip("playwright.sync_api", reason="playwright not installed (pip install playwright; no browser download)")
    from playwright.sync_api import sync_playwright

    return sync_playwright()


@contextlib.contextmanager
def _offline_page(**context):  # type: ignore[no-untyped-def]
    """A page of the system chromium, offline (as a map opens on site); ``context``: viewport etc."""
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield browser.new_context(offline=True, **context).new_page()
        finally:
            browser.close()


def _open_first_popup(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(1000)  # the map settles (fitBounds) before a user clicks
    page.evaluate("""() => { const m = window[Object.getOwnPropertyNames(window).find(k => k.startsWith('map_'))];
        let done = false; m.eachLayer(l => { if (!done && l instanceof L.CircleMarker && l.getPopup()) {
        l.openPopup(); done = true; } }); }""")
    page.locator(".leaflet-popup").wait_for()
    page.wait_for_timeout(1200)  # autopan


def test_a_popup_with_a_nasty_component_name_opens_in_a_browser(tmp_path: Path) -> None:
    import folium

    from skyinspect.webpage import save_offline

    fmap = folium.Map(location=[47.4, 8.5], zoom_start=19, tiles=None)
    folium.CircleMarker([47.4, 8.5], radius=6, popup=folium.Popup(popup_html(_inp(NASTY), 0, None),  # type: ignore[arg-type]
                                                                  max_width=320)).add_to(fmap)
    save_offline(fmap, tmp_path / "map.html")
    with _offline_page() as page:
        errors: list[str] = []
        dialogs: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto((tmp_path / "map.html").as_uri())
        _open_first_popup(page)
        assert errors == [] and dialogs == []
        assert NASTY in page.inner_text(".leaflet-popup-content")


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 740}, {"width": 1366, "height": 700}])
def test_a_popup_fits_a_phone_and_a_short_laptop_screen(tmp_path: Path, two_defect_flight, viewport) -> None:  # type: ignore[no-untyped-def]
    from gs_fixtures import face_surface

    from groundstation.pipeline import process

    folder, _ = two_defect_flight
    process(folder, tmp_path / "out", face_surface(), progress=False)
    with _offline_page(viewport=viewport) as page:
        page.goto((tmp_path / "out" / "map.html").as_uri())
        _open_first_popup(page)
        box = page.locator(".leaflet-popup").bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        # its close button is not under the layer list, and what does not fit scrolls inside it
        close = page.locator(".leaflet-popup-close-button").bounding_box()
        assert close and page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('.leaflet-popup') !== null",
                                       [close["x"] + close["width"] / 2, close["y"] + close["height"] / 2])
        page.locator(".leaflet-popup-content", has_text="grade").wait_for(state="attached")


@pytest.fixture(scope="module")
def demo_like_map(face_processed: tuple[Any, Path]) -> tuple[Path, int]:
    summary, out = face_processed
    return out / "map.html", summary.findings


def test_each_crop_is_embedded_once_and_the_outline_opens_the_markers_popup(demo_like_map: tuple[Path, int]) -> None:
    """The outline and the marker each had a popup with the crop: every crop embedded twice (map.html
    36.6 MB at 2,585 findings). The outline now opens the marker's popup."""
    import re

    path, findings = demo_like_map
    text = path.read_text()
    assert findings == 2 and text.count("data:image/jpeg;base64,") == findings
    # the findings layer's script ties each outline to its marker (the next test clicks one)
    assert len(re.findall(r'outline\.on\("click", function \(\) \{ marker\.openPopup\(\); \}\);', text)) == 1


def test_clicking_an_outline_shows_the_findings_popup_in_a_browser(demo_like_map: tuple[Path, int]) -> None:
    path, _ = demo_like_map
    with _offline_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_timeout(1000)
        page.evaluate("""() => { const m = window[Object.getOwnPropertyNames(window).find(k => k.startsWith('map_'))];
            let hit = null; m.eachLayer(l => { if (!hit && l instanceof L.Polygon && l.getTooltip()
            && /F-0001/.test(l.getTooltip().getContent())) hit = l; }); hit.fire('click'); }""")
        page.locator(".leaflet-popup-content", has_text="F-0001").wait_for()
        page.wait_for_function("() => [...document.querySelectorAll('.leaflet-popup-content img')]"
                               ".some(i => i.complete && i.naturalWidth > 0)")
        assert errors == []
