"""`skyinspect model eval --images`: masks as labelme writes them (label.png: a palette PNG whose indices
are the class ids, coloured by its colour map), and Pascal VOC's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.labelled import LabelledExample, read_labelled
from skyinspect.errors import InputError

# labelme's colour map (imgviz.label_colormap): 0 black, 1 (128, 0, 0), 2 (0, 128, 0), ...
_LABELME = [0, 0, 0, 128, 0, 0, 0, 128, 0, 128, 128, 0] + [0] * (256 * 3 - 12)


def _pair(tmp_path: Path, ids: np.ndarray, palette: list[int]) -> LabelledExample:
    Image.fromarray(np.full(ids.shape + (3,), 120, np.uint8)).save(tmp_path / "p.png")
    mask = Image.fromarray(ids, mode="P")
    mask.putpalette(palette)
    mask.save(tmp_path / "p_mask.png")
    return LabelledExample("p", tmp_path / "p.png", tmp_path / "p_mask.png")


def _ids() -> np.ndarray:
    ids = np.zeros((30, 40), np.uint8)
    ids[5:8, 2:30] = 1  # a crack
    ids[15:25, 20:35] = 2  # rust
    return ids


def test_a_labelme_mask_of_both_classes_is_read_by_its_ids(tmp_path: Path) -> None:
    """Found scoring photos labelled in labelme (crack = label 1, corrosion = 2) with --mask-class ids:
    refused as 'expected class ids in one channel, got a colour mask' (its palette decodes to colour), and
    with --mask-class crack its rust (0, 128, 0) counted as crack as much as its cracks (128, 0, 0): both
    128 in their brightest channel."""
    ids = _ids()
    example = _pair(tmp_path, ids, _LABELME)
    _, truth = read_labelled(example, "ids")
    assert np.array_equal(truth, ids)
    with pytest.raises(InputError, match="class ids"):  # two classes under one binary class: said, not merged
        read_labelled(example, "crack")


def test_a_labelme_mask_of_one_class_reads_as_before(tmp_path: Path) -> None:
    ids = (_ids() == 1).astype(np.uint8)
    _, truth = read_labelled(_pair(tmp_path, ids, _LABELME), "crack")
    assert np.array_equal(truth, ids)


def test_a_grey_palette_keeps_its_grey_levels(tmp_path: Path) -> None:
    """A grey mask an optimiser saved as a palette PNG, its palette reordered (index 0 white): the grey
    levels are the mask, not the indices."""
    on = _ids() == 1
    palette = [255, 255, 255, 0, 0, 0] + [0] * (256 * 3 - 6)  # index 0 white (the crack), 1 black
    _, truth = read_labelled(_pair(tmp_path, np.where(on, 0, 1).astype(np.uint8), palette), "crack")
    assert np.array_equal(truth, on.astype(np.uint8))


def test_a_voc_mask_s_void_border_is_scored_nowhere(tmp_path: Path) -> None:
    """Pascal VOC's masks mark the uncertain border of each label 255 (void, cream (224, 224, 192)), which
    VOC's scoring leaves out. Read by colour it was crack truth, the brightest; by index, 255 was more ids
    than there are. It is no data: scored nowhere (models.labelled.NO_DATA), as a photo's transparent pixels."""
    from models.labelled import NO_DATA

    ids = (_ids() == 1).astype(np.uint8)
    ids[4, 2:30] = 255  # the crack's border above and below
    ids[8, 2:30] = 255
    voc = [0, 0, 0, 128, 0, 0] + [0] * (253 * 3) + [224, 224, 192]  # indices 0, 1, 2-254 unused, 255
    assert len(voc) == 256 * 3
    for mask_class in ("crack", "ids"):
        _, truth = read_labelled(_pair(tmp_path, ids, voc), mask_class)
        assert np.array_equal(truth == NO_DATA, ids == 255), mask_class
        assert np.array_equal(truth == 1, ids == 1) and not (truth == 2).any(), mask_class
