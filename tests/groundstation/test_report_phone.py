"""report.html on a phone: a work order's evidence link (report.html#F-0002) opened on site.

Found opening the demo's report.html#F-0006 in chromium at 390x844 (mobile): no viewport meta and a
12-column findings table, so the page was laid out 1,138 px wide and shrunk to a third: unreadable."""

from __future__ import annotations

from pathlib import Path

import pytest
from gs_fixtures import face_surface

from groundstation.pipeline import process


@pytest.fixture()
def report(tmp_path: Path, two_defect_flight) -> Path:  # type: ignore[no-untyped-def]
    folder, _ = two_defect_flight
    process(folder, tmp_path / "out", face_surface(), progress=False)
    return tmp_path / "out" / "report.html"


def test_report_declares_the_device_width(report: Path) -> None:
    text = report.read_text()
    assert '<meta name="viewport" content="width=device-width' in text
    assert '<table class="stack findings">' in text and "@media (max-width:700px)" in text


def test_evidence_link_lands_readable_on_a_phone(report: Path) -> None:
    from test_publish_map_popups import _offline_page

    with _offline_page(viewport={"width": 390, "height": 844}, is_mobile=True) as page:
        page.goto(report.as_uri() + "#F-0002")
        page.wait_for_timeout(300)
        assert page.evaluate("window.innerWidth") == 390  # laid out at the phone's width
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing off to the side
        top = page.evaluate("document.getElementById('F-0002').getBoundingClientRect().top")
        assert abs(top) < 2  # the link lands on its finding
        labels = page.evaluate("[...document.getElementById('F-0002').children]"
                               ".map(td => getComputedStyle(td, '::before').content)")
        assert '"grade: "' in labels and '"clause: "' in labels  # each line says what it is
