"""The instances' outlines and skeletons as stored in the record (``points_to_json``).

The onboard recording thread writes every instance's outline and skeleton; their points are mostly
whole pixels (skeletons) or half pixels (outlines on the pixels' edges since b2eaee8), and ``json.dumps``
wrote each coordinate through float repr, about half the CPU of the step. Whole-pixel points are written
as ``%d.0``, half-pixel ones as ``%.1f``: the text must stay exactly what ``json.dumps`` gave, which the
reader (``points_from_json``) and older skyinspect versions parse.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import skyinspect.record.format as fmt
from skyinspect.record.format import points_from_json, points_to_json


def _as_before(points: object) -> str | None:
    """The text points_to_json wrote before whole pixels had their own path."""
    if points is None:
        return None
    return json.dumps(np.round(np.asarray(points, dtype=np.float64), 2).tolist(), separators=(",", ":"))


CASES = [
    np.array([[277.0, 0.0], [270.0, 0.0], [270.0, 2.0]]),
    np.array([[1, 2], [3, 4]], dtype=np.int32),  # contour points as OpenCV gives them
    np.array([[-3.0, 0.0], [5.0, -7.0]]),  # negative whole values
    np.array([[-0.0, 4.0], [2.0, -0.004]]),  # -0.0, and a value that rounds to it
    np.array([[10.5, 3.0], [1.125, 2.675]]),  # fractions: rounded to 2 decimals as before
    np.array([[10.5, -0.5], [-0.0, 3.0]]), np.array([[0.5, 1e15 - 0.5]]), np.array([[0.5, 1e15 + 0.5]]),  # halves
    np.array([[0.5, 1e16]]), np.array([[0.5, np.nan]]), np.array([[10.5, 0.25]]), np.array([[0.499, 0.5]]),
    np.array([[1e15, 2.0]]), np.array([[9.999e15, 1.0]]), np.array([[1e16, 1.0]]), np.array([[1e300, 0.0]]),
    np.array([[np.nan, 1.0]]), np.array([[np.inf, 1.0]]), np.array([[-np.inf, 0.0]]),
    np.zeros((0, 2)), np.array([1.0, 2.0, 3.0]), np.zeros((2, 3)), [[1.0, 2.0], [3.0, 4.0]],
]


@pytest.mark.parametrize("points", CASES, ids=range(len(CASES)))
def test_points_text_is_what_json_dumps_wrote(points: object) -> None:
    assert points_to_json(points) == _as_before(points)


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(0, 40), st.just(2)),
                  elements=st.one_of(st.integers(-5000, 5000).map(float), st.floats(-1e4, 1e4),
                                     st.integers(-10_000, 10_000).map(lambda k: k / 2),
                                     st.sampled_from([0.0, -0.0, 0.005, -0.005, 2.675, 1e15, -1e15]))))
def test_points_text_is_what_json_dumps_wrote_any_points(points: np.ndarray) -> None:
    text = points_to_json(points)
    assert text == _as_before(points)
    assert np.array_equal(points_from_json(text), np.round(points, 2).reshape(-1, 2))


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 40), st.just(2)),
                  elements=st.one_of(st.integers(-2 * 10**15 + 1, 2 * 10**15 - 1).map(lambda k: k / 2),
                                     st.integers(-10_000, 10_000).map(lambda k: k / 2),
                                     st.sampled_from([0.0, -0.0, 0.5, -0.5, 1e15, -1e15, 1e16]))))
def test_half_pixel_points_text_is_what_json_dumps_wrote(points: np.ndarray) -> None:
    """Outlines on the pixels' edges: every coordinate a multiple of 0.5, huge ones and -0.0 among them."""
    text = points_to_json(points)
    assert text == _as_before(points)
    assert np.array_equal(points_from_json(text), np.round(points, 2).reshape(-1, 2))


def test_whole_pixel_outlines_are_not_written_through_float_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """A crack's outline and skeleton of whole pixels: written without json.dumps' per-float repr."""
    outline = np.array([[277, 0], [270, 0], [270, 2], [300, 479], [310, 479]], float)

    def refused(*args: object, **kwargs: object) -> str:
        raise AssertionError("json.dumps called for whole-pixel points")

    monkeypatch.setattr(fmt.json, "dumps", refused)
    assert points_to_json(outline) == "[[277.0,0.0],[270.0,0.0],[270.0,2.0],[300.0,479.0],[310.0,479.0]]"


def test_half_pixel_outlines_are_not_written_through_float_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """An outline on the pixels' edges (models.postprocess._edge_midpoints, b2eaee8): its points are
    multiples of 0.5, which the whole-pixel path missed (through json.dumps: 121 -> 76 us thread CPU for the
    shipped model's 224-point crack outline of a 640x480 bench frame, median of 5 runs on a loaded box)."""
    outline = np.array([[276.5, -0.5], [270.0, -0.5], [269.5, 2.0], [300.5, 479.5], [-0.0, 0.5]])

    def refused(*args: object, **kwargs: object) -> str:
        raise AssertionError("json.dumps called for half-pixel points")

    monkeypatch.setattr(fmt.json, "dumps", refused)
    assert points_to_json(outline) == "[[276.5,-0.5],[270.0,-0.5],[269.5,2.0],[300.5,479.5],[-0.0,0.5]]"
