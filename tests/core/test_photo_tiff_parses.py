"""read_bgr parses a TIFF's header (Pillow's TiffImageFile._open: its IFDs and tags, a GeoTIFF's
georeferencing among them) once to check its size and orientation: it parsed it for the pixel cap and
again for the EXIF orientation, and a third time for the pixels of a TIFF turned a quarter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from skyinspect.photo import read_bgr


@pytest.mark.parametrize("held", [False, True])
@pytest.mark.parametrize(("orientation", "parses"), [(1, 1), (6, 2)])  # 6: Pillow decodes it (one more)
def test_a_tiff_header_is_parsed_once_before_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      orientation: int, parses: int, held: bool) -> None:
    stored = np.random.default_rng(3).integers(0, 256, (30, 40, 3), np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.tif"
    Image.fromarray(stored).save(path, exif=exif)
    calls: list[int] = []
    real_open = TiffImagePlugin.TiffImageFile._open

    def counting_open(self):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real_open(self)

    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "_open", counting_open)
    image = read_bgr(path, data=path.read_bytes() if held else None)
    assert len(calls) == parses
    shown = stored if orientation == 1 else np.rot90(stored, -1)  # 6: turned a quarter clockwise to be shown
    assert np.array_equal(image, shown[:, :, ::-1])
