"""groundstation.joints: straight, plumb or level 'cracks' get a note for the reviewer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from groundstation.joints import joint_arm, joint_note
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


def _finding_of(lines, chart=FACE) -> Finding:  # type: ignore[no-untyped-def]
    ring = np.zeros((3, 3))
    return Finding("F-0003-J", CRACK, "crack", 47.0, 8.0, 400.0, ring, np.zeros(3), 0.9, ((0, 0),), (0, 0),
                   gsd_m=0.001, centrelines_ned_m=tuple(chart.to_3d(np.asarray(c)) for c in lines))


def test_a_line_with_wisps_beside_it_is_still_flagged() -> None:
    # A joint line split off a crack (joint_arm) keeps the short wisps beside it as line: on the demo
    # flight F-0003-J read 1.4 mm RMS off its line over all points (0.6 mm over its own band) and lost
    # its flag, while joint_arm had split it off as a 0.6-GSD-straight plumb line.
    line = np.stack([np.zeros(200), np.linspace(-0.2, 0.2, 200)], axis=1)
    wisps = [np.stack([np.full(5, 0.004), y + np.linspace(0.0, 0.005, 5)], axis=1) for y in np.linspace(-0.18, 0.15, 8)]
    note = joint_note(_finding_of([line, *wisps]), FACE)
    assert "plumb over 400 mm" in note and "83% of it within 1.5 mm" in note


def test_a_crack_with_a_straight_stretch_is_not_flagged() -> None:
    stretch = np.stack([np.zeros(75), np.linspace(0.0, 0.15, 75)], axis=1)
    crack = _wandering_crack(0.3, start=(0.0, 0.15))
    assert joint_note(_finding_of([stretch, crack]), FACE) == ""


# --- a joint-like line inside a crack finding (joint_arm) ---------------------------------------

GSD = 0.001


def _wandering_crack(length_m: float = 0.5, start=(-0.25, 0.0), seed: int = 1) -> np.ndarray:  # type: ignore[no-untyped-def]
    """A crack running roughly level, wandering a few mm like the demo's (random walk in angle)."""
    rng = np.random.default_rng(seed)
    n = int(length_m / 0.002)
    angle = np.cumsum(rng.normal(0.0, 0.12, n)) * 0.3 + 0.15
    steps = 0.002 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return np.asarray(start) + np.vstack([[0.0, 0.0], np.cumsum(steps, axis=0)])


def _plumb(x: float = 0.0, y0: float = -0.25, y1: float = 0.25) -> np.ndarray:
    return np.stack([np.full(50, x), np.linspace(y0, y1, 50)], axis=1)


def _lines_length(lines) -> float:  # type: ignore[no-untyped-def]
    return float(sum(np.linalg.norm(np.diff(c, axis=0), axis=1).sum() for c in lines))


def test_a_joint_line_through_a_crack_is_split_off() -> None:
    crack, joint = _wandering_crack(), _plumb()
    arm = joint_arm((FACE.to_3d(crack), FACE.to_3d(joint)), FACE, GSD)
    assert arm is not None and arm.way == "plumb"
    assert arm.arm_length_m == pytest.approx(0.5, abs=0.01)
    assert arm.rest_length_m == pytest.approx(_lines_length([crack]), abs=0.01)  # where it crosses stays crack
    assert arm.rms_m < 0.0002 and arm.off_deg < 0.1


def test_a_level_line_and_a_slightly_tilted_one() -> None:
    crack = _wandering_crack(start=(-0.02, -0.2), seed=3) @ np.array([[0.0, 1.0], [1.0, 0.0]])  # runs up
    level = np.stack([np.linspace(-0.3, 0.3, 40), np.full(40, 0.05)], axis=1)
    arm = joint_arm((FACE.to_3d(crack), FACE.to_3d(level)), FACE, GSD)
    assert arm is not None and arm.way == "level" and arm.arm_length_m == pytest.approx(0.6, abs=0.01)
    t = math.radians(0.8)
    tilted = np.stack([np.linspace(-0.3, 0.3, 40) * math.cos(t), np.linspace(-0.3, 0.3, 40) * math.sin(t) + 0.05], 1)
    assert joint_arm((FACE.to_3d(crack), FACE.to_3d(tilted)), FACE, GSD) is not None
    t = math.radians(2.0)  # 2 deg off level: a crack, not a joint
    tilted = np.stack([np.linspace(-0.3, 0.3, 40) * math.cos(t), np.linspace(-0.3, 0.3, 40) * math.sin(t) + 0.05], 1)
    assert joint_arm((FACE.to_3d(crack), FACE.to_3d(tilted)), FACE, GSD) is None


def test_real_cracks_keep_their_straight_stretches() -> None:
    crack = _wandering_crack()
    # a straight plumb branch of 12 cm (under MIN_ARM_M) and 20 cm of plumb pieces over 33.5 cm
    # (0.6 of their span): a crack's own, not a joint
    branch = _plumb(0.0, 0.0, 0.12)
    pieces = [_plumb(0.1, 0.035 * k, 0.035 * k + 0.02) for k in range(10)]
    assert joint_arm((FACE.to_3d(crack), FACE.to_3d(branch)), FACE, GSD) is None
    assert joint_arm(tuple(FACE.to_3d(p) for p in [crack, *pieces]), FACE, GSD) is None
    wobbly = _plumb() + np.stack([0.0012 * np.sin(np.linspace(0, 20, 50)), np.zeros(50)], axis=1)
    assert joint_arm((FACE.to_3d(crack), FACE.to_3d(wobbly)), FACE, GSD) is None  # 0.85 mm RMS off its line
    assert joint_arm((FACE.to_3d(_plumb()),), FACE, GSD) is None  # all line: joint_note's case, not a split
    assert joint_arm((GROUND.to_3d(crack), GROUND.to_3d(_plumb())), GROUND, GSD) is None  # no plumb on a deck


def test_a_join_from_the_crack_to_the_line_counts_for_neither() -> None:
    crack = _wandering_crack(0.3, start=(-0.35, 0.1))  # ends short of the joint at x = 0
    tip = crack[-1]
    join = np.stack([tip, [0.0, tip[1] + 0.01]])  # the spanning tree's straight join across the gap
    arm = joint_arm((FACE.to_3d(crack), FACE.to_3d(join), FACE.to_3d(_plumb())), FACE, GSD)
    assert arm is not None
    assert arm.dropped_m == pytest.approx(float(np.linalg.norm(join[1] - join[0])), rel=0.01)
    assert arm.rest_length_m == pytest.approx(_lines_length([crack]), abs=0.002)
