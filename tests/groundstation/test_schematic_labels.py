"""The schematic's label boxes at inspection scale: the grid-indexed boxes answer as the plain list did."""

from __future__ import annotations

import numpy as np

from groundstation.publish.images import LabelBoxes, _free_spot, _overlap


def test_grid_overlap_equals_testing_every_box() -> None:
    rng = np.random.default_rng(6)
    boxes, grid = [], LabelBoxes()
    for _ in range(400):
        x0, y0 = (int(v) for v in rng.integers(-80, 1400, 2))
        w, h = (int(v) for v in rng.integers(-2, 140, 2))  # some with no area, some inverted
        b = (x0, y0, x0 + w, y0 + h)
        query = (int(rng.integers(-80, 1400)), int(rng.integers(-80, 1400)))
        q = (query[0], query[1], query[0] + int(rng.integers(-1, 90)), query[1] + int(rng.integers(-1, 30)))
        assert grid.overlaps(q) == any(_overlap(q, a) for a in boxes), q
        boxes.append(b)
        grid.append(b)
    assert list(grid) == boxes
    # boxes that only touch at an edge or a cell boundary do not overlap; one pixel in does
    grid = LabelBoxes()
    grid.append((60, 60, 64, 64))
    assert not grid.overlaps((64, 60, 70, 64)) and not grid.overlaps((0, 0, 60, 60))
    assert grid.overlaps((63, 63, 130, 130))


def test_labels_stack_as_with_a_plain_list() -> None:
    rng = np.random.default_rng(7)
    plain: list[tuple[int, int, int, int]] = []
    grid = LabelBoxes()
    for i in range(300):
        x, y = int(rng.integers(0, 300)), int(rng.integers(0, 200))  # crowded: labels stack up
        label = f"F-{i:04d}" + (" joint?" if i % 5 == 0 else "")
        assert _free_spot(grid, label, x, y, keep=i % 3 != 0) == _free_spot(plain, label, x, y, keep=i % 3 != 0)
    assert list(grid) == plain


def test_a_label_is_tested_against_its_neighbours_only(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """2,000 labels spread over a 1400 x 900 page: not every earlier box per label (~2 M tests)."""
    import groundstation.publish.images as images

    calls = []
    real = images._overlap
    monkeypatch.setattr(images, "_overlap", lambda a, b: (calls.append(1), real(a, b))[1])
    grid = LabelBoxes()
    rng = np.random.default_rng(8)
    for i in range(2000):
        _free_spot(grid, f"F-{i:04d}", int(rng.integers(0, 1400)), int(rng.integers(0, 900)))
    assert len(calls) < 200_000
