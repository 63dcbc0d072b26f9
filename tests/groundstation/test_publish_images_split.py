"""A crack and the joint-like line split off it (groundstation.joint_split) each show their own part in the
report's crop: both had shown the whole detection drawn in red, the same picture twice.

Found on the demo's report (`skyinspect demo`, seed 7): F-0003 (the crack) and F-0003-J (the plumb line to
check) had identical crops, the crack's arm outlined in the card that asks to check the line. Here an
L-shaped crack on the test face, a wavy level arm joined to a plumb line 0.3 m long, one instance per frame:
processed, it is F-0001 and F-0001-J, and both crops outlined the whole L."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import cv2
import numpy as np
import shapely
from gs_fixtures import FLY_HEIGHT_M, Defect, face_flight, face_point, face_surface, instance_for, pose_at

from groundstation.pipeline import process
from skyinspect.segmentation import CRACK


def _l_crack(north_m: float, up_m: float, arm_m: float = 0.3, line_m: float = 0.3, width_m: float = 0.004) -> Defect:
    n = np.linspace(north_m, north_m + arm_m, 61)
    u = up_m + 0.004 * np.sin(2 * np.pi * (n - north_m) / 0.1)  # wavy: not joint-like
    arm = shapely.LineString(list(zip(n, u))).buffer(width_m / 2, cap_style="flat")
    line = shapely.LineString([(north_m, up_m), (north_m, up_m + line_m)]).buffer(width_m / 2, cap_style="flat")
    ring = np.asarray(shapely.union(arm, line).simplify(0.0005).exterior.coords)[:-1]
    skeleton = [face_point(x, y) for x, y in zip(n[::-1], u[::-1])] + \
        [face_point(north_m, up_m + t) for t in np.linspace(0.005, line_m, 30)]
    return Defect("L", CRACK, np.array([face_point(x, y) for x, y in ring]), np.array(skeleton))


def _crops(html: str) -> dict[str, bytes]:
    return {fid: base64.b64decode(b64) for fid, b64 in re.findall(
        r'<tr id="(F-[0-9J-]+)"><td>[^<]*</td><td><img class="crop"\s+src="data:image/jpeg;base64,([^"]+)"', html)}


def _red_extent(jpeg: bytes) -> tuple[int, int]:
    """(width, height) px of the box holding the crop's red (the finding's outline)."""
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR).astype(int)
    b, g, r = img[..., 0], img[..., 1], img[..., 2]
    ys, xs = np.nonzero((r > 150) & (g < 110) & (b < 110))
    assert len(xs), "no outline drawn"
    return int(xs.max() - xs.min()), int(ys.max() - ys.min())


def test_the_crack_and_its_joint_line_each_outline_their_own_part(tmp_path: Path) -> None:
    record = face_flight(tmp_path / "f", [_l_crack(0.2, FLY_HEIGHT_M - 0.15)])
    process(record, tmp_path / "r", face_surface(), progress=False)
    crops = _crops((tmp_path / "r" / "report.html").read_text(encoding="utf-8"))
    assert sorted(crops) == ["F-0001", "F-0001-J"]
    crack_w, crack_h = _red_extent(crops["F-0001"])
    line_w, line_h = _red_extent(crops["F-0001-J"])
    assert line_h > 4 * line_w, (line_w, line_h)  # the plumb line alone (the whole L: about as wide as tall)
    assert crack_w > 4 * crack_h, (crack_w, crack_h)  # the level arm alone


def process_l_crack_with_arm_only_frame(tmp_path: Path) -> Path:
    """The L-shaped crack's flight plus a sixth frame, 0.1 m nearer the face (the finest GSD), whose detection is
    the level arm alone; processed into tmp_path / "r" (returned)."""
    up = FLY_HEIGHT_M - 0.15
    n = np.linspace(0.2, 0.5, 61)
    u = up + 0.004 * np.sin(2 * np.pi * (n - 0.2) / 0.1)
    ring = np.asarray(shapely.LineString(list(zip(n, u))).buffer(0.002, cap_style="flat").exterior.coords)[:-1]
    arm = Defect("arm", CRACK, np.array([face_point(x, y) for x, y in ring]),
                 np.array([face_point(x, y) for x, y in zip(n, u)]))
    near = pose_at(np.array([0.35, 0.1, -FLY_HEIGHT_M]), 90.0, 0.0, t=1.7e9 + 10)
    record = face_flight(tmp_path / "f", [_l_crack(0.2, up)], extra=[(near, [instance_for(near, arm)])])
    process(record, tmp_path / "r", face_surface(), progress=False)
    return tmp_path / "r"


def test_a_part_its_best_view_hardly_shows_is_cropped_from_the_view_showing_most_of_it(tmp_path: Path) -> None:
    """Both parts keep the whole's best view: here a sixth frame, 0.1 m nearer the face (the finest GSD), whose
    detection is the level arm alone (as the demo's frame 10 held none of F-0003-J's line). The line's crop
    showed that frame: its arm outlined (before the parts were told apart), then only the junction's corner."""
    process_l_crack_with_arm_only_frame(tmp_path)
    crops = _crops((tmp_path / "r" / "report.html").read_text(encoding="utf-8"))
    assert sorted(crops) == ["F-0001", "F-0001-J"]
    line_w, line_h = _red_extent(crops["F-0001-J"])
    assert line_h > 4 * line_w and line_h > 100, (line_w, line_h)  # the whole plumb line, from another frame
    crack_w, crack_h = _red_extent(crops["F-0001"])
    assert crack_w > 4 * crack_h, (crack_w, crack_h)
