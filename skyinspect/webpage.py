"""Folium pages that open offline: Leaflet and jQuery inlined from ``vendor/`` (BSD-2 and MIT, their
licences beside them), folium's CDN extras we do not use dropped. Only the OpenStreetMap background
tiles need a network; offline the overlays draw on a blank background. Used by the ground station's
``map.html`` and the mission planner's previews (an operator plans in the field, often offline)."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from pathlib import Path

from skyinspect.atomic import write_atomic

_VENDOR = Path(__file__).with_name("vendor")


def inline_leaflet(page: str) -> str:
    """Replace folium's CDN script/style tags: Leaflet inlined, unused extras removed."""
    js = (_VENDOR / "leaflet.js").read_text(encoding="utf-8")
    css = (_VENDOR / "leaflet.css").read_text(encoding="utf-8")
    jquery = (_VENDOR / "jquery.min.js").read_text(encoding="utf-8")  # folium's popups call $(...)
    page = re.sub(r'<script src="https://[^"]*/leaflet(?:@[\d.]+)?/dist/leaflet\.js"></script>',
                  lambda _: f"<script>{js}</script>", page)
    page = re.sub(r'<link rel="stylesheet" href="https://[^"]*/leaflet(?:@[\d.]+)?/dist/leaflet\.css"\s*/?>',
                  lambda _: f"<style>{css}</style>", page)
    page = re.sub(r'<script src="https://[^"]*/jquery-[\d.]+\.min\.js"></script>',
                  lambda _: f"<script>{jquery}</script>", page)
    # Bootstrap, Font Awesome and awesome-markers: folium adds them for plugins we do not use.
    page = re.sub(r'<script src="https://[^"]*"></script>\s*', "", page)
    page = re.sub(r'<link rel="stylesheet" href="https://[^"]*"\s*/?>\s*', "", page)
    return page


# Folium puts popup and tooltip text inside a JavaScript template literal (`...`): a "${" there is run as
# code and a backslash before a "u" (a Windows path, C:\users) is a syntax error: the whole map blank.
# Folium escapes only the backtick; these entities read the same on the page and mean nothing to JS.
_JS_TEMPLATE_SAFE = str.maketrans({"$": "&#36;", "\\": "&#92;", "`": "&#96;"})


def js_template_text(value: str) -> str:
    """Text (a finding id, a keep-out's name from an asset file) as HTML that is safe inside folium's
    JavaScript template literals, for popups and tooltips."""
    return html.escape(value).translate(_JS_TEMPLATE_SAFE)


def fit_to(fmap: object, lat_lon: Sequence[Sequence[float]], max_zoom: int = 20) -> None:
    """Open the map on all of ``lat_lon`` (a pipeline or a long flight runs for kilometres, and a
    fixed zoom showed only its start); fewer than two points leave the map as it is."""
    pts = [(float(p[0]), float(p[1])) for p in lat_lon if all(math.isfinite(float(v)) for v in p[:2])]
    if len(pts) >= 2:
        lats, lons = zip(*pts)
        fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], max_zoom=max_zoom)  # type: ignore[attr-defined]


def save_offline(fmap: object, path: Path) -> None:
    """Write a folium map to ``path`` with Leaflet inlined, whole or not at all (skyinspect.atomic)."""
    # the page folium's save writes, rendered here: it had been written, read back and written again
    write_atomic(Path(path), inline_leaflet(fmap.get_root().render()))  # type: ignore[attr-defined]


__all__ = ["fit_to", "inline_leaflet", "js_template_text", "save_offline"]
