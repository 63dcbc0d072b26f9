"""A crack and the joint-like line split off it (groundstation.joint_split) each carry their own views and best
view: the frames whose detections show that part, the best one chosen as the report's crop is (crop_view).

Found on the demo (`skyinspect demo`): F-0003-J's card read "views: 27 (best: frame 10)", the whole crack's,
while frame 10's detection is all crack and the crop came from another frame; the GIS layers and work orders
carried the same numbers. Here the L-shaped crack of test_publish_images_split (five frames showing all of it)
plus a sixth frame, nearer the face (the finest GSD), whose detection is the level arm alone."""

from __future__ import annotations

import json
from pathlib import Path

from test_publish_images_split import process_l_crack_with_arm_only_frame


def test_the_split_line_has_its_own_views_and_best_frame(tmp_path: Path) -> None:
    results = process_l_crack_with_arm_only_frame(tmp_path)
    layer = json.loads((results / "findings.geojson").read_text(encoding="utf-8"))
    props = {p["finding_id"]: p for p in (f["properties"] for f in layer["features"])}
    assert sorted(props) == ["F-0001", "F-0001-J"]
    crack, line = props["F-0001"], props["F-0001-J"]
    near_frame = crack["best_frame"]  # the crack's best view: the nearest frame, which shows its arm only
    assert crack["views"] == 6, crack
    assert line["views"] == 5, line  # the five frames showing the plumb line, not the arm-only one
    assert line["best_frame"] != near_frame, line
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert f"5 (best: frame {line['best_frame']})" in html  # the card says what the crop shows
