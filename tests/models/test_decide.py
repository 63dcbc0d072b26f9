"""Class decisions from probabilities (models/decide.py): argmax, thresholds, rust rims."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.decide import argmax_and_max, class_map_from_probs


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5), st.integers(1, 9), st.integers(1, 9), st.integers(0, 2**32 - 1), st.booleans())
def test_fast_argmax_equals_numpy(c: int, h: int, w: int, seed: int, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    probs = rng.random((c, h, w)).astype(np.float32)
    if ties:
        probs = np.round(probs * 3) / 3  # many exact ties: the lower class must win, as in argmax
    cm, top = argmax_and_max(probs)
    assert cm.dtype == np.uint8
    np.testing.assert_array_equal(cm, probs.argmax(axis=0))
    np.testing.assert_array_equal(top, probs.max(axis=0))
    # the runtime passes views: a padded frame's crop (row strides) and flipped planes
    padded = np.zeros((c, h + 3, w + 5), np.float32)
    padded[:, :h, :w] = probs
    for view in (padded[:, :h, :w], probs[:, ::-1, ::-1]):
        cm, top = argmax_and_max(view)
        np.testing.assert_array_equal(cm, view.argmax(axis=0))
        np.testing.assert_array_equal(top, view.max(axis=0))
    # the confidence is the caller's to edit: it never shares memory with the probabilities
    for planes in (probs, probs[:1], padded[:1, :h, :w]):
        before = planes.copy()
        argmax_and_max(planes)[1][...] = -1.0
        np.testing.assert_array_equal(planes, before)


def test_crack_threshold_promotes_faint_cracks_but_not_over_corrosion() -> None:
    probs = np.zeros((3, 1, 4), np.float32)
    probs[:, 0, 0] = (0.7, 0.3, 0.0)  # faint crack: argmax says background
    probs[:, 0, 1] = (0.2, 0.35, 0.45)  # corrosion beats crack: stays corrosion
    probs[:, 0, 2] = (0.9, 0.1, 0.0)  # background
    probs[:, 0, 3] = (0.1, 0.1, 0.8)
    cm, conf = class_map_from_probs(probs, None)
    assert cm.tolist() == [[0, 2, 0, 2]]
    cm, conf = class_map_from_probs(probs, 0.25)
    assert cm.tolist() == [[1, 2, 0, 2]] and conf[0, 0] == pytest.approx(0.3)


def test_corrosion_threshold_sends_unsure_rust_to_background() -> None:
    probs = np.zeros((3, 1, 4), np.float32)
    probs[:, 0, 0] = (0.05, 0.05, 0.9)  # sure corrosion: stays
    probs[:, 0, 1] = (0.35, 0.05, 0.6)  # unsure corrosion: background
    probs[:, 0, 2] = (0.1, 0.4, 0.5)  # unsure corrosion over a crack: background, not a new crack
    probs[:, 0, 3] = (0.8, 0.1, 0.1)
    cm, conf = class_map_from_probs(probs, None, 0.85)
    assert cm.tolist() == [[2, 0, 0, 0]]
    assert conf[0].tolist() == pytest.approx([0.9, 0.35, 0.1, 0.8])
    assert class_map_from_probs(probs, None, None)[0].tolist() == [[2, 2, 2, 0]]


def test_an_absorbed_rust_rim_is_dropped_with_unsure_rust() -> None:
    import cv2

    probs = np.zeros((3, 120, 120), np.float32)
    probs[0] = 1.0
    patch = np.zeros((120, 120), np.uint8)
    cv2.circle(patch, (60, 60), 30, 1, -1)
    rim = np.zeros_like(patch)
    cv2.circle(rim, (60, 60), 32, 1, 2)
    rim &= 1 - patch
    probs[:, patch.astype(bool)] = np.array([[0.02], [0.03], [0.95]], np.float32)
    probs[:, rim.astype(bool)] = np.array([[0.3], [0.6], [0.1]], np.float32)
    cm, _ = class_map_from_probs(probs, None, None)
    assert (cm[rim.astype(bool)] == 2).all()  # absorbed into the rust patch
    cm, _ = class_map_from_probs(probs, None, 0.85)
    assert (cm[rim.astype(bool)] == 0).all() and (cm[patch.astype(bool)] == 2).all() and not (cm == 1).any()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 2**32 - 1), st.sampled_from([None, 0.3, 0.6]),
       st.sampled_from([None, 0.5, 0.8]))
def test_class_map_demotes_unsure_rust_like_the_whole_frame_rule(h: int, w: int, seed: int,
                                                                 crack_t: float | None, rust_t: float | None) -> None:
    """The corrosion threshold is applied inside the corrosion's bounding box only (a speed-up):
    the result must equal the rule applied to every pixel of the frame."""
    from models.postprocess import absorb_crack_fringes

    rng = np.random.default_rng(seed)
    probs = rng.dirichlet([1.0, 0.5, 0.7], size=(h, w)).transpose(2, 0, 1).astype(np.float32)
    cm, conf = class_map_from_probs(probs, crack_t, rust_t)
    ref, ref_conf = probs.argmax(0).astype(np.uint8), probs.max(0)
    if crack_t is not None:
        up = (probs[1] >= crack_t) & (probs[1] >= probs[2])
        ref[up], ref_conf[up] = 1, probs[1][up]
    ref = absorb_crack_fringes(ref)
    if rust_t is not None:
        down = (ref == 2) & (probs[2] < rust_t)
        ref[down], ref_conf[down] = 0, probs[0][down]
    np.testing.assert_array_equal(cm, ref)
    np.testing.assert_array_equal(conf, ref_conf)
