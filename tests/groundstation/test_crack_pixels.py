"""groundstation.crack_pixels: a detection's crack pixels read back from the record's class mask."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from gs_fixtures import CAMERA, FLY_HEIGHT_M, MODEL_ID, pose_at

from groundstation.crack_pixels import MaskPixels
from groundstation.load import load_flight
from skyinspect.findings import Detection
from skyinspect.record import FlightRecordWriter
from skyinspect.segmentation import CORROSION, CRACK, Instance, Segmentation


def _record(folder: Path) -> tuple[Path, np.ndarray]:
    """One frame: a 1-px crack bent in an S inside a loose outline, and a rust patch beside it."""
    h, w = CAMERA.height_px, CAMERA.width_px
    class_map = np.zeros((h, w), np.uint8)
    x = np.arange(300, 700)
    y = np.round(480 + 25 * np.sin((x - 300) / 60)).astype(int)
    class_map[y, x] = CRACK
    class_map[400:440, 720:780] = CORROSION
    crack_outline = np.array([[298, 450], [702, 450], [702, 510], [298, 510]], np.float64)
    rust_outline = np.array([[720, 400], [779, 400], [779, 439], [720, 439]], np.float64)
    instances = (Instance(CRACK, 0.9, crack_outline, float(len(x)), None),
                 Instance(CORROSION, 0.9, rust_outline, 2400.0, None))
    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0)
    with FlightRecordWriter(folder, CAMERA, MODEL_ID, "0" * 64) as writer:
        writer.add_frame(0, pose.time_utc_s, np.full((h, w, 3), 128, np.uint8), pose,
                         Segmentation(class_map, instances, MODEL_ID))
    return folder, np.stack([x, y], axis=1)


def _det(instance: int, corners: int = 4) -> Detection:
    ring = np.zeros((corners, 3))
    return Detection(0, instance, CRACK, 0.9, ring, ring[0], None, 0.0, 0.001, 3.0, 0.0, 0.01, 0.01)


def test_the_instance_crack_pixels_in_normalised_coordinates(tmp_path: Path) -> None:
    folder, truth_px = _record(tmp_path / "f")
    got = MaskPixels(load_flight(folder)).crack_pixels(_det(0))
    assert got is not None
    outline, pixels = got
    assert outline.shape == (4, 2) and len(pixels) == len(truth_px)  # every crack pixel, no rust
    rays = CAMERA.pixel_to_ray(truth_px.astype(np.float64))
    expected = rays[:, :2] / rays[:, 2:]
    order = np.lexsort(pixels.T)
    assert np.allclose(pixels[order], expected[np.lexsort(expected.T)], atol=1e-9)


def test_no_crack_pixels_or_a_mismatched_outline_gives_none(tmp_path: Path) -> None:
    folder, _ = _record(tmp_path / "f")
    source = MaskPixels(load_flight(folder))
    assert source.crack_pixels(_det(1)) is None  # the rust patch's outline holds no crack pixel
    assert source.crack_pixels(_det(0, corners=5)) is None  # outline and georeferenced ring differ
    assert source.crack_pixels(Detection(7, 0, CRACK, 0.9, np.zeros((4, 3)), np.zeros(3), None, 0.0, 0.001,
                                         3.0, 0.0, 0.01, 0.01)) is None  # no such frame
    cv2.imwrite(str(next((folder / "masks").iterdir())), np.zeros((2, 2, 3), np.uint8))  # not a class mask
    assert MaskPixels(load_flight(folder)).crack_pixels(_det(0)) is None


def _lens_record(folder: Path) -> tuple[Path, np.ndarray, np.ndarray, np.ndarray]:
    """A crack that splits and rejoins (a lens, tails at both ends), a 16-px crack speck in the lens
    (too small for an instance of its own) and a crack of its own inside it, as the post-processing
    (models.postprocess.extract_instances) makes the instances. Returns the folder and the pixels of
    the lens, the speck and the inner crack."""
    from models.postprocess import extract_instances

    h, w = CAMERA.height_px, CAMERA.width_px
    lens = np.zeros((h, w), np.uint8)
    x = np.arange(400, 801)
    arc = 40 * np.sin((x - 400) / 400 * np.pi)
    for xx, a in zip(x, arc):
        lens[int(round(480 - a)):int(round(480 - a)) + 2, xx] = 1
        lens[int(round(480 + a)):int(round(480 + a)) + 2, xx] = 1
    cv2.line(lens, (340, 480), (400, 480), 1, 2)
    cv2.line(lens, (800, 480), (860, 480), 1, 2)
    speck = np.zeros_like(lens)
    speck[470:474, 480:484] = 1  # >= 10 px from either branch: no bridge joins it
    inner = np.zeros_like(lens)
    cv2.line(inner, (560, 480), (660, 480), 1, 2)
    class_map = np.where((lens | speck | inner) > 0, CRACK, 0).astype(np.uint8)
    instances = tuple(extract_instances(class_map))
    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0)
    with FlightRecordWriter(folder, CAMERA, MODEL_ID, "0" * 64) as writer:
        writer.add_frame(0, pose.time_utc_s, np.full((h, w, 3), 128, np.uint8), pose,
                         Segmentation(class_map, instances, MODEL_ID))
    return folder, *(np.argwhere(m > 0)[:, ::-1] for m in (lens, speck, inner))


def test_a_speck_or_another_crack_inside_a_cracks_outline_is_not_its_pixels(tmp_path: Path) -> None:
    """The outline of a crack that splits and rejoins encloses what lies between its branches: a crack
    speck there (no instance: under the post-processing's 30 px) and a crack with its own instance were
    read back as this crack's pixels too, so its length counted the speck and the join to it, and the
    inner crack twice (in its own finding and in this one)."""
    folder, lens_px, speck_px, inner_px = _lens_record(tmp_path / "f")
    flight = load_flight(folder)
    outer = max(range(len(flight.frames[0].instances)), key=lambda i: flight.frames[0].instances[i].area_px)
    assert len(flight.frames[0].instances) == 2  # the lens and the inner crack; the speck has none
    got = MaskPixels(flight).crack_pixels(_det(outer, len(flight.frames[0].instances[outer].polygon_px)))
    assert got is not None
    rays = CAMERA.pixel_to_ray(lens_px.astype(np.float64))
    expected = rays[:, :2] / rays[:, 2:]
    _, pixels = got
    assert len(pixels) == len(lens_px)
    assert np.allclose(pixels[np.lexsort(pixels.T)], expected[np.lexsort(expected.T)], atol=1e-9)
