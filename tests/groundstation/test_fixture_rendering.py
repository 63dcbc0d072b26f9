"""The face-flight fixture draws a defect with the width it is given (gs_fixtures.write_record).

The measurement tests check the width read from these images against the crack's true width, so the
drawing must hold that width: each pixel darkened by the fraction of it the outline covers (area
coverage), so a crack W px wide removes W px of contrast from every cross-section. cv2.fillPoly on
the rounded outline, as the fixture drew before, snapped the edges to whole pixels and filled the
pixels on both edges: a 3 mm (2.05 px) and a 4 mm (2.74 px) crack both drew 4 px, 5.89 mm.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from gs_fixtures import BACKGROUND_DN, DEFECT_BGR, FLY_HEIGHT_M, crack_on_face, face_flight, pose_at, project


def _gray_dn(bgr: tuple[int, int, int]) -> float:
    return float(cv2.cvtColor(np.array([[bgr]], np.uint8), cv2.COLOR_BGR2GRAY)[0, 0])


@pytest.mark.parametrize("width_mm", [1.0, 3.0, 4.0, 6.0])
def test_each_cross_section_of_a_drawn_crack_holds_its_width(tmp_path: Path, width_mm: float) -> None:
    crack = crack_on_face(0.0, FLY_HEIGHT_M, length_m=0.30, width_m=width_mm / 1000)
    folder = face_flight(tmp_path / "f", [crack], n_frames=1)
    image = sorted((folder / "images").glob("*"))[0]
    gray = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE).astype(np.float64)
    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0)
    top, bottom = project(pose, crack.outline_ned[[0, 3]])  # the outline's two edges at its start
    width_px = abs(float(top[1] - bottom[1]))
    x0, x1 = (int(round(v)) for v in sorted(project(pose, crack.skeleton_ned[[0, -1]])[:, 0]))
    y = int(round(float(top[1] + bottom[1]) / 2))
    band = BACKGROUND_DN - gray[y - 8:y + 9, x0 + 8:x1 - 7]  # the crack's columns, away from its ends
    drawn_px = band.sum(axis=0) / (BACKGROUND_DN - _gray_dn(DEFECT_BGR))
    # every column: the true width, to the uint8 rounding and JPEG of the image (a tenth of a pixel)
    assert np.abs(drawn_px - width_px).max() < 0.1, (width_px, drawn_px.min(), drawn_px.max())


@pytest.mark.parametrize("width_mm", [1.0, 3.0, 6.0])
def test_the_blurred_renderer_draws_the_true_width(tmp_path: Path, width_mm: float) -> None:
    """test_measure's renderer (blur, noise) by the same coverage: its 8x8 supersampled cv2.fillPoly
    filled the edge samples on both sides, 1/8 px too wide (a 6 mm crack drew 4.24 px, not 4.12)."""
    from test_measure import _poses, _render_record

    crack = crack_on_face(-0.15, FLY_HEIGHT_M, length_m=0.30, width_m=width_mm / 1000)
    pose = _poses(1)[0]
    folder = _render_record(tmp_path / "f", [crack], [pose], background=170.0, interior=40.0)
    gray = cv2.imread(str(sorted((folder / "images").glob("*"))[0]), cv2.IMREAD_GRAYSCALE).astype(np.float64)
    top, bottom = project(pose, crack.outline_ned[[0, 3]])
    width_px = abs(float(top[1] - bottom[1]))
    x0, x1 = (int(round(v)) for v in sorted(project(pose, crack.skeleton_ned[[0, -1]])[:, 0]))
    y = int(round(float(top[1] + bottom[1]) / 2))
    band = 170.0 - gray[y - 10:y + 11, x0 + 8:x1 - 7]
    drawn_px = band.sum(axis=0) / (170.0 - 40.0)
    # sensor noise (1.5 DN) scatters each column by ~0.05 px; the mean over ~190 columns is what is drawn
    assert abs(float(np.mean(drawn_px)) - width_px) < 0.03, (width_px, float(np.mean(drawn_px)))
