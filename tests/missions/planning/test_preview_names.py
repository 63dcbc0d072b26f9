"""preview.html's photo-station tooltips show pass names, which come from the asset file (a pier's
'name'); folium's GeoJsonTooltip puts the value into the page with innerHTML, so it must be HTML text."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from missions.planning.kml import write_preview

EVIL = '<img src=x onerror="alert(document.cookie)"> & Co'


def test_a_pass_name_is_shown_as_text_not_run_as_html(bridge_plan, tmp_path) -> None:
    """Before: the tooltip value the browser's innerHTML received was the name as written, an <img> whose
    onerror ran when a planner hovered a photo station; now '&lt;img ...&gt; &amp; Co', read as the name."""
    plan = replace(bridge_plan, passes=(replace(bridge_plan.passes[0], name=EVIL),) + bridge_plan.passes[1:])
    write_preview(tmp_path / "preview.html", plan)
    page = (tmp_path / "preview.html").read_text()
    shown = {json.loads(f'"{v}"') for v in re.findall(r'"photo":\s*"((?:[^"\\]|\\.)*)"', page)}
    ours = [v for v in shown if "onerror" in v]
    assert ours, "the renamed pass's stations are on the page"
    assert all("<img" not in v and v.startswith("&lt;img src=x onerror=&quot;") and "&amp; Co" in v for v in ours)


def test_mission_kml_descriptions_are_text_in_google_earth(bridge_plan, tmp_path) -> None:
    """Google Earth shows a <description> as HTML: a pass named '<img src=x onerror=...>' was XML-escaped
    once, so the balloon got the <img> back as markup; now its text is HTML-escaped too (as findings.kml's),
    and the balloon shows the name as written."""
    import xml.etree.ElementTree as ET

    from missions.planning.kml import kml_text

    plan = replace(bridge_plan, passes=(replace(bridge_plan.passes[0], name=EVIL),) + bridge_plan.passes[1:])
    root = ET.fromstring(kml_text(plan).encode())
    texts = [e.text or "" for e in root.iter("{http://www.opengis.net/kml/2.2}description")]
    ours = [t for t in texts if "onerror" in t]
    assert ours and all(t.startswith("&lt;img src=x onerror=&quot;") and "&amp; Co" in t and "<" not in t
                        for t in ours), ours[:1]
