"""skyinspect.skeleton: how a skeleton's length is counted, and spurs pruned without losing forks."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage.morphology import skeletonize

from skyinspect.skeleton import prune_spurs, skeleton_length, skeleton_links, skeleton_polylines


def test_straight_and_diagonal_lines() -> None:
    s = np.zeros((20, 40), bool)
    s[5, 3:33] = True  # 30 px: 29 links
    assert skeleton_length(s) == pytest.approx(29.0)
    d = np.eye(21, dtype=bool)
    assert skeleton_length(d) == pytest.approx(20 * math.sqrt(2))


def test_an_l_corner_is_not_counted_twice() -> None:
    s = np.zeros((10, 10), bool)
    s[2, 2:6] = True
    s[2:7, 5] = True  # corner at (2, 5): 3 + 4 four-neighbour links, no diagonal shortcut
    a, b = skeleton_links(s)
    assert len(a) == 7 and skeleton_length(s, smooth_px=0) == pytest.approx(7.0)


def test_positions_give_surface_lengths() -> None:
    s = np.zeros((5, 12), bool)
    s[2, 1:11] = True
    # pixels 2 mm apart along columns, lifted onto a plane tilted 60 deg: 9 links x 2 mm x 2
    def lift(rc: np.ndarray) -> np.ndarray:
        x = rc[:, 1] * 0.002
        return np.stack([x * math.cos(math.radians(60)), rc[:, 0] * 0.002, x * math.sin(math.radians(60))], axis=1)

    assert skeleton_length(s, lift) == pytest.approx(9 * 0.002)


def _draw(lines: list[tuple[tuple[int, int], tuple[int, int]]], width: int, shape=(200, 300)) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    for p, q in lines:
        cv2.line(m, p, q, 1, width)
    return m.astype(bool)


def test_spurs_of_a_thick_band_are_pruned() -> None:
    band = _draw([((20, 100), (280, 100))], 9)
    band[96:105, 150:158] = True
    band[100:112, 200:204] = True  # a bump 7 px beyond the edge: thinning grows a spur there
    skel = skeletonize(band)
    pruned = prune_spurs(skel, 9 + 4)
    assert skeleton_length(pruned) < skeleton_length(skel)
    # one line from end to end, 260 px less about half the width at each end
    assert 260 - 10 <= skeleton_length(pruned) <= 260 + 1
    count = cv2.filter2D(pruned.astype(np.uint8), -1, np.ones((3, 3)), borderType=cv2.BORDER_CONSTANT)
    assert int((pruned & (count == 2)).sum()) == 2  # two ends, so no branch is left


def test_a_real_fork_is_kept() -> None:
    y = _draw([((20, 100), (150, 100)), ((150, 100), (280, 40)), ((150, 100), (280, 160))], 3)
    skel = skeletonize(y)
    pruned = prune_spurs(skel, 3 + 4)
    total = 130 + 2 * math.hypot(130, 60)
    assert skeleton_length(pruned) == pytest.approx(skeleton_length(skel), rel=0.02)
    assert skeleton_length(pruned) == pytest.approx(total, rel=0.05)


def test_a_short_piece_without_junction_is_kept() -> None:
    s = np.zeros((10, 10), bool)
    s[4, 3:6] = True
    assert (prune_spurs(s, 50) == s).all()


@pytest.mark.parametrize("angle_deg", [0.0, 10.0, 22.5, 30.0, 45.0, 60.0, 80.0])
def test_a_digital_line_measures_its_length_at_any_angle(angle_deg: float) -> None:
    # plain link counting reads a staircase 5-8 % long between 10 and 80 degrees
    m = np.zeros((400, 400), np.uint8)
    t = math.radians(angle_deg)
    q = (int(round(50 + 300 * math.cos(t))), int(round(50 + 300 * math.sin(t))))
    cv2.line(m, (50, 50), q, 1, 1)
    skel = skeletonize(m > 0)
    assert skeleton_length(skel) == pytest.approx(math.hypot(q[0] - 50, q[1] - 50), rel=0.007)


def test_a_circle_and_a_wave() -> None:
    m = np.zeros((400, 400), np.uint8)
    cv2.circle(m, (200, 200), 100, 1, 3)
    assert skeleton_length(skeletonize(m > 0)) == pytest.approx(2 * math.pi * 100, rel=0.005)
    x = np.arange(0, 350)
    wave = np.stack([x, 200 + 40 * np.sin(x / 50)], axis=1)
    m = np.zeros((400, 400), np.uint8)
    cv2.polylines(m, [wave.round().astype(np.int32)], False, 1, 2)
    true = float(np.linalg.norm(np.diff(wave, axis=0), axis=1).sum())
    assert skeleton_length(skeletonize(m > 0)) == pytest.approx(true, rel=0.007)


def test_polylines_cover_the_skeleton_and_meet_at_forks() -> None:
    y = _draw([((20, 100), (150, 100)), ((150, 100), (280, 40)), ((150, 100), (280, 160))], 3)
    skel = skeletonize(y)
    lines = skeleton_polylines(skel)
    assert len(lines) == 3  # three stretches from the fork
    cells = {tuple(p) for p in np.argwhere(skel)}
    assert cells == {tuple(p) for line in lines for p in line}
    drawn = sum(float(np.linalg.norm(np.diff(line, axis=0), axis=1).sum()) for line in lines)
    assert drawn == pytest.approx(skeleton_length(skel, smooth_px=0))
    starts_ends = [tuple(line[k]) for line in lines for k in (0, -1)]
    assert max(starts_ends.count(p) for p in starts_ends) == 3  # all three meet on one junction pixel


def test_a_loop_is_one_closed_line() -> None:
    m = np.zeros((200, 200), np.uint8)
    cv2.circle(m, (100, 100), 50, 1, 2)
    (line,) = skeleton_polylines(skeletonize(m > 0))
    assert tuple(line[0]) == tuple(line[-1])


def test_trails_draw_exactly_the_links_measured_on_a_real_crack() -> None:
    """Demo F-0005's measured skeleton (tests/data/skeleton): tangles of junction pixels where the
    frames' stretches meet. Drawn as its stretches between junction pixels, its lines were 9.8 %
    longer than its length (unsmoothed, and the junction pixels' short lines), 124 lines."""
    from skyinspect.skeleton import skeleton_trails

    cells = np.load(Path(__file__).parents[1] / "data" / "skeleton" / "demo_crack_skeleton.npy").astype(int)
    s = np.zeros(tuple(cells.max(axis=0) + 1), bool)
    s[cells[:, 0], cells[:, 1]] = True
    lines = skeleton_trails(s, join_below_px=2.75)  # 2 mm at 0.73 mm a cell
    lengths = [float(np.linalg.norm(np.diff(t, axis=0), axis=1).sum()) for t in lines]
    assert sum(lengths) == pytest.approx(skeleton_length(s), rel=1e-9)
    assert len(lines) <= 25  # 124 stretches between junction pixels
    n, labels = cv2.connectedComponents(s.astype(np.uint8), connectivity=8)
    sizes = np.bincount(labels.ravel())
    for t, length in zip(lines, lengths):
        if length < 2.75:  # only a piece of crack on its own (a counted gap joins it): no stub at a fork
            r, c = np.round(t[0]).astype(int)
            assert sizes[labels[r, c]] <= 3, (t, length)


def test_trails_of_a_fork_and_a_loop() -> None:
    from skyinspect.skeleton import skeleton_trails

    s = _draw([((20, 100), (200, 100)), ((120, 100), (200, 40)), ((60, 150), (90, 150))], 1)
    s = skeletonize(s)
    lines = skeleton_trails(s, join_below_px=3)
    assert len(lines) == 3  # the straight stem through the fork, the branch, the separate stroke
    assert sum(float(np.linalg.norm(np.diff(t, axis=0), axis=1).sum()) for t in lines) == \
        pytest.approx(skeleton_length(s), rel=1e-9)
    ring = skeletonize(cv2.circle(np.zeros((60, 60), np.uint8), (30, 30), 20, 1, 1) > 0)
    (loop,) = skeleton_trails(ring)
    assert np.allclose(loop[0], loop[-1])
