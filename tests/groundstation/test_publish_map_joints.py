"""map.html draws a joint-like line as the report's elevation does: grey, 'joint?', not as a crack.

Found comparing the demo's map.html with its report: F-0006, F-0008, F-0010 and the split-off F-0003-J and
F-0010-J (straight and plumb like formwork joints, each with a check before acting) were grey and labelled
"joint?" in the report's drawing, but red with the tooltip 'F-0010 (crack)' on the map, whose legend
says red is a crack."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from groundstation.publish.context import colour_hex


def _items(page: str) -> list[dict[str, Any]]:
    groups = [json.loads(m) for m in re.findall(r"var items = (\[.*?\]);\n", page, re.S)]
    return next(g for g in groups if g and "marker_tooltip" in g[0])


def test_a_joint_like_line_is_grey_and_says_joint_on_the_map(face_processed: tuple[Any, Path]) -> None:
    out = face_processed[1]
    feats = json.loads((out / "findings.geojson").read_text())["features"]
    joint = {f["properties"]["finding_id"] for f in feats if f["properties"].get("joint_note")}
    assert joint and len(joint) < len(feats)  # the fixture's level crack is joint-like, its rust is not
    page = (out / "map.html").read_text(encoding="utf-8")
    for item in _items(page):
        fid = item["marker_tooltip"]
        colours = {item["outline"]["color"], item["marker"]["color"]}
        if fid in joint:
            assert colours == {"#969696"} and item["tooltip"] == f"{fid} (crack, joint?)", item["tooltip"]
        else:
            assert colours == {colour_hex("corrosion")} and "joint?" not in item["tooltip"]
    legend = re.search(r'<div class="skyinspect-legend">(.*?)</div>', page, re.S).group(1)  # type: ignore[union-attr]
    assert re.search(r"#969696[^>]*></i>\s*joint-like line \(check it is a crack\)", legend), legend


def test_the_report_drawing_paints_the_maps_joint_grey(face_processed: tuple[Any, Path]) -> None:
    """One grey for a joint-like line: it had been written twice, (150, 150, 150) in publish.images and
    "#969696" in publish.webmap, free to drift apart."""
    import cv2
    import numpy as np

    from groundstation.publish.context import JOINT_HEX, hex_bgr
    from groundstation.publish.webmap import JOINT_HEX as MAP_JOINT_HEX

    assert MAP_JOINT_HEX == JOINT_HEX
    img = cv2.imread(str(face_processed[1] / "schematic.png"))
    painted = int(np.all(img == np.array(hex_bgr(JOINT_HEX), np.uint8), axis=2).sum())
    assert painted > 50, painted  # the fixture's level crack, filled in the map's grey
