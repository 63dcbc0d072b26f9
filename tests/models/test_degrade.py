"""Field degradations for training crops (models/degrade.py) and the DeepCrack selection holdout."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models.degrade import DegradeConfig, degrade, motion_kernel
from models.prepare import deepcrack_val_stems

NONE = DegradeConfig(p_motion=0, p_defocus=0, p_haze=0, p_shadow=0, p_noise=0, p_jpeg=0)


def _crack_image() -> np.ndarray:
    img = np.full((96, 128, 3), 180, np.uint8)
    cv2.line(img, (10, 20), (120, 70), (60, 60, 60), 1)
    return img


def _sharpness(img: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


@pytest.mark.parametrize("length", [1.0, 2.5, 3.5, 7.0])
@pytest.mark.parametrize("angle", [0.0, 33.0, 90.0, 135.0])
def test_motion_kernel_is_normalised_and_as_long_as_asked(length: float, angle: float) -> None:
    k = motion_kernel(length, angle)
    assert k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
    assert k.sum() == pytest.approx(1.0, abs=1e-5)
    assert (k >= 0).all()
    # its extent along the motion direction is about the asked length (within a pixel)
    ys, xs = np.nonzero(k > 0.02 * k.max())
    c = k.shape[0] // 2
    along = (xs - c) * np.cos(np.radians(angle)) + (ys - c) * np.sin(np.radians(angle))
    assert along.max() - along.min() <= length + 1.5


def test_nothing_enabled_is_the_identity() -> None:
    img = _crack_image()
    assert np.array_equal(degrade(img, np.random.default_rng(0), NONE), img)


def test_same_seed_same_copy_and_shape_kept() -> None:
    img = _crack_image()
    a = degrade(img, np.random.default_rng(5))
    b = degrade(img, np.random.default_rng(5))
    assert a.shape == img.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)


def test_blur_lowers_sharpness_but_the_crack_stays_darker_than_the_concrete() -> None:
    img = _crack_image()
    blurred = degrade(img, np.random.default_rng(1), DegradeConfig(p_motion=1, motion_px=(3.0, 3.0), p_defocus=1,
                                                                   p_haze=0, p_shadow=0, p_noise=0, p_jpeg=0))
    assert _sharpness(blurred) < 0.5 * _sharpness(img)
    line = np.zeros(img.shape[:2], np.uint8)
    cv2.line(line, (10, 20), (120, 70), 1, 1)
    gray = cv2.cvtColor(blurred, cv2.COLOR_BGR2GRAY).astype(float)
    assert gray[line > 0].mean() < gray[line == 0].mean() - 20


def test_wrong_image_kind_is_refused_with_what_was_got() -> None:
    with pytest.raises(ValueError, match="uint8"):
        degrade(np.zeros((8, 8), np.float32), np.random.default_rng(0))


def test_deepcrack_holdout_is_thirty_distinct_training_images() -> None:
    stems = deepcrack_val_stems()
    assert len(stems) == len(set(stems)) == 30
    # taken from DeepCrack's train list, never its test list (test_clean stays the reported set)
    assert all(s.startswith("train_") for s in stems)
