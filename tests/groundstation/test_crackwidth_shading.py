"""Broad faint shading beside a crack (a shadow, a damp patch) is not counted in its width.

The first pass followed the crack's deficit outwards until it fell under a tenth of its depth; a
shadow a fifth to three tenths of the crack's contrast, 5-6 px to one side, stays above that for many
px, so the window widened onto it and its deficit was integrated as crack: a 1 px crack 130 DN deep
was bounded 2.6-6.7 / 4.2-8.9 px, a 4 px crack read 5.5-5.9 / 7.0-7.1 px (4.1-4.3 without the shadow).
The crack's own blurred edge falls steeply, the shading gently: the window now ends where the edge's
fall flattens (0.96-2.90 px; 4.38-4.58 px).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from test_crackwidth import BACKGROUND, INTERIOR, render_crack

from groundstation.crackwidth import crack_width_px

ANGLE = 17.0


def shaded_crack(width_px: float, depth: float, shade: tuple[float, float, float],
                 seed: int) -> tuple[np.ndarray, np.ndarray]:
    """render_crack's band ``depth`` DN under the background on a concrete-like texture (4 DN, grain
    ~2 px) with 2 DN of noise, and a broad shadow: a Gaussian ``shade[0]`` of the crack's depth deep,
    ``shade[1]`` px sigma, centred ``shade[2]`` px to one side of the crack."""
    img, skel = render_crack(width_px, ANGLE, 0.0, noise=0.0, seed=seed)
    img = BACKGROUND - (BACKGROUND - img) * depth / (BACKGROUND - INTERIOR)
    h, w = img.shape
    a = math.radians(ANGLE)
    nrm = np.array([-math.sin(a), math.cos(a)])
    centre = skel.mean(axis=0) - 0.3 * nrm  # the band's own centre (the skeleton is 0.3 px off it)
    yy, xx = np.mgrid[0:h, 0:w]
    dist = (xx - centre[0]) * nrm[0] + (yy - centre[1]) * nrm[1]
    frac, sigma, offset = shade
    img = img - frac * depth * np.exp(-0.5 * ((dist - offset) / sigma) ** 2)
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.normal(0, 1, img.shape), (0, 0), 2.0)
    img = img + 4.0 * grain / grain.std() + rng.normal(0, 2.0, img.shape)
    return np.clip(img, 0, 255), skel


SHADOWS = [(0.2, 6.0, 5.0), (0.3, 8.0, 6.0)]  # (depth as a fraction of the crack's, sigma px, offset px)


@pytest.mark.parametrize("shade", SHADOWS)
def test_a_shadow_beside_a_wide_crack_is_not_in_its_width(shade: tuple[float, float, float]) -> None:
    for width in (4.0, 6.0):
        for seed in range(2):
            clean = crack_width_px(*shaded_crack(width, BACKGROUND - INTERIOR, (0.0, 1.0, 0.0), seed))
            est = crack_width_px(*shaded_crack(width, BACKGROUND - INTERIOR, shade, seed))
            assert est.mean_px is not None and clean.mean_px is not None, (est.note, clean.note)
            # the shading right under the crack is counted (it is not told from the crack there)
            assert abs(est.mean_px - clean.mean_px) < 0.4, (width, seed, clean.mean_px, est.mean_px)


@pytest.mark.parametrize("shade", SHADOWS)
def test_a_shadow_beside_a_hairline_leaves_its_bound_holding_it(shade: tuple[float, float, float]) -> None:
    for width in (1.0, 2.0):
        for depth in (BACKGROUND - INTERIOR, 60.0):
            for seed in range(2):
                clean = crack_width_px(*shaded_crack(width, depth, (0.0, 1.0, 0.0), seed))
                est = crack_width_px(*shaded_crack(width, depth, shade, seed))
                assert est.is_bound and clean.is_bound, (est.note, clean.note)
                assert est.lower_px - 0.2 <= width <= est.upper_px + 0.2, (width, depth, seed, est.lower_px)
                assert est.upper_px - clean.upper_px < 1.0, (width, depth, seed, clean.upper_px, est.upper_px)


# Shading centred on the crack (a shaded lip, a shadow along it), broad: (depth as a fraction of the
# crack's, sigma px, offset 0). The profile cannot tell it from the crack (docs/maintenance.md), so the
# width keeps it, and its uncertainty and bound now hold the crack: before, a 4 px crack read
# 4.49-4.62 +- 0.14 px (4.0 four sigma and more away) and a 1 px crack was bounded from 1.24-1.49 px.
CENTRED = [(0.2, 6.0, 0.0), (0.3, 8.0, 0.0)]


@pytest.mark.parametrize("shade", CENTRED)
def test_a_shadow_centred_on_a_wide_crack_stays_in_its_uncertainty(shade: tuple[float, float, float]) -> None:
    for width in (4.0, 6.0):
        for seed in range(2):
            est = crack_width_px(*shaded_crack(width, BACKGROUND - INTERIOR, shade, seed))
            assert est.mean_px is not None and est.sigma_px is not None, est.note
            assert abs(est.mean_px - width) <= 2.0 * est.sigma_px, (width, seed, est.mean_px, est.sigma_px)
            assert est.max_sigma_px is not None and est.max_px is not None
            assert est.max_px - 2.0 * est.max_sigma_px <= width, (width, seed, est.max_px, est.max_sigma_px)
            # a clean crack's uncertainty stays what it was (0.14-0.23 px here)
            clean = crack_width_px(*shaded_crack(width, BACKGROUND - INTERIOR, (0.0, 1.0, 0.0), seed))
            assert clean.sigma_px is not None and clean.sigma_px < 0.3, (width, seed, clean.sigma_px)


@pytest.mark.parametrize("shade", CENTRED)
def test_a_shadow_centred_on_a_hairline_leaves_its_bound_holding_it(shade: tuple[float, float, float]) -> None:
    for width in (1.0, 2.0):
        for seed in range(2):
            est = crack_width_px(*shaded_crack(width, BACKGROUND - INTERIOR, shade, seed))
            clean = crack_width_px(*shaded_crack(width, BACKGROUND - INTERIOR, (0.0, 1.0, 0.0), seed))
            assert est.is_bound and clean.is_bound, (est.note, clean.note)
            assert est.lower_px <= width + 0.15 <= est.upper_px, (width, seed, est.lower_px, est.upper_px)
            # the widest stretch's lower end reads above the mean's by the profiles' scatter (clean 1 px:
            # 0.84-1.05 px); the shading moved it 0.51-0.70 px up, now 0.27-0.39
            assert est.max_lower_px is not None and clean.max_lower_px is not None
            assert width > 1.0 or est.max_lower_px - clean.max_lower_px < 0.45, (seed, clean.max_lower_px, est.max_lower_px)
            # the clean hairline's lower end is where it was: the darkest interior's, (B - D) / B of it
            assert clean.lower_px > 0.95 * width * (BACKGROUND - INTERIOR) / BACKGROUND, (width, seed, clean.lower_px)
