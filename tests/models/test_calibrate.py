"""Threshold calibration helpers (the sweeps themselves need ../shared and run as studies)."""

from __future__ import annotations

import numpy as np

from models.calibrate import demote_weak_cracks
from models.decide import class_map_from_probs
from skyinspect.segmentation import CORROSION, CRACK


def test_crack_threshold_above_argmax_demotes_only_weak_crack_pixels() -> None:
    # (background, crack, corrosion) per pixel
    probs = np.array([[0.1, 0.8, 0.1], [0.3, 0.6, 0.1], [0.1, 0.6, 0.3], [0.7, 0.2, 0.1], [0.1, 0.2, 0.7]],
                     np.float32).T.reshape(3, 1, 5)
    argmax = class_map_from_probs(probs)[0]
    assert argmax.ravel().tolist() == [CRACK, CRACK, CRACK, 0, CORROSION]
    assert demote_weak_cracks(argmax, probs, None) is argmax
    got = demote_weak_cracks(argmax, probs, 0.7)
    # the sure crack stays; weak ones go to the likelier other class; the rest is untouched
    assert got.ravel().tolist() == [CRACK, 0, CORROSION, 0, CORROSION]
    assert argmax.ravel().tolist() == [CRACK, CRACK, CRACK, 0, CORROSION]  # input left alone
    two_class = probs[:2] / probs[:2].sum(axis=0, keepdims=True)
    assert demote_weak_cracks(class_map_from_probs(two_class)[0], two_class, 0.99).ravel().tolist() == [0] * 5
