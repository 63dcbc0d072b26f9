"""A relabelled finding is drawn in its reviewed class's colour: the report and popups said 'corrosion
(relabelled from crack; graded as corrosion)' while map.html drew it red with the tooltip 'F-0001
(crack)', findings.kml styled it as a crack and the report's elevation drawing filled it crack red (the
demo's F-0002, relabelled crack, stayed orange on all three)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import crack_and_rust, decide  # noqa: E402

from groundstation.publish.context import colour_bgr, colour_hex  # noqa: E402


def _ink(png: Path, class_name: str) -> int:
    """Pixels of ``class_name``'s colour in the drawing."""
    img = cv2.imread(str(png))
    return int(np.all(img == np.array(colour_bgr(class_name), np.uint8), axis=2).sum())


def test_a_relabelled_rust_patch_is_drawn_as_a_crack_everywhere(results: Path) -> None:
    from groundstation.republish import publish_reviewed

    c, _, rust = crack_and_rust(results)
    assert _ink(results / "schematic.png", "corrosion") > 0 and _ink(results / "schematic.png", "crack") == 0
    decide(c, rust, "relabel", label="crack")
    publish_reviewed(results)
    page = (results / "map.html").read_text()
    # the finding's item, by its tooltip (its keys' order is the map's: a key added before "at" had cut it wrong)
    items = [x for line in page.splitlines() if line.strip().startswith("var items = ")
             for x in json.loads(line.strip().removeprefix("var items = ").rstrip(";"))]
    drawn = json.dumps(next(x for x in items if x.get("tooltip") == f"{rust} (crack)"), separators=(",", ":"))
    assert f'"color":"{colour_hex("crack")}"' in drawn and colour_hex("corrosion") not in drawn
    kml = (results / "findings.kml").read_text()
    placemark = kml.split(f"<name>{rust}</name>", 1)[1].split("</Placemark>", 1)[0]
    assert "#class-crack" in placemark
    assert _ink(results / "schematic.png", "corrosion") == 0 and _ink(results / "schematic.png", "crack") > 0
