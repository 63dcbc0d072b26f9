"""A crack whose contrast is less than a third of the background's level (a damp grey crack in pale
concrete, a photo's hairline 20-35 DN below its 150 DN concrete) is measured against its own darkest
level, not against the end of its profile.

Each profile's minimum is lightly smoothed (3 samples) before it is taken; the smoothing padded the
profile with zeros, so its two end samples read about two thirds of the background, and wherever the
crack is shallower than a third of the background that was the "minimum": the interior level read
from a wide crack's plateau was too dark (a 6 px crack 40 DN deep read 4.2 px), and a hairline's
upper end too low (the demo's crack textures themselves, read at 1 mm/px without the camera, bounded
their 1.0 and 1.1 mm annotations by 0.26-0.72 and 0.35-0.97 mm).
"""

from __future__ import annotations

import numpy as np
import pytest
from test_crackwidth import BACKGROUND, render_crack  # type: ignore[import-not-found]

from groundstation.crackwidth import crack_width_px

DEPTH = 40.0  # DN below the 170 DN background: under a third of it


def faint_crack(width_px: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """render_crack's band (exact coverage, blur 0.8 px) DEPTH deep, with 2 DN of noise of its own."""
    img, skel = render_crack(width_px, 20.0, 0.0, noise=0.0, seed=seed)
    faint = BACKGROUND - (BACKGROUND - img) * DEPTH / (BACKGROUND - 40.0)
    return faint + np.random.default_rng(seed).normal(0, 2.0, img.shape), skel


@pytest.mark.parametrize("width_px", [5.0, 7.0])
def test_a_faint_wide_crack_reads_its_width_from_its_own_plateau(width_px: float) -> None:
    for seed in range(2):
        img, skel = faint_crack(width_px, seed)
        est = crack_width_px(img, skel)
        assert est.mean_px is not None, est.note
        assert abs(est.interior_level - (BACKGROUND - DEPTH)) < 4.0, est.note
        assert abs(est.mean_px - width_px) < 0.25, (width_px, seed, est.mean_px)


@pytest.mark.parametrize("width_px", [1.0, 1.5])
def test_a_faint_hairlines_bound_holds_its_width(width_px: float) -> None:
    for seed in range(2):
        img, skel = faint_crack(width_px, seed)
        est = crack_width_px(img, skel)
        assert est.is_bound, est.note
        assert est.lower_px <= width_px <= est.upper_px, (width_px, seed, est.lower_px, est.upper_px)
