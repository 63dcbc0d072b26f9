"""`skyinspect model eval --images`: a mask drawn on a quarter-turned photo's stored pixels (a labelling
tool that ignores the EXIF orientation) is scored against the photo as `skyinspect segment` sees it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from models.labelled import NO_DATA, LabelledExample, read_labelled
from skyinspect.photo import read_bgr

# how a viewer turns stored pixels to show them (EXIF 2.3), written out here rather than taken from the code
_SHOWN = {5: lambda a: np.swapaxes(a, 0, 1), 6: lambda a: np.rot90(a, -1),
          7: lambda a: np.rot90(a, 2).swapaxes(0, 1), 8: lambda a: np.rot90(a, 1)}


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_a_mask_on_the_stored_pixels_is_turned_to_the_photo_as_segment_sees_it(tmp_path: Path,
                                                                             orientation: int) -> None:
    """Found scoring a UAV75 val crop (DSC00551, 512x320) saved turned with EXIF orientation 6 and its mask
    drawn on the stored pixels: the photo was segmented as stored, which `segment` never does (it segments
    the photo as shown), and the model, not rotation-invariant, found 1,676 crack px there against 926 as
    shown: crack IoU 0.215 where `segment`'s own mask of the photo scores 0.450 against the same labels."""
    rng = np.random.default_rng(orientation)
    stored = (rng.random((40, 60, 3)) * 200).astype(np.uint8)
    stored[:10, :20] = 255  # asymmetric
    path = tmp_path / "p.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(stored).save(path, exif=exif.tobytes(), quality=100)
    mask = np.zeros((40, 60), np.uint8)
    mask[:10, :20] = 255  # on the stored pixels
    mask[30:, 55:] = 255
    assert cv2.imwrite(str(tmp_path / "m.png"), mask)
    image, truth = read_labelled(LabelledExample("p", path, tmp_path / "m.png"), "crack")
    assert np.array_equal(image, read_bgr(path))  # the photo as segment reads it, shown 60x40
    assert image.shape == (60, 40, 3)
    assert np.array_equal(truth, _SHOWN[orientation]((mask > 0).astype(np.uint8)))


def test_no_data_of_an_uncompressed_rgba_tiff_turned_a_quarter_is_left_out(tmp_path: Path) -> None:
    """Its transparent corner was scored: read from the file, Pillow (13.0) maps an uncompressed RGBA TIFF
    and drops its orientation tag without turning it, so its alpha came out as stored, did not fit the
    photo as shown and was left out (models/no_data.py); segment, which reads the photo's bytes, had it."""
    rgba = np.full((40, 60, 4), 200, np.uint8)
    rgba[:10, :15] = 0
    path = tmp_path / "t.tif"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgba).save(path, exif=exif.tobytes())  # uncompressed: Pillow's default
    assert cv2.imwrite(str(tmp_path / "m.png"), np.full((60, 40), 255, np.uint8))  # drawn as shown
    image, truth = read_labelled(LabelledExample("t", path, tmp_path / "m.png"), "crack")
    assert image.shape == (60, 40, 3)
    assert np.array_equal(truth == NO_DATA, _SHOWN[6](rgba[:, :, 3] == 0))
