"""groundstation.crack_register: laying a frame's crack skeleton on the ones already taken."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage.morphology import skeletonize

from groundstation.crack_register import reference, register


def _skeleton(points: np.ndarray, shape: tuple[int, int] = (400, 600)) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    cv2.polylines(m, [np.round(points).astype(np.int32)], False, 1, 3)
    return skeletonize(m > 0)


def _wave(x0: float, x1: float, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    x = np.arange(x0, x1, 1.0)
    return np.stack([x + dx, 200 + 40 * np.sin(x / 45.0) + dy], axis=1)


@pytest.mark.parametrize(("dx", "dy"), [(0, 0), (4, -3), (-6, 5), (0, 9)])
def test_a_bent_crack_is_laid_back(dx: float, dy: float) -> None:
    taken = _skeleton(_wave(50, 400))
    frame = _skeleton(_wave(200, 550, dx, dy))  # half of it seen before, shifted by (dx, dy) px
    shift, overlap = register(np.argwhere(frame), reference(taken, 4), reach=16.0, tol=3.0)
    assert shift == pytest.approx((-dy, -dx), abs=1.5)
    assert overlap >= 150  # the 200 px both saw


def test_a_straight_crack_is_only_moved_across() -> None:
    # along a straight line nothing says where the frame belongs: it stays, and its stretch beyond
    # the others' end does not pull it back onto that end
    line = np.stack([np.arange(50.0, 350.0), np.full(300, 200.0)], axis=1)
    taken = _skeleton(line)
    frame = _skeleton(np.stack([np.arange(250.0, 550.0), np.full(300, 204.0)], axis=1))
    shift, overlap = register(np.argwhere(frame), reference(taken, 4), reach=16.0, tol=3.0)
    assert shift == (-4, 0)
    assert overlap >= 80


def test_nothing_to_lay_on() -> None:
    taken = _skeleton(_wave(50, 150))
    frame = _skeleton(_wave(300, 500, 0, 120))
    _, overlap = register(np.argwhere(frame), reference(taken, 4), reach=16.0, tol=3.0)
    assert overlap < 10
