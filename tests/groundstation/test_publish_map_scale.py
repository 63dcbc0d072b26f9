"""map.html at inspection scale: its size in work must not grow with a template per element.

folium renders each polygon, marker, tooltip and popup from a template, and branca compiles each
rendered piece as a Jinja template again (the popup with its crop in it): 7,245 compiles, 3 of the
5 s of map.html on the 1,000-frame bench flight (1,000 footprints, 864 findings). The layers are now
data that one script per layer draws; the browser test below holds what a user sees to the old map.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from groundstation.pipeline import process


@pytest.fixture(scope="module")
def inp(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import groundstation.pipeline as pipeline
    from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface

    tmp = tmp_path_factory.mktemp("mapscale")
    flight = face_flight(tmp / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1), corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)])
    seen = []
    real = pipeline._publish_atomically
    pipeline._publish_atomically = lambda i, out, **k: (seen.append(i), real(i, out, **k))[1]
    try:
        process(flight, tmp / "out", face_surface(), progress=False)
    finally:
        pipeline._publish_atomically = real
    return seen[0]


def _more(inp, copies: int):  # type: ignore[no-untyped-def]
    """The flight's findings and frames ``copies`` times over (new ids)."""
    findings = tuple(dataclasses.replace(f, finding_id=f"{f.finding_id}-{k}") for k in range(copies) for f in inp.findings)
    geo = dataclasses.replace(inp.geo, frames=tuple(inp.geo.frames) * copies)
    return dataclasses.replace(inp, findings=findings, geo=geo)


def test_map_work_does_not_grow_with_templates_per_element(inp, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import jinja2

    from groundstation.publish.webmap import write_map

    compiled = []
    real = jinja2.Environment.from_string
    monkeypatch.setattr(jinja2.Environment, "from_string",
                        lambda self, source, *a, **k: (compiled.append(1), real(self, source, *a, **k))[1])
    counts = []
    for copies in (1, 6):
        compiled.clear()
        bigger = _more(inp, copies)
        write_map(bigger, tmp_path / f"map{copies}.html", {f.finding_id: b"\xff\xd8jpeg" for f in bigger.findings})
        counts.append(len(compiled))
    assert counts[0] == counts[1], counts


def test_the_bigger_map_draws_every_footprint_and_finding_in_a_browser(inp, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from test_publish_map_popups import _offline_page

    from groundstation.publish.webmap import crops_for, write_map

    bigger = _more(inp, 6)
    crops = {f.finding_id: c for f, c in zip(bigger.findings, list(crops_for(inp).values()) * 6)}
    write_map(bigger, tmp_path / "map.html", crops)
    footprints = sum(1 for f in bigger.geo.frames if f.footprint_ned_m is not None)
    with _offline_page() as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((tmp_path / "map.html").as_uri())
        page.wait_for_timeout(500)
        got = page.evaluate("""() => { const m = window[Object.getOwnPropertyNames(window).find(k => k.startsWith('map_'))];
            const out = {outlines: 0, footprints: 0, markers: 0, popups: 0, tips: []};
            m.eachLayer(l => {
              if (l instanceof L.CircleMarker) { out.markers++; if (l.getPopup()) out.popups++;
                out.tips.push(l.getTooltip().getContent().replace(/\\s+/g, ' ').trim()); }
              else if (l instanceof L.Polygon) { if (l.options.fill) out.outlines++; else out.footprints++;
                if (l.options.fill) out.tips.push(l.getTooltip().getContent().replace(/\\s+/g, ' ').trim()); }
            });
            return out; }""")
        assert errors == []
        n = len(bigger.findings)
        assert (got["outlines"], got["markers"], got["popups"], got["footprints"]) == (n, n, n, footprints)
        ids = {f.finding_id for f in bigger.findings}
        assert {t for t in got["tips"] if t in {f"<div> {i} </div>" for i in ids} | {f"<div>{i}</div>" for i in ids}}
        # a click on the last finding's outline opens its popup, with its id, crop and grade rows
        last = bigger.findings[-1]
        page.evaluate("""(fid) => { const m = window[Object.getOwnPropertyNames(window).find(k => k.startsWith('map_'))];
            m.eachLayer(l => { if (l instanceof L.Polygon && l.options.fill && l.getTooltip().getContent().includes(fid + ' ('))
              l.fire('click', {latlng: l.getBounds().getCenter()}); }); }""", last.finding_id)
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert popup.inner_text().startswith(last.finding_id) and popup.locator("img").count() == 1
        assert "class" in popup.inner_text() and last.class_name in popup.inner_text()
        # the findings under its marker (the copies here) are listed in a short box that scrolls: the crop
        # stays in the popup's upper half, not pushed below its edge by a long list
        listed, img_top, shown_h = page.evaluate("""() => { const c = document.querySelector('.leaflet-popup-content');
            return [c.querySelectorAll('.skyinspect-here-too a').length,
                    c.querySelector('img').getBoundingClientRect().top - c.getBoundingClientRect().top, c.clientHeight]; }""")
        assert listed >= 5 and img_top < shown_h / 2, (listed, img_top, shown_h)


def test_crops_read_each_frame_image_once(inp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Each finding's crop read its best frame's whole image again: 864 reads for 580 frames on the
    1,000-frame bench flight. The crops are the same as one finding at a time makes them."""
    import cv2

    from groundstation.publish import images
    from groundstation.publish.webmap import crops_for

    bigger = _more(inp, 3)
    one_by_one = {f.finding_id: images.best_view_crop_jpeg(bigger, f) for f in bigger.findings}
    reads = []
    real = cv2.imread
    monkeypatch.setattr(cv2, "imread", lambda *a, **k: (reads.append(str(a[0])), real(*a, **k))[1])
    crops = crops_for(bigger)
    assert crops == one_by_one and list(crops) == [f.finding_id for f in bigger.findings]
    assert all(c for c in crops.values())
    assert len(reads) == len(set(reads)) == len({f.best_view[0] for f in bigger.findings})
