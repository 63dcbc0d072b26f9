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
from gs_fixtures import CAMERA, FLY_HEIGHT_M, MODEL_ID, face_surface, pose_at, write_record

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


def test_width_without_an_image_is_the_masks_width(tmp_path: Path) -> None:
    """Without the frame's image a crack's width falls back to its mask's area / length: a 4-px mask
    is 4 px wide (the outline's area had read 3 px: half a pixel lost on each side)."""
    from groundstation.fuse import fuse
    from groundstation.measure import measure
    from skyinspect.record import FlightRecordWriter
    from skyinspect.segmentation import Segmentation

    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0)
    mask = np.zeros((CAMERA.height_px, CAMERA.width_px), np.uint8)
    mask[478:482, 490:790] = CRACK
    instances = tuple(extract_instances(mask, classes=(CRACK,)))
    with FlightRecordWriter(tmp_path / "f", CAMERA, MODEL_ID, "0" * 64, save_images=False) as writer:
        writer.add_frame(0, pose.time_utc_s, np.zeros((CAMERA.height_px, CAMERA.width_px, 3), np.uint8), pose,
                         Segmentation(mask, instances, MODEL_ID))
    flight = load_flight(tmp_path / "f")
    geo = georeference(flight, face_surface())
    basis = plane_basis(geo.surface, flight.origin)
    (f,) = measure(fuse(geo, flight.origin, basis), geo.detections, basis, flight=flight, surface=geo.surface)
    w = f.measurements["width_mm"]
    assert "mask area/length" in w.note, w.note
    assert w.value is not None and math.isclose(w.value / (f.gsd_m * 1000), 4.0, rel_tol=0.04), (w, f.gsd_m)
