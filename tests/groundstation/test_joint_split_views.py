"""A crack and the joint-like line split off it (groundstation.joint_split) each carry their own views and best
view: the frames whose detections show that part, the best one chosen as the report's crop is (crop_view).

Found on the demo (`skyinspect demo`): F-0003-J's card read "views: 27 (best: frame 10)", the whole crack's,
while frame 10's detection is all crack and the crop came from another frame; the GIS layers and work orders
carried the same numbers. Here the L-shaped crack of test_publish_images_split (five frames showing all of it)
plus a sixth frame, nearer the face (the finest GSD), whose detection is the level arm alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from gs_fixtures import FLY_HEIGHT_M, Defect, face_flight, face_point, face_surface, instance_for, pose_at
from test_publish_images_split import _l_crack

from groundstation.pipeline import process
from skyinspect.segmentation import CRACK


def test_the_split_line_has_its_own_views_and_best_frame(tmp_path: Path) -> None:
    up = FLY_HEIGHT_M - 0.15
    n = np.linspace(0.2, 0.5, 61)
    u = up + 0.004 * np.sin(2 * np.pi * (n - 0.2) / 0.1)
    ring = np.asarray(shapely.LineString(list(zip(n, u))).buffer(0.002, cap_style="flat").exterior.coords)[:-1]
    arm = Defect("arm", CRACK, np.array([face_point(x, y) for x, y in ring]),
                 np.array([face_point(x, y) for x, y in zip(n, u)]))
    near = pose_at(np.array([0.35, 0.1, -FLY_HEIGHT_M]), 90.0, 0.0, t=1.7e9 + 10)
    record = face_flight(tmp_path / "f", [_l_crack(0.2, up)], extra=[(near, [instance_for(near, arm)])])
    process(record, tmp_path / "r", face_surface(), progress=False)
    layer = json.loads((tmp_path / "r" / "findings.geojson").read_text(encoding="utf-8"))
    props = {p["finding_id"]: p for p in (f["properties"] for f in layer["features"])}
    assert sorted(props) == ["F-0001", "F-0001-J"]
    crack, line = props["F-0001"], props["F-0001-J"]
    near_frame = crack["best_frame"]  # the crack's best view: the nearest frame, which shows its arm only
    assert crack["views"] == 6, crack
    assert line["views"] == 5, line  # the five frames showing the plumb line, not the arm-only one
    assert line["best_frame"] != near_frame, line
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert f"5 (best: frame {line['best_frame']})" in html  # the card says what the crop shows
