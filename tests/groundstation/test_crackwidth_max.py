"""The widest stretch of a crack (``max_width_mm``) carries its own bound and ±, not the mean's.

A crack 1.5 px wide over most of its length and 5 px over a 16 px stretch: a hairline's width is
only a bound (its interior does not show), and the maximum's bound was the *mean's* interval, whose
upper end lies below the widest stretch's true width, so a published maximum claimed the crack is
nowhere wider than it is over one stretch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from groundstation.crackwidth import crack_width_px
from groundstation.flight_images import WidthView
from groundstation.width_views import width_from_estimate

BACKGROUND, INTERIOR = 170.0, 40.0


H, W = 60, 160  # the rendered frames' size (px); the crack runs along row H / 2


def supersampled_cover(inside: Callable[[np.ndarray, np.ndarray], np.ndarray], ss: int = 8) -> np.ndarray:
    """Each pixel's share (H x W) of the region where ``inside(x, y)`` holds, x and y in pixel
    coordinates sampled ss x ss per pixel."""
    yy, xx = np.mgrid[0:H * ss, 0:W * ss]
    x, y = (xx + 0.5) / ss - 0.5, (yy + 0.5) / ss - 0.5
    return inside(x, y).reshape(H, ss, W, ss).mean(axis=(1, 3))


def blurred_with_noise(img: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``img`` blurred 0.8 px with 2 DN of noise, and the skeleton along the crack 0.3 px off its centre line."""
    import cv2

    img = cv2.GaussianBlur(img, (0, 0), 0.8) + np.random.default_rng(seed).normal(0, 2.0, img.shape)
    skel = np.stack([np.linspace(20, 140, 40), np.full(40, H / 2 + 0.3)], axis=1)
    return np.clip(img, 0, 255), skel


def render_varying_crack(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A horizontal dark band 1.5 px wide, 5 px from x=72 to 88 (8x8 supersampled cover, blur 0.8 px,
    noise 2 DN); returns (image, skeleton 0.3 px off the centre line)."""
    cover = supersampled_cover(lambda x, y: np.abs(y - H / 2) <= np.where((x >= 72) & (x <= 88), 2.5, 0.75))
    return blurred_with_noise(BACKGROUND - (BACKGROUND - INTERIOR) * cover, seed)


def _view() -> WidthView:
    return WidthView(Path("frame.png"), np.zeros((2, 2)), 3, 0.001)  # 1 mm per pixel


def test_the_widest_stretchs_bound_holds_its_width_not_the_means() -> None:
    img, skel = render_varying_crack()
    est = crack_width_px(img, skel, step_px=2.0)
    assert est.is_bound, est  # no plateau: only a bound
    m = width_from_estimate(est, _view())
    mean, widest = m["width_mm"], m["max_width_mm"]
    assert mean.is_bound and widest.is_bound, (mean, widest)
    assert mean.high < 5.0, mean  # the mean's interval does not reach the widest stretch (the defect's premise)
    assert widest.low <= 5.0 <= widest.high, widest
    assert widest.low >= mean.low and widest.high >= mean.high, (mean, widest)


def test_the_widest_stretchs_value_carries_the_scatter_of_a_few_profiles() -> None:
    """With a known interior the maximum is a value: the mean of ~4 px of crack (2 profiles), the
    largest of ~28 such runs, so noise lifts it. Its ± was the standard error of all 58 profiles' mean:
    a uniform 1 px crack read max 1.07-1.09 +- 0.035 px, 2-2.5 of its ± above the truth."""
    from test_crackwidth import render_crack

    for seed in range(3):
        img, skel = render_crack(1.0, 17.0, 0.3, seed=seed)
        est = crack_width_px(img, skel, interior_level=INTERIOR, step_px=2.0)
        m = width_from_estimate(est, _view())
        mean, widest = m["width_mm"], m["max_width_mm"]
        assert mean.value is not None and widest.value is not None and widest.sigma is not None
        assert abs(widest.value - 1.0) <= 2.0 * widest.sigma, widest
        assert widest.sigma > mean.sigma and math.isfinite(widest.sigma), (mean, widest)
    img, skel = render_varying_crack(seed=1)  # and the widest stretch of a varying crack is found
    widest = width_from_estimate(crack_width_px(img, skel, interior_level=INTERIOR), _view())["max_width_mm"]
    assert widest.value is not None and abs(widest.value - 5.0) <= 2.0 * widest.sigma, widest


def test_over_pieces_the_widest_stretch_keeps_its_own_bound() -> None:
    """A crack in two pieces, one a hairline known only as a bound: the maximum over the pieces was
    built from the pieces' *mean* intervals."""
    from groundstation.width_views import width_of_pieces

    img, skel = render_varying_crack()
    varying = crack_width_px(img, skel, step_px=2.0)  # a bound whose widest stretch is 5 px
    from test_crackwidth import render_crack

    img, skel = render_crack(1.0, 0.0, 0.3, seed=4)
    narrow = crack_width_px(img, skel, step_px=2.0)
    out = width_of_pieces([(varying, _view()), (narrow, _view())])
    widest = out["max_width_mm"]
    assert widest.is_bound and widest.low <= 5.0 <= widest.high, widest
