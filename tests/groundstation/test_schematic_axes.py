"""The elevation's axes number both directions: on bench/process_scale.py's 1,000-frame record (a face 62 m
long and 5 m high) the height axis had one number, '0', the step being taken from the longer span (10 m)
for both, so no finding's height could be read off the drawing."""

from __future__ import annotations

import numpy as np

from groundstation.publish.images import _axes


def _ticks(lo: tuple[float, float], hi: tuple[float, float], size_px: tuple[int, int] = (1400, 900),
           margin: int = 80) -> dict[int, list[float]]:
    lo_a, hi_a = np.array(lo), np.array(hi)
    w, h = size_px
    scale = min((w - 2 * margin) / (hi_a[0] - lo_a[0]), (h - 2 * margin) / (hi_a[1] - lo_a[1]))

    def px(uv: np.ndarray) -> np.ndarray:
        x = margin + (uv[:, 0] - lo_a[0]) * scale
        y = h - margin - (uv[:, 1] - lo_a[1]) * scale
        return np.round(np.stack([x, y], axis=1)).astype(np.int32).reshape(-1, 1, 2)
    img = np.full((h, w, 3), 255, np.uint8)
    return _axes(img, lo_a, hi_a, px, ("along", "up"), margin)


def test_a_long_low_face_has_several_heights_numbered() -> None:
    ticks = _ticks((-63.1, -0.8), (3.1, 5.4))  # the bench record's drawing (findings and footprints, 5 % more)
    assert len(ticks[1]) >= 3, ticks[1]
    assert len(ticks[0]) >= 3, ticks[0]


def test_the_demo_face_keeps_its_metre_steps() -> None:
    ticks = _ticks((-17.4, 4.8), (-12.6, 7.4))  # the demo's pier face
    assert ticks[0] == [-17.0, -16.0, -15.0, -14.0, -13.0] and ticks[1] == [5.0, 6.0, 7.0]
