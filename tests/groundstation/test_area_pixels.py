"""Area on the surface of known masks, through the real path: class map -> models.postprocess instances
-> flight record -> georeference. A mask's area is its pixels' area on the surface (as segment's GeoJSON
and the simulator's truth count it), not the area inside an outline drawn through its boundary pixels'
centres, which drops half a pixel all round: a 3-px line read 2/3 of its pixels, a 1-px line none."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from gs_fixtures import CAMERA, FLY_HEIGHT_M, face_surface, pose_at, write_record

from groundstation.georef import cast_pixels, georeference
from groundstation.load import load_flight
from groundstation.plane import plane_basis
from models.postprocess import extract_instances
from skyinspect.segmentation import CORROSION, CRACK


def _masks() -> dict[str, tuple[int, np.ndarray]]:
    """Named (class, mask) of one frame's size, each away from the others."""
    h, w = CAMERA.height_px, CAMERA.width_px
    out: dict[str, tuple[int, np.ndarray]] = {}

    def blank() -> np.ndarray:
        return np.zeros((h, w), np.uint8)

    for name, width_px, row in (("line 1 px", 1, 300), ("line 3 px", 3, 400), ("line 10 px", 10, 500)):
        m = blank()
        m[row:row + width_px, 400:700] = 1
        out[name] = (CRACK, m)
    m = blank()
    cv2.line(m, (450, 620), (650, 700), 1, 1)  # slanted 1-px line (8-connected steps)
    out["slanted 1 px"] = (CRACK, m)
    m = blank()
    cv2.circle(m, (800, 600), 30, 1, -1)
    out["disc r 30 px"] = (CORROSION, m)
    m = blank()
    m[650:675, 800:840] = 1
    out["rectangle 40x25 px"] = (CORROSION, m)
    return out


@pytest.mark.parametrize("yaw_deg", [90.0, 120.0])  # facing the face square on, and 30 deg across it
def test_mask_area_on_the_surface(tmp_path: Path, yaw_deg: float) -> None:
    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), yaw_deg, 0.0)
    masks = _masks()
    instances, names = [], []
    surface = face_surface()
    for name, (cls, mask) in masks.items():
        class_map = (mask * cls).astype(np.uint8)
        (inst,) = extract_instances(class_map, classes=(cls,), min_area={CRACK: 1, CORROSION: 1})
        assert inst.area_px == mask.sum()
        instances.append(inst)
        names.append(name)
    write_record(tmp_path / "f", [(pose, instances)])
    flight = load_flight(tmp_path / "f")
    geo = georeference(flight, surface)
    assert len(geo.detections) == len(instances)
    flight_cam = geo.frames[0].camera_ned_m
    basis = plane_basis(surface, flight.origin)
    r = pose.r_ned_cam()
    ratios = {}
    for det, name in zip(sorted(geo.detections, key=lambda d: d.instance_index), names):
        mask = masks[name][1]
        ys, xs = np.nonzero(mask)
        # truth: each pixel's square cast onto the face, summed (exact on a plane: a homography of squares)
        corners = np.stack([np.column_stack([xs + dx, ys + dy]) for dx, dy in
                            ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5))], axis=1).reshape(-1, 2)
        pts, _, hit = cast_pixels(corners, CAMERA, r, flight_cam, basis)
        assert hit.all()
        uv = basis.to_2d(pts).reshape(-1, 4, 2)
        x, y = uv[..., 0], uv[..., 1]
        truth_m2 = float(np.sum(0.5 * np.abs(np.sum(x * np.roll(y, -1, 1) - y * np.roll(x, -1, 1), axis=1))))
        ratios[name] = round(det.area_m2 / truth_m2, 4)
    assert all(math.isclose(v, 1.0, rel_tol=0.01) for v in ratios.values()), str(ratios)
