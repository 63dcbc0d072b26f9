"""skyinspect.centreline: a crack's position is its centreline's centroid, whatever its drawn width."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, box

from skyinspect.centreline import mask_centreline_centroid_px, shape_centreline_centroid


def _bent_band(half_m: float, bend_m: float, n: int = 60) -> tuple[Polygon, np.ndarray]:
    """A band of even width around a bent 0.3 m line, and the line's length-weighted centroid."""
    t = np.linspace(0.0, 1.0, n)
    line = np.stack([0.3 * t, bend_m * np.sin(math.pi * t)], axis=1)
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    centre = ((line[1:] + line[:-1]) / 2 * seg[:, None]).sum(axis=0) / seg.sum()
    d = np.gradient(line, axis=0)
    nrm = np.stack([-d[:, 1], d[:, 0]], 1) / np.linalg.norm(d, axis=1, keepdims=True) * half_m
    return Polygon(np.concatenate([line + nrm, (line - nrm)[::-1]])), centre


def test_a_straight_band_is_its_middle() -> None:
    m = np.zeros((20, 200), bool)
    m[5:8, 10:190] = True
    assert mask_centreline_centroid_px(m) == pytest.approx((99.5, 6.0))
    assert shape_centreline_centroid(box(0, 0, 0.3, 0.003)) == pytest.approx((0.15, 0.0015))


def test_a_wide_stretch_weighs_its_length_not_its_area() -> None:
    """180 px of crack, its first 40 px drawn five times wider: the area centroid moves 33 px towards
    the wide stretch; the centreline's moves only by the wide stretch's end caps (its width)."""
    m = np.zeros((30, 200), bool)
    m[5:7, 10:190] = True
    m[5:15, 10:50] = True
    col, _ = mask_centreline_centroid_px(m)
    assert np.nonzero(m)[1].mean() < 67
    assert col == pytest.approx(99.5, abs=6.0)
    u, v = shape_centreline_centroid(box(0, 0, 0.1, 0.002).union(box(0.0, -0.004, 0.02, 0.006)))
    assert u == pytest.approx(0.05, abs=0.004) and v == pytest.approx(0.001, abs=1e-6)


def test_a_staircase_edge_weighs_its_straight_length() -> None:
    """A bent band drawn in pixels (its contour steps) is placed like the line it was drawn along."""
    m = np.zeros((140, 140), np.uint8)
    cv2.line(m, (10, 10), (120, 120), 1, 3)
    cv2.line(m, (120, 120), (130, 60), 1, 3)
    band = Polygon([(10, 10), (120, 120), (130, 60)]).exterior  # the drawn polyline's centroid:
    xy = np.asarray(band.coords)[:3]
    seg = np.linalg.norm(np.diff(xy, axis=0), axis=1)
    expect = ((xy[1:] + xy[:-1]) / 2 * seg[:, None]).sum(axis=0) / seg.sum()
    assert np.linalg.norm(np.array(mask_centreline_centroid_px(m > 0)) - expect) < 1.5
    assert np.linalg.norm(np.array(mask_centreline_centroid_px(m > 0, simplify_px=0)) - expect) < 1.5


def test_empty_inputs_have_no_centre_and_specks_are_their_pixels() -> None:
    assert mask_centreline_centroid_px(np.zeros((5, 5), bool)) is None
    assert shape_centreline_centroid(Polygon()) is None
    speck = np.zeros((5, 5), bool)
    speck[2, 3] = True
    assert mask_centreline_centroid_px(speck) == (3.0, 2.0)


def test_pieces_weigh_their_lengths_and_holes_are_left_out() -> None:
    two = MultiPolygon([box(0, 0, 0.05, 0.002), box(0.1, 0, 0.15, 0.002)])
    assert shape_centreline_centroid(two) == pytest.approx((0.075, 0.001))
    long_short = MultiPolygon([box(0, 0, 0.3, 0.002), box(0.4, 0, 0.5, 0.002)])
    assert shape_centreline_centroid(long_short)[0] == pytest.approx((0.15 * 0.604 + 0.45 * 0.204) / 0.808)
    # a union of views leaves slivers between them as holes: they do not pull the centre
    with_hole = Polygon([(0, 0), (0.3, 0), (0.3, 0.004), (0, 0.004)],
                        [[(0.01, 0.001), (0.05, 0.001), (0.05, 0.003), (0.01, 0.003)]])
    assert shape_centreline_centroid(with_hole) == pytest.approx((0.15, 0.002))


@settings(max_examples=60, deadline=None)
@given(angle=st.floats(0, 180), du=st.floats(-5, 5), dv=st.floats(-5, 5), half_mm=st.floats(0.5, 3.0),
       bend=st.floats(-0.05, 0.05))
def test_a_bent_crack_anywhere_at_any_angle_is_placed_within_its_half_width(
        angle: float, du: float, dv: float, half_mm: float, bend: float) -> None:
    """Round trip: a band of even width around a known bent line, turned and moved anywhere on the
    plane: its centre is the line's centroid within 0.6 of its half-width (the end caps and the
    bend are the only places the width enters)."""
    band, expect = _bent_band(half_mm / 1000, bend)
    moved = affinity.translate(affinity.rotate(band, angle, origin=(0, 0)), du, dv)
    c = math.radians(angle)
    rot = np.array([[math.cos(c), -math.sin(c)], [math.sin(c), math.cos(c)]])
    got = shape_centreline_centroid(moved, 0.0005)
    assert got is not None
    assert np.linalg.norm(got - (rot @ expect + [du, dv])) < 0.6 * half_mm / 1000 + 1e-5
