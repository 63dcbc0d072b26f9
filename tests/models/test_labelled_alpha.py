"""`skyinspect model eval --images`: a mask drawn on a transparent layer (GIMP, Photoshop, Krita) and
exported as an RGBA PNG marks its labels by where it is opaque, whatever colour the brush was."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.labelled import LabelledExample, read_labelled


def _strokes() -> np.ndarray:
    on = np.zeros((30, 40), bool)
    on[5:8, 2:30] = True
    on[10:28, 33:35] = True
    return on


def _layer(folder: Path, brush: tuple[int, int, int], behind: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The strokes painted with ``brush`` on a transparent layer of ``behind``, and a grey photo p.png."""
    on = _strokes()
    rgba = np.zeros((30, 40, 4), np.uint8)
    rgba[..., :3] = behind
    rgba[on, :3] = brush
    rgba[on, 3] = 255
    Image.fromarray(np.full((30, 40, 3), 120, np.uint8)).save(folder / "p.png")
    return on, rgba


@pytest.mark.parametrize("brush, behind", [((0, 0, 0), (0, 0, 0)),  # GIMP: a black brush, transparent zeroed
                                           ((255, 255, 255), (255, 255, 255)),  # transparent kept white
                                           ((255, 0, 0), (0, 0, 0))])  # a red brush (read right before too)
def test_strokes_on_a_transparent_layer_are_the_labels(tmp_path: Path, brush: tuple[int, int, int],
                                                       behind: tuple[int, int, int]) -> None:
    """Found scoring a UAV75-like photo whose crack was painted with a black brush on a transparent GIMP
    layer: the RGBA mask's colour is black everywhere, so the truth was empty and every crack pixel the model
    found a false alarm, without a word; a white brush over transparent white (as some editors keep it)
    made the whole photo crack truth."""
    on, rgba = _layer(tmp_path, brush, behind)
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "p_mask.png")
    _, truth = read_labelled(LabelledExample("p", tmp_path / "p.png", tmp_path / "p_mask.png"), "crack")
    assert np.array_equal(truth, on.astype(np.uint8))


def test_an_opaque_rgba_mask_reads_by_its_colour_as_before(tmp_path: Path) -> None:
    on = _strokes()
    rgba = np.full((30, 40, 4), 255, np.uint8)
    rgba[..., :3] = 0
    rgba[on, :3] = 255
    Image.fromarray(np.full((30, 40, 3), 120, np.uint8)).save(tmp_path / "p.png")
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "p_mask.png")
    _, truth = read_labelled(LabelledExample("p", tmp_path / "p.png", tmp_path / "p_mask.png"), "crack")
    assert np.array_equal(truth, on.astype(np.uint8))


@pytest.mark.parametrize("brush, behind", [((0, 0, 0), (0, 0, 0)), ((255, 255, 255), (255, 255, 255))])
def test_strokes_on_a_transparent_layer_saved_indexed_are_the_labels(tmp_path: Path, brush: tuple[int, int, int],
                                                                     behind: tuple[int, int, int]) -> None:
    """The same layer exported as an indexed PNG with transparency (PNG-8: Photoshop's Save for Web, an
    optimiser): a palette of one colour, its transparent entry in tRNS. Its colour says nothing, yet it was
    read by colour (a palette mask was never looked at for its alpha): an empty truth under a black brush,
    the whole photo crack under a white one."""
    on, rgba = _layer(tmp_path, brush, behind)
    indexed = Image.fromarray(rgba, mode="RGBA").quantize(method=Image.Quantize.FASTOCTREE)
    indexed.save(tmp_path / "p_mask.png")
    with Image.open(tmp_path / "p_mask.png") as saved:
        assert saved.mode == "P" and "transparency" in saved.info
    _, truth = read_labelled(LabelledExample("p", tmp_path / "p.png", tmp_path / "p_mask.png"), "crack")
    assert np.array_equal(truth, on.astype(np.uint8))
