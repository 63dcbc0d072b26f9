"""map.html says what its colours mean.

Found on the demo's map.html (chromium, 1280x900): red and orange outlines and circles, a blue line and
grey rectangles, and nothing on the page saying which colour is a crack, which rust, which the flight
path or a frame's footprint; the layer list names the layers, not their colours."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from groundstation.publish.context import colour_hex


def _legend(results: Path) -> str:
    page = (results / "map.html").read_text(encoding="utf-8")
    found = re.findall(r'<div class="skyinspect-legend">(.*?)</div>', page, re.S)
    assert len(found) == 1, "no legend in map.html"
    return html.unescape(found[0])


def test_the_map_has_a_legend_of_its_colours(face_processed: tuple[Any, Path]) -> None:
    from groundstation.publish.webmap import legend_html

    legend = _legend(face_processed[1])
    # the rust patch in its colour (the fixture's crack is joint-like, drawn grey: test_publish_map_joints)
    assert re.search(rf"background:\s*{colour_hex('corrosion')}[^>]*></i>\s*corrosion\b", legend), legend
    both = legend_html(["corrosion", "crack"])
    for name in ("crack", "corrosion"):  # each class with the colour it is drawn in
        assert re.search(rf"background:\s*{colour_hex(name)}[^>]*></i>\s*{name}\b", both), both
    assert re.search(r"#1f77b4[^>]*></i>\s*flight path", legend), legend
    assert re.search(r"#7f7f7f[^>]*></i>\s*frame footprint", legend), legend


def test_the_legend_lists_only_the_classes_drawn() -> None:
    """A class with no finding is not listed; a reviewer's label is text, not markup or a template."""
    from groundstation.publish.webmap import legend_html

    rust_only = legend_html(["corrosion"], flight_path=False, footprints=True)
    assert "corrosion" in rust_only and "crack" not in rust_only and "flight path" not in rust_only
    nasty = legend_html(["spall <b>{{ x }}</b>"])
    assert "<b>" not in nasty and "{{" not in nasty and colour_hex("spall") in nasty


def test_a_map_without_findings_says_so(tmp_path: Path) -> None:
    """A clean inspected face's map.html showed the flight path and footprints and nothing else: no word that
    nothing was found rather than nothing drawn."""
    from gs_fixtures import face_flight, face_surface

    from groundstation.pipeline import process

    summary = process(face_flight(tmp_path / "clean", []), tmp_path / "out", face_surface(), progress=False)
    assert summary.findings == 0 and summary.frames_georeferenced == 5
    assert "no findings" in _legend(tmp_path / "out")
