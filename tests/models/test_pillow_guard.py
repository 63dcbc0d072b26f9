"""Photos and masks are read above Pillow's decompression-bomb guard as below it: skyinspect's own pixel
cap (skyinspect.pixel_cap), checked from the header first, takes the guard's place. models.no_data and
models.labelled opened them with Image.open: from 179 MPx (Pillow's limit) each printed a
DecompressionBombWarning ('could be decompression bomb DOS attack') among the command's notes, and above
twice that (the cap raised, SKYINSPECT_MAX_IMAGE_MPX=500) an ortho's no-data mask was lost without a word
(DecompressionBombError caught as 'no transparency'; the black border segmented as surface) and a labelme
mask read by its colours. Pillow's limit is lowered here so that a 40x30 image stands for a 400-MPx one."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.no_data import has_transparency, transparent_pixels


@pytest.mark.parametrize("pillow_limit", [1000, 500])  # 1200 px: over the limit (warning), over twice it (error)
def test_an_rgba_photos_no_data_is_read_over_pillows_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           pillow_limit: int) -> None:
    rgba = np.full((30, 40, 4), 255, np.uint8)
    rgba[:, :10] = 0  # the border outside the survey: transparent, black
    path = tmp_path / "ortho.png"
    Image.fromarray(rgba).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert has_transparency(path)
        mask = transparent_pixels(path, (30, 40, 3))
    assert mask is not None and mask.shape == (30, 40)
    assert mask[:, :10].all() and not mask[:, 10:].any()
    assert Image.MAX_IMAGE_PIXELS == pillow_limit  # the guard put back


@pytest.mark.parametrize("pillow_limit", [1000, 500])
def test_a_labelme_mask_over_pillows_guard_is_read_by_its_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               pillow_limit: int) -> None:
    """A labelme label.png (a palette PNG, its indices the class ids) of a large photo: over Pillow's guard
    models.labelled's Image.open warned, or raised and the mask was read by its colours ('expected class
    ids in one channel, got a colour mask')."""
    from models.labelled import LabelledExample, read_labelled

    ids = np.zeros((30, 40), np.uint8)
    ids[5:8, 2:30] = 1  # a crack
    ids[15:25, 20:35] = 2  # rust
    Image.fromarray(np.full((30, 40, 3), 120, np.uint8)).save(tmp_path / "p.png")
    mask = Image.fromarray(ids, mode="P")
    mask.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * (256 * 3 - 9))  # labelme's colour map
    mask.save(tmp_path / "p_mask.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", pillow_limit)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        _, truth = read_labelled(LabelledExample("p", tmp_path / "p.png", tmp_path / "p_mask.png"), "ids")
    assert np.array_equal(truth, ids)


def test_a_large_image_named_without_an_image_suffix_is_taken_for_one_without_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A browser's .jfif named among segment's inputs: over Pillow's limit its Image.open warned."""
    from models.photo_inputs import _named_kind

    path = tmp_path / "ortho.jfif"
    Image.fromarray(np.zeros((30, 40, 3), np.uint8)).save(path, format="JPEG")
    (tmp_path / "notes.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nF/2.8\n")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert _named_kind(path) == "image"
        assert _named_kind(tmp_path / "notes.srt") == "not image"
