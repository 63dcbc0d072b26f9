"""A round dark spot on a crack's path (a pore, a stain) is not the crack's widest stretch.

The widest ~4 px of crack was the largest 2-profile mean: a pore 5 px across on a 1.5 px crack is
as long as it is wide, so it filled those 4 px and was published as the widest stretch. On the demo
(1 mm/px) two of five cracks read so: at least 2.64 and 2.18 mm against 1.03 and 1.14 mm true.
A hairline's bound: its lower end is now the widest run of lower ends as long as the upper ends
demand (1.5 times their widest), and holds the crack's 1.5 px. Its upper end was still the widest
2-profile mean of upper ends, the pore's: on the demo F-0001 read up to 4.58 mm, 1.03 mm at its widest
(3.56 now). It is now the widest run of upper ends as long as the lower ends demand, raised by the run's
scatter: no shorter run, so still a bound on the widest stretch, and a pore as long as wide drops.
"""

from __future__ import annotations

import numpy as np
from test_crackwidth_max import (  # type: ignore[import-not-found]
    BACKGROUND,
    INTERIOR,
    H,
    _view,
    blurred_with_noise,
    supersampled_cover,
)

from groundstation.crackwidth import crack_width_px
from groundstation.width_views import width_from_estimate

PORE = 90.0  # DN: darker than the concrete (BACKGROUND), lighter than the crack (INTERIOR)


def render_crack_with_pore(pore_d_px: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A horizontal dark band 1.5 px wide (8x8 supersampled cover) with a disc ``pore_d_px`` across, darker
    than the concrete and lighter than the crack (as the simulator's pores), centred on it at x=80;
    blur 0.8 px, noise 2 DN. Returns (image, skeleton 0.3 px off the centre line)."""
    crack = supersampled_cover(lambda x, y: np.abs(y - H / 2) <= 0.75)
    pore = supersampled_cover(lambda x, y: np.hypot(x - 80.0, y - H / 2) <= pore_d_px / 2)
    img = BACKGROUND - (BACKGROUND - PORE) * pore
    img = img - (img - INTERIOR) * crack  # the crack runs through the pore
    return blurred_with_noise(img, seed)


def test_a_pore_on_a_hairline_is_not_its_widest_stretch() -> None:
    for d_px in (4.0, 5.0, 6.0):
        for seed in range(2):
            img, skel = render_crack_with_pore(d_px, seed)
            widest = width_from_estimate(crack_width_px(img, skel, step_px=2.0), _view())["max_width_mm"]
            assert widest.is_bound, widest  # no plateau at 1.5 px: a bound
            assert widest.low <= 1.5 <= widest.high, (d_px, seed, widest)


def test_a_pore_on_a_crack_of_known_interior_is_not_its_widest_stretch() -> None:
    """With the interior known the widest is a value; the pore's blurred rim still reaches the ends of
    the shortest run long enough, so it reads up to a fifth above the crack (before: 2.5 px for 1.5)."""
    for d_px in (3.0, 4.0, 5.0):
        img, skel = render_crack_with_pore(d_px, seed=3)
        est = crack_width_px(img, skel, interior_level=INTERIOR, step_px=2.0)
        widest = width_from_estimate(est, _view())["max_width_mm"]
        assert widest.value is not None and widest.sigma is not None, widest
        assert 1.5 - 2.0 * widest.sigma <= widest.value <= 1.2 * 1.5, (d_px, widest)


def _hairline(seed: int) -> tuple[np.ndarray, np.ndarray]:
    return blurred_with_noise(BACKGROUND - (BACKGROUND - INTERIOR) * supersampled_cover(
        lambda x, y: np.abs(y - H / 2) <= 0.75), seed)


def test_a_pore_on_a_hairline_does_not_widen_its_widest_stretchs_upper_end() -> None:
    """Before: 3.3, 3.9, 4.6 px for pores 4, 5, 6 px across against 2.8 px without one; now 2.9-3.3
    against 2.8 (the run's 2-sigma scatter). (A pore 8 px across is longer than the 1.5 times the
    lower ends demand: it stays.)"""
    for seed in range(2):
        img, skel = _hairline(seed)
        alone = width_from_estimate(crack_width_px(img, skel, step_px=2.0), _view())["max_width_mm"]
        for d_px in (4.0, 5.0, 6.0):
            img, skel = render_crack_with_pore(d_px, seed)
            widest = width_from_estimate(crack_width_px(img, skel, step_px=2.0), _view())["max_width_mm"]
            assert 1.5 <= widest.high <= alone.high + 0.6, (d_px, seed, alone.high, widest.high)
