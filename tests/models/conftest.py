"""Shared fixtures of the models tests."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture()
def segmented_shapes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, ...]]:
    """The shape of every image TiledSegmenter.segment is given during the test, in order (it still segments)."""
    from models.runtime import TiledSegmenter

    shapes: list[tuple[int, ...]] = []
    real = TiledSegmenter.segment

    def counting(self: TiledSegmenter, image: np.ndarray) -> object:
        shapes.append(image.shape)
        return real(self, image)

    monkeypatch.setattr(TiledSegmenter, "segment", counting)
    return shapes
