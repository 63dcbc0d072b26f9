"""A crack's width is read over all of it that its finest frame shows, not one piece of it.

The model breaks a crack into pieces (and the geometry check's masks do where the annotation thins);
the width was read along the single piece whose view had the finest GSD, to 1e-9 mm: on the demo's
geometry check a 15 px piece of a 393 mm crack (frame 55) beat 38 px of it in the same frame and 51 px
in frame 34 (1.001 against 1.002 and 1.003 mm), and its bound 0.91-2.39 mm missed the crack's
0.33-0.85 mm (0.75 mm annotated), so AASHTO 1130 graded it indeterminate instead of CS2.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gs_fixtures import FLY_HEIGHT_M, crack_on_face
from test_measure import _measured, _poses, _render_record

GSD_MM = 1.46  # these poses, 2 m from the face


@pytest.mark.parametrize("middle_first", [True, False])
def test_a_crack_in_pieces_has_the_width_of_all_of_them(tmp_path: Path, middle_first: bool) -> None:
    # one 0.30 m crack drawn in three pieces: 6 mm wide, and 12 mm over its middle 3 cm, which lies
    # at the centre of the first frame (the finest, most frontal piece of the flight)
    left = crack_on_face(-0.15, FLY_HEIGHT_M, length_m=0.135, width_m=0.006)
    middle = crack_on_face(-0.015, FLY_HEIGHT_M, length_m=0.03, width_m=0.012)
    right = crack_on_face(0.015, FLY_HEIGHT_M, length_m=0.135, width_m=0.006)
    pieces = [middle, left, right] if middle_first else [left, right, middle]
    (f,) = _measured(_render_record(tmp_path / "f", pieces, _poses()))
    w, wmax = f.measurements["width_mm"], f.measurements["max_width_mm"]
    assert w.value is not None and "from the image" in w.note, w.note
    true_mean = (0.27 * 6.0 + 0.03 * 12.0) / 0.30  # 6.6 mm
    assert abs(w.value - true_mean) < 0.3 * GSD_MM, w  # read from one piece: 11.9 mm
    assert abs(wmax.value - 12.0) < 0.5 * GSD_MM, wmax  # the widest stretch is still the middle's
    assert "3 pieces" in w.note, w.note
