"""groundstation.joint_split: a crack finding with a joint line through it becomes two findings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from shapely.geometry import LineString, Polygon

from groundstation.grading import crack_spacing
from groundstation.joint_split import nearer, split_at_joint
from groundstation.joints import joint_arm
from skyinspect.centreline import shape_centreline_centroid
from skyinspect.findings import Finding, Measurement
from skyinspect.geodesy import LocalFrame
from skyinspect.segmentation import CRACK
from skyinspect.surfaces.base import plane_chart

FACE = plane_chart(np.zeros(3), np.array([-1.0, 0.0, 0.0]))
ORIGIN = LocalFrame(47.0, 8.0, 400.0)
GSD = 0.001


def _crack_and_joint() -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-0.3, 0.25, 276)
    crack = np.stack([x, 0.03 * np.sin(x * 9.0) + 0.2 * x], axis=1)  # bends 3 cm each way
    joint = np.stack([np.zeros(60), np.linspace(-0.3, 0.3, 60)], axis=1)
    return crack, joint


def _finding(crack: np.ndarray, joint: np.ndarray) -> Finding:
    band = LineString(crack).buffer(0.0015).union(LineString(joint).buffer(0.0015))
    outline = FACE.to_3d(np.asarray(band.exterior.coords)[:-1])
    whole = float(np.linalg.norm(np.diff(crack, axis=0), axis=1).sum() + 0.6)
    centre = FACE.to_3d(np.array(band.centroid.coords[0]))[0]
    lat, lon, alt = ORIGIN.to_geodetic(centre)
    measurements = {"length_mm": Measurement(whole * 1000, 2.0, "mm", "skeleton with branches"),
                    "area_m2": Measurement(band.area, 1e-5, "m2", "best view, frame 3"),
                    "width_mm": Measurement(3.0, 0.2, "mm", "sub-pixel from the image")}
    return Finding("F-0007", CRACK, "crack", lat, lon, alt, ORIGIN.to_geodetic(outline), centre, 0.9,
                   ((3, 0), (4, 1)), (3, 0), measurements, outline_ned_m=outline, gsd_m=GSD,
                   centrelines_ned_m=(FACE.to_3d(crack), FACE.to_3d(joint)))


def test_the_crack_keeps_its_id_and_the_line_becomes_its_own_finding() -> None:
    crack, joint = _crack_and_joint()
    whole = _finding(crack, joint)
    arm = joint_arm(whole.centrelines_ned_m, FACE, GSD)
    assert arm is not None
    part, line = split_at_joint(whole, arm, FACE, ORIGIN)
    assert (part.finding_id, line.finding_id) == ("F-0007", "F-0007-J")
    length = whole.measurements["length_mm"].value
    assert part.measurements["length_mm"].value + line.measurements["length_mm"].value == pytest.approx(length)
    assert line.measurements["length_mm"].value == pytest.approx(600, abs=10)
    assert "F-0007-J" in part.measurements["length_mm"].note and "not counted" in part.measurements["length_mm"].note
    assert part.measurements["area_m2"].value + line.measurements["area_m2"].value == pytest.approx(
        whole.measurements["area_m2"].value)
    assert part.views == line.views == whole.views

    # each outline is its own line's band; the crack keeps where they cross
    crack_shape, line_shape = Polygon(FACE.to_2d(part.outline_ned_m)), Polygon(FACE.to_2d(line.outline_ned_m))
    assert crack_shape.is_valid and line_shape.is_valid
    assert LineString(joint).buffer(0.005).contains(line_shape)
    assert LineString(crack).buffer(0.005).contains(crack_shape)
    assert crack_shape.contains(LineString(crack).interpolate(0.3, normalized=True))  # the crossing stays crack

    # placed at each part's own centreline centroid, in NED and WGS84 alike
    expected = shape_centreline_centroid(LineString(crack).buffer(0.0015), GSD / 2)
    assert np.linalg.norm(FACE.to_2d(part.centroid_ned_m)[0] - expected) < 0.005
    assert abs(FACE.to_2d(line.centroid_ned_m)[0][0]) < 0.001
    assert np.allclose(ORIGIN.to_ned(line.lat_deg, line.lon_deg, line.alt_msl_m), line.centroid_ned_m, atol=1e-6)
    assert len(line.centrelines_ned_m) >= 1 and all(np.abs(FACE.to_2d(c)[:, 0]).max() < 0.002
                                                    for c in line.centrelines_ned_m)


def test_which_stretch_of_a_skeleton_each_part_reads_its_width_from() -> None:
    crack, joint = _crack_and_joint()
    arm = joint_arm((FACE.to_3d(crack), FACE.to_3d(joint)), FACE, GSD)
    assert arm is not None
    on_crack, on_line = nearer(arm, FACE)
    pts = FACE.to_3d(np.array([[-0.2, crack[20, 1]], [0.0, 0.25], [0.0, -0.25], [0.2, 0.0]]))
    pts = np.vstack([pts, np.full((1, 3), np.nan)])  # a ray that missed the surface
    assert on_crack(pts).tolist() == [True, False, False, True, False]
    assert on_line(pts).tolist() == [False, True, True, False, False]


def test_a_crack_and_its_line_are_not_each_others_crack_spacing() -> None:
    crack, joint = _crack_and_joint()
    whole = _finding(crack, joint)
    arm = joint_arm(whole.centrelines_ned_m, FACE, GSD)
    assert arm is not None
    spacing = crack_spacing(list(split_at_joint(whole, arm, FACE, ORIGIN)))
    assert spacing["F-0007"].value is None and spacing["F-0007-J"].value is None


def test_the_width_is_read_from_the_longest_stretch_kept() -> None:
    from groundstation.flight_images import _longest_run

    assert _longest_run(np.array([True, True, False, True, True, True, False])) == (3, 5)
    assert _longest_run(np.array([False, False])) is None
    assert _longest_run(np.array([True])) == (0, 0)


def test_each_part_s_area_sigma_is_its_share_of_the_whole_s() -> None:
    # the demo's F-0010 kept the whole's area sigma on its share of the area: '0.00029 +/- 0.00036 m2'
    crack, joint = _crack_and_joint()
    whole = _finding(crack, joint)
    area = whole.measurements["area_m2"]
    whole = replace(whole, measurements={**whole.measurements,
                                         "area_m2": Measurement(area.value, 0.8 * area.value, "m2", area.note)})
    arm = joint_arm(whole.centrelines_ned_m, FACE, GSD)
    assert arm is not None
    part, line = split_at_joint(whole, arm, FACE, ORIGIN)
    for f in (part, line):
        m = f.measurements["area_m2"]
        assert m.sigma == pytest.approx(0.8 * m.value)  # both terms (edge, repeatability) scale with the area
    assert part.measurements["area_m2"].sigma + line.measurements["area_m2"].sigma == pytest.approx(0.8 * area.value)
