"""map.html has a <title>: the asset (or flight folder) and the flight's date, as findings.kml names its Document.

The page had none: HTML requires a title in the head (the W3C checker reports its absence as an
error), and an engineer comparing inspections in several browser tabs saw "map.html" on each."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from pathlib import Path

from gs_fixtures import face_surface

from groundstation.pipeline import process


def test_the_map_names_the_flight_and_its_date_in_its_title(tmp_path: Path, two_defect_flight) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "pier <P1> & west"  # the title is text, not markup
    two_defect_flight[0].rename(folder)
    out = tmp_path / "out"
    process(folder, out, face_surface(), progress=False)
    page = (out / "map.html").read_text(encoding="utf-8")
    head = page[:page.index("</head>")]
    titles = re.findall(r"<title>(.*?)</title>", head, re.S)
    assert len(titles) == 1, titles
    day = datetime.fromtimestamp(1.7e9, tz=timezone.utc).date().isoformat()  # the fixture's first frame
    assert html.unescape(titles[0]) == f"pier <P1> & west findings {day}"
    assert "<P1>" not in titles[0]
