"""The truth's crack widths are the annotation's, in millimetres, not the label texture's pixels.

A synthetic crack patch (drawn here, no data set image) of known width is pasted at 0.4 mm per patch
pixel onto the 1 mm/px texture, as the simulator pastes UAV75 cracks at 0.6-0.9 mm/px: its band is
1.2 px (the hairline stretch) and 2.4 px (the wide stretch) of the texture. The truth must say
1.2 / 2.4 mm, whatever the label texture's thresholded pixels make of them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from missions.simulator import SimConfig, scene
from missions.simulator.config import DefectPlacement
from missions.simulator.scene import build_texture, face_frame
from missions.simulator.truth import defect_features

PATCH_MM_PER_PX = 0.4


def _write_patch(folder: Path, stem: str, widths_px: tuple[int, int], slant: float) -> None:
    """A 400 px patch: concrete grey, one dark crack band from top to bottom, ``widths_px[0]`` wide
    in its upper half and ``widths_px[1]`` in its lower half, leaning ``slant`` px per row."""
    h = w = 400
    img = np.full((h, w, 3), 150, np.uint8)
    mask = np.zeros((h, w), np.uint8)
    for row in range(40, 360):
        width = widths_px[0] if row < 200 else widths_px[1]
        c0 = int(round(200 + slant * (row - 200) - width / 2))
        mask[row, c0:c0 + width] = 255
    img[mask > 0] = 40
    cv2.imwrite(str(folder / f"{stem}.jpg"), img)
    cv2.imwrite(str(folder / f"{stem}_mask.png"), mask)


@pytest.mark.parametrize("slant", [0.0, 0.35])
def test_truth_crack_width_is_the_annotations_in_mm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     slant: float) -> None:
    monkeypatch.setattr(scene, "TEXTURE_DIR", tmp_path)
    _write_patch(tmp_path, "synthetic_crack", (3, 6), slant)
    cfg = replace(SimConfig.small(), defects=(DefectPlacement("synthetic_crack", "crack", 0.3, 0.3,
                                                              PATCH_MM_PER_PX),))
    cracks = [f["properties"] for f in defect_features(build_texture(cfg), face_frame())
              if f["properties"]["class"] == "crack"]  # type: ignore[index]
    assert len(cracks) == 1
    p = cracks[0]
    # mean: half the length 3 px, half 6 px, at 0.4 mm a pixel
    mean_mm = (3 + 6) / 2 * PATCH_MM_PER_PX
    assert p["width_mm"] == pytest.approx(mean_mm, rel=0.08), p
    # the widest ~4 mm stretch: the 6 px half
    assert p["max_width_mm"] == pytest.approx(6 * PATCH_MM_PER_PX, rel=0.08), p
    length_mm = 320 * PATCH_MM_PER_PX * np.hypot(1.0, slant)
    assert p["length_mm"] == pytest.approx(length_mm, rel=0.05)
