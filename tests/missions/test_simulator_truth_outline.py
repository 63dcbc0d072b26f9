"""The truth outline encloses the texture pixels its defect is labelled on, as the frames' truth masks
show them (render.py samples the labels nearest: a frame pixel is a defect where its centre falls in a
labelled texture pixel's square). Traced through the boundary pixels' centres it lay half a texture
pixel inside that area (a 40 x 40 px patch outlined as 39 x 39), so an outline that follows a mask's
pixel edges, as the ground station's do since b2eaee8, read half a GSD outside the truth in the
demo's geometry check (placement 0.48 -> 0.60 GSD, all of it on the six corrosion patches)."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Polygon

from missions.simulator.scene import FaceTexture, face_frame
from missions.simulator.truth import defect_features
from skyinspect.segmentation import CORROSION

MM = 0.001


def _texture(labels: np.ndarray) -> FaceTexture:
    h, w = labels.shape
    return FaceTexture(np.full((h, w, 3), 150, np.uint8), labels, 0.0, h * MM, MM, {0: "synthetic.jpg"},
                       np.where(labels > 0, 0, -1).astype(np.int16))


def _outline(props: dict) -> Polygon:
    return Polygon(props["outline_face_uv_m"])


def test_square_patch_outline_is_its_pixels_edges() -> None:
    labels = np.zeros((200, 300), np.uint8)
    labels[60:100, 100:140] = CORROSION  # 40 x 40 texture pixels of 1 mm
    (feat,) = defect_features(_texture(labels), face_frame())
    p = feat["properties"]
    assert p["area_m2"] == pytest.approx(1600 * MM * MM)
    # the pixels' squares: u 100-140 mm, v (up from the bottom, 200 rows) 100-140 mm
    assert p["bbox_face_uv_m"] == pytest.approx([0.100, 0.100, 0.140, 0.140], abs=1e-6)
    assert _outline(p).area == pytest.approx(p["area_m2"], rel=1e-3)


def test_disc_patch_outline_holds_its_area() -> None:
    yy, xx = np.mgrid[:200, :200]
    labels = np.where((xx - 100.0) ** 2 + (yy - 90.0) ** 2 <= 30.0 ** 2, CORROSION, 0).astype(np.uint8)
    (feat,) = defect_features(_texture(labels), face_frame())
    p = feat["properties"]
    # within 1 % of the labelled pixels' area (through the centres: 97.0 %)
    assert _outline(p).area == pytest.approx(p["area_m2"], rel=0.01)
