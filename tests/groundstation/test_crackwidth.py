"""Sub-pixel crack width from the intensity profile, on rendered cracks of known width."""

from __future__ import annotations

import math

import numpy as np
import pytest

from groundstation.crackwidth import crack_width_px

BACKGROUND, INTERIOR = 170.0, 40.0


def render_crack(width_px: float, angle_deg: float, offset_px: float, blur_px: float = 0.8, noise: float = 2.0,
                 size: tuple[int, int] = (120, 160), seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A straight dark band of exact width (8x8 supersampled area coverage), optical blur, sensor
    noise; returns (image, skeleton with a 0.3 px segmentation error)."""
    import cv2

    h, w = size
    ss = 8
    yy, xx = np.mgrid[0:h * ss, 0:w * ss]
    x = (xx + 0.5) / ss - 0.5
    y = (yy + 0.5) / ss - 0.5
    a = math.radians(angle_deg)
    c = np.array([w / 2 + offset_px, h / 2 + 0.37 * offset_px])
    nrm = np.array([-math.sin(a), math.cos(a)])
    dist = (x - c[0]) * nrm[0] + (y - c[1]) * nrm[1]
    cover = (np.abs(dist) <= width_px / 2).reshape(h, ss, w, ss).mean(axis=(1, 3))
    img = BACKGROUND - (BACKGROUND - INTERIOR) * cover
    img = cv2.GaussianBlur(img, (0, 0), blur_px)
    img += np.random.default_rng(seed).normal(0, noise, img.shape)
    d = np.array([math.cos(a), math.sin(a)])
    t = np.linspace(-40, 40, 30)
    skel = c + t[:, None] * d + 0.3 * nrm
    return np.clip(img, 0, 255), skel


WIDTHS = [1.0, 1.5, 2.0, 3.0, 4.0, 5.5, 7.0, 8.5, 10.0]


def test_width_mae_below_a_quarter_pixel_with_calibrated_interior() -> None:
    errors = []
    for i, w in enumerate(WIDTHS):
        for angle in (0.0, 17.0, 45.0, 71.0):
            img, skel = render_crack(w, angle, 0.31 * i, seed=i)
            est = crack_width_px(img, skel, interior_level=INTERIOR)
            assert est.mean_px is not None and est.sigma_px is not None and est.sigma_px > 0
            errors.append(abs(est.mean_px - w))
    assert float(np.mean(errors)) <= 0.25, f"MAE {np.mean(errors):.3f} px"
    assert max(errors) < 0.5


def test_wide_cracks_need_no_calibration_and_narrow_ones_get_a_bound() -> None:
    errors = []
    for i, w in enumerate(WIDTHS):
        img, skel = render_crack(w, 23.0, 0.2 * i, seed=10 + i)
        est = crack_width_px(img, skel)
        assert est.lower_px - 0.2 <= w <= est.upper_px + 0.2  # the bound always holds
        if w >= 4.0:
            assert not est.is_bound, est.note
            errors.append(abs(est.mean_px - w))  # type: ignore[operator]
        elif w <= 1.5:
            assert est.is_bound and "bound only" in est.note
    assert float(np.mean(errors)) <= 0.25


def test_short_skeleton_is_not_measurable() -> None:
    img, _ = render_crack(3.0, 0.0, 0.0)
    est = crack_width_px(img, np.array([[50.0, 60.0], [53.0, 60.0]]))
    assert est.is_bound and "too short" in est.note


@pytest.mark.parametrize("interior_level", [None, INTERIOR])
def test_a_bright_band_never_gets_a_negative_width(interior_level: float | None) -> None:
    # a rust highlight or a lit joint edge segmented as "crack": brighter than its flanks
    img, skel = render_crack(6.0, 30.0, 0.0)
    bright = 2 * BACKGROUND - img
    est = crack_width_px(bright, skel, interior_level=interior_level)
    assert est.is_bound and est.lower_px >= 0 and "not darker" in est.note, est


def test_an_interior_level_brighter_than_the_background_is_refused() -> None:
    img, skel = render_crack(3.0, 10.0, 0.0)
    est = crack_width_px(img, skel, interior_level=BACKGROUND + 20)
    assert est.is_bound and "not measurable" in est.note, est


def test_a_faint_crack_beside_brighter_concrete_gets_no_negative_width() -> None:
    """A real regression (tests/data/crackwidth): the demo's faint crack F-0001, 9 grey levels
    below its concrete, beside a brighter patch, read -0.19 ± 0.57 px and the report printed
    "width: -0.19 +/- 0.57 mm". No width may be negative."""
    import json
    from pathlib import Path

    import cv2

    data = Path(__file__).parents[1] / "data" / "crackwidth"
    gray = cv2.imread(str(data / "faint_crack.png"), cv2.IMREAD_GRAYSCALE)
    skel = np.array(json.loads((data / "faint_crack.json").read_text())["skeleton_px"])
    est = crack_width_px(gray, skel, max_width_px=30.0, step_px=2.0)
    assert est.mean_px is None or est.mean_px > 0, est
    # Since session 23 the window stops at the crack's own deficit (a darker line runs beside it,
    # test_crackwidth_neighbour.py): it is no longer a small difference of big ones. The crack is
    # DSC00874's, annotated 0.75 mm (truth.geojson), here at 1.0 mm/px: 0.75 px. Whatever is read
    # holds that: a value within 2 sigma (evaluate_grades.WIDTH_SIGMAS), or a bound. Until session 25 it
    # read 4.63 +- 0.95 px, a value above its own upper end (2.47 px): the mean profile's "plateau" is
    # the average of a stretch 30 DN deep and one 1-10 DN deep, and its level (the profiles' median
    # minimum, 121 DN) is neither's; one level darker than the faint stretch's own darkest points and
    # lighter than the dark stretch's made the dark stretch 9-18 px wide
    truth_px = 0.75
    if est.mean_px is not None:
        assert est.sigma_px is not None and abs(est.mean_px - truth_px) <= 2.0 * est.sigma_px, est
    assert est.lower_px <= truth_px <= est.upper_px, est
    assert est.mean_px is None or est.mean_px <= est.upper_px * 1.06, est  # never above its own widest bound


def test_a_crack_not_darker_than_each_profiles_flanks_gets_no_zero_width_bound() -> None:
    """The demo's F-0009 in frame 3 (tests/data/crackwidth): its width bound read "between 0.00
    and 0.00 mm" (and graded as such); there is no width to bound there."""
    import json
    from pathlib import Path

    import cv2

    data = Path(__file__).parents[1] / "data" / "crackwidth"
    gray = cv2.imread(str(data / "level_crack.png"), cv2.IMREAD_GRAYSCALE)
    skel = np.array(json.loads((data / "level_crack.json").read_text())["skeleton_px"])
    est = crack_width_px(gray, skel, max_width_px=30.0, step_px=2.0)
    assert not (est.is_bound and est.upper_px <= 0), est
    # since session 23 the window ends where the crack's own deficit does, not out in the brighter
    # concrete beside it: a bound, holding the annotated 0.85 mm of DSC00566 (truth.geojson) at 1.0 mm/px
    # (0.44-2.59 px since session 24: its upper end had been capped by the profile's zero-padded ends,
    # test_crackwidth_contrast.py)
    assert est.mean_px is None and 0 < est.lower_px <= 0.85 <= est.upper_px < 3.0, est


@pytest.mark.parametrize("blur_px", [0.8, 2.0])
def test_a_darker_stain_along_one_side_of_a_crack_widens_the_stated_uncertainty(blur_px: float) -> None:
    """Concrete darker along one side of a crack (a stain, a damp patch: 20 DN against the crack's 130,
    12 px wide) lies inside the profile window, and its deficit cannot be told from the crack's. The
    width read 5.8 +- 0.18 px for a 4 px crack: the +- (profile-to-profile scatter) claimed ten times the
    accuracy there was. On the ArduCopter SITL facade frames (1.7 mm/px, a random concrete texture) a
    6 mm crack read 9.43 +- 0.40 mm. The flanks' disagreement now enters the +-."""
    import cv2

    w = 4.0
    img, skel = render_crack(w, 17.0, 0.4, blur_px=blur_px, noise=2.0, seed=3)
    h, wd = img.shape
    yy, xx = np.mgrid[0:h, 0:wd].astype(np.float64)
    a = math.radians(17.0)
    c = np.array([wd / 2 + 0.4, h / 2 + 0.37 * 0.4])
    dist = (xx - c[0]) * -math.sin(a) + (yy - c[1]) * math.cos(a)
    stain = cv2.GaussianBlur(((dist > w / 2) & (dist < w / 2 + 12)).astype(np.float64), (0, 0), 1.0)
    est = crack_width_px(np.clip(img - 20.0 * stain, 0, 255), skel, interior_level=INTERIOR)
    assert est.mean_px is not None and est.sigma_px is not None
    assert abs(est.mean_px - w) <= 2.0 * est.sigma_px, est
    clean = crack_width_px(img, skel, interior_level=INTERIOR)  # a plain background keeps its tight +-
    assert clean.sigma_px is not None and clean.sigma_px < 0.2 and abs(clean.mean_px - w) < 0.25
