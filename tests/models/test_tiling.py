"""Tile grid coverage and stitch round trips (pure numpy, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from models.tiling import blend_weights, extract_tiles, normalised_weights, stitch, tile_grid

SIZES = [(700, 1000), (384, 384), (100, 50), (385, 1280), (960, 1280), (3000, 4000)]


@pytest.mark.parametrize(("h", "w"), SIZES)
def test_grid_covers_frame_with_overlap(h: int, w: int) -> None:
    g = tile_grid(h, w, tile=384, overlap=64)
    cover = np.zeros((g.padded_height, g.padded_width), dtype=np.int32)
    for y, x in g.origins:
        assert 0 <= y <= g.padded_height - 384 and 0 <= x <= g.padded_width - 384
        cover[y:y + 384, x:x + 384] += 1
    assert (cover[:h, :w] >= 1).all()
    for starts in (g.ys, g.xs):  # neighbours overlap by at least the requested amount
        assert all(b - a <= 384 - 64 for a, b in zip(starts[:-1], starts[1:], strict=True))


@pytest.mark.parametrize(("h", "w"), SIZES[:5])
def test_identity_round_trip(h: int, w: int) -> None:
    rng = np.random.default_rng(0)
    img = rng.random((h, w, 3), dtype=np.float32)
    g = tile_grid(h, w)
    outs = extract_tiles(img, g).transpose(0, 3, 1, 2)  # identity "model": output = input tile
    assert np.array_equal(stitch(outs, g, "centre"), img.transpose(2, 0, 1))
    np.testing.assert_allclose(stitch(outs, g, "blend"), img.transpose(2, 0, 1), atol=1e-6)


def test_small_frame_is_padded_not_resized() -> None:
    img = np.arange(50 * 70, dtype=np.float32).reshape(50, 70)
    g = tile_grid(50, 70)
    tiles = extract_tiles(img, g)
    assert tiles.shape == (1, 384, 384)
    assert np.array_equal(tiles[0, :50, :70], img)


def test_blend_weights_positive_and_flat_centre() -> None:
    w = blend_weights(384, 64)
    assert w.min() > 0 and w[192, 192] == 1.0 and w[0, 0] < w[64, 64]


@pytest.mark.parametrize("h,w,tile,overlap", [(960, 1280, 384, 64), (3000, 4000, 384, 64), (500, 900, 256, 43),
                                              (100, 120, 384, 64), (385, 700, 384, 200)])
def test_normalised_weights_sum_to_one_and_blend_like_dividing(h: int, w: int, tile: int, overlap: int) -> None:
    grid = tile_grid(h, w, tile, overlap)
    total = np.zeros((grid.padded_height, grid.padded_width), np.float64)
    wsum = np.zeros_like(total)
    for k, (y, x) in enumerate(grid.origins):
        total[y:y + tile, x:x + tile] += normalised_weights(grid, k)
        wsum[y:y + tile, x:x + tile] += blend_weights(tile, overlap)
    np.testing.assert_allclose(total, 1.0, atol=1e-5)
    k = len(grid) // 2
    y, x = grid.origins[k]
    np.testing.assert_allclose(normalised_weights(grid, k), blend_weights(tile, overlap) / wsum[y:y + tile, x:x + tile],
                               rtol=1e-5)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        tile_grid(0, 10)
    with pytest.raises(ValueError):
        tile_grid(10, 10, tile=64, overlap=64)
    g = tile_grid(700, 1000)
    with pytest.raises(ValueError):
        stitch(np.zeros((1, 3, 384, 384), np.float32), g)
