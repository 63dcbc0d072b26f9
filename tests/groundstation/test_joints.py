"""groundstation.joints: straight, plumb or level 'cracks' get a note for the reviewer."""

from __future__ import annotations

import math

import numpy as np

from groundstation.joints import joint_note
from skyinspect.findings import Finding
from skyinspect.segmentation import CORROSION, CRACK
from skyinspect.surfaces.base import plane_chart

FACE = plane_chart(np.zeros(3), np.array([-1.0, 0.0, 0.0]))  # a vertical face: v is up
GROUND = plane_chart(np.zeros(3), np.array([0.0, 0.0, -1.0]))


def _finding(uv: np.ndarray, chart=FACE, class_id: int = CRACK) -> Finding:  # type: ignore[no-untyped-def]
    ring = np.zeros((3, 3))
    return Finding("F-0001", class_id, "crack", 47.0, 8.0, 400.0, ring, np.zeros(3), 0.9, ((0, 0),), (0, 0),
                   gsd_m=0.001, centrelines_ned_m=(chart.to_3d(uv),))


def _line(angle_deg: float, length_m: float = 0.4, wobble_m: float = 0.0) -> np.ndarray:
    t = np.linspace(0.0, length_m, 200)
    a = math.radians(angle_deg)
    side = wobble_m * np.sin(t / 0.05)
    return np.stack([t * math.cos(a) - side * math.sin(a), t * math.sin(a) + side * math.cos(a)], axis=1)


def test_a_plumb_or_level_straight_line_is_flagged() -> None:
    assert "plumb over 400 mm" in joint_note(_finding(_line(90.0)), FACE)
    assert "level over 400 mm" in joint_note(_finding(_line(0.8)), FACE)


def test_real_cracks_are_not() -> None:
    assert joint_note(_finding(_line(90.0, wobble_m=0.004)), FACE) == ""  # wanders 3 mm RMS
    assert joint_note(_finding(_line(80.0)), FACE) == ""  # straight but 10 deg off plumb
    assert joint_note(_finding(_line(90.0, length_m=0.05)), FACE) == ""  # too short to tell
    assert joint_note(_finding(_line(90.0), GROUND), GROUND) == ""  # east/north mean nothing on a deck
    assert joint_note(_finding(_line(90.0), class_id=CORROSION), FACE) == ""
