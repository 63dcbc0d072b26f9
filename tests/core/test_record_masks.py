"""The flight record's class-id masks (``masks/``): lossless 8-bit grey, cheap on the onboard recording thread.

Each frame's mask is encoded on the recording thread, which shares the two cores with the inference
workers. A mask is long runs of one value; PNG's zlib pass over every byte cost 0.50 ms a 640x480 mask
with a defect (2.0 at 1280x960, 19.5 at 4000x3000), TIFF with PackBits (run-length) compression 0.14
(0.50, 5.1), files 1.6-2 -> 7-8 kB at 640x480. Both read back through ``cv2.imread(..., IMREAD_UNCHANGED)``
(groundstation.crack_pixels) and Pillow as the same 2-D uint8 array; an OpenCV without a TIFF writer
keeps PNG.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from skyinspect.camera import CameraModel
from skyinspect.pose import GimbalFrame, Pose
from skyinspect.record import FlightRecordReader, FlightRecordWriter
from skyinspect.segmentation import Segmentation

CAM = CameraModel.from_fov(640, 480, 60.0)


def _pose(i: int) -> Pose:
    return Pose(100.0 + i, 47.0 + i * 1e-6, 8.0, 500.0, 12.0, 1.0, -2.0, 90.0, 0.0, -10.0, 0.0,
                GimbalFrame.EARTH, h_acc_m=0.02, v_acc_m=0.03, fix_type=6, source="camera_feedback")


def _class_map() -> np.ndarray:
    cm = np.zeros((480, 640), np.uint8)
    cv2.line(cm, (100, 0), (400, 479), 1, 3)
    cv2.circle(cm, (500, 300), 60, 2, -1)
    return cm


def _record_one(folder: Path, cm: np.ndarray) -> Path:
    with FlightRecordWriter(folder, CAM, "test-model", "abc") as w:
        w.add_frame(1, 100.0, np.full((480, 640, 3), 128, np.uint8), _pose(1), Segmentation(cm, (), "test-model"))
    with FlightRecordReader(folder) as r:
        (frame,) = list(r.frames())
    assert frame.mask_path is not None
    return frame.mask_path


def test_masks_are_lossless_packbits_tiff(tmp_path: Path) -> None:
    cm = _class_map()
    path = _record_one(tmp_path / "f", cm)
    assert path.relative_to(tmp_path / "f").as_posix() == "masks/000001.tif"
    back = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)  # as groundstation.crack_pixels reads it
    assert back.dtype == np.uint8 and back.ndim == 2 and np.array_equal(back, cm)
    with Image.open(path) as im:
        assert im.format == "TIFF" and im.mode == "L" and im.info.get("compression") == "packbits"
        assert np.array_equal(np.asarray(im), cm)
    assert path.stat().st_size < 10_000


def test_masks_stay_png_without_row_filters_where_opencv_writes_no_tiff(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenCV's default row filter (Sub) was a pass over every row of every mask on the onboard
    recording thread (0.54 -> 0.43 ms at 640x480) and made a class-id mask's files larger, not smaller."""
    import zlib

    monkeypatch.setattr(cv2, "haveImageWriter", lambda name: not str(name).lower().endswith((".tif", ".tiff")))
    cm = _class_map()
    path = _record_one(tmp_path / "f", cm)
    assert path.name == "000001.png"
    data = path.read_bytes()
    assert np.array_equal(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED), cm)
    chunks, pos = {}, 8
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        chunks[kind] = chunks.get(kind, b"") + data[pos + 8:pos + 8 + n]
        pos += 12 + n
    assert chunks[b"IHDR"][8:10] == bytes([8, 0])  # 8-bit grey, as before
    if not hasattr(cv2, "IMWRITE_PNG_FILTER"):  # OpenCV 4.8 (pyproject's minimum): Sub rows, 3460 bytes here
        pytest.skip(f"OpenCV {cv2.__version__} has no IMWRITE_PNG_FILTER: masks are encoded with its default filter")
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(480, 641)
    assert not rows[:, 0].any(), "a mask row was filtered"
    assert len(data) < 3000


def test_a_defect_free_frames_mask_is_encoded_once_per_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Most frames of an inspection flight find nothing: their all-zero mask was encoded again for every
    frame (0.47 ms of the recording thread's CPU at 640x480 as PNG). Its bytes are the same each time, so
    the writer keeps them per frame size; a mask with any defect pixel is still encoded."""
    encoded: list[tuple[int, ...]] = []
    real = cv2.imencode

    def counting(ext: str, img: np.ndarray, *args: object) -> tuple[bool, np.ndarray]:
        if img.ndim == 2:  # a mask (the frames here come with no JPEG bytes: encoded as BGR images)
            encoded.append(img.shape)
        return real(ext, img, *args)

    empty = np.zeros((480, 640), np.uint8)
    crack = empty.copy()
    cv2.line(crack, (100, 0), (400, 479), 1, 3)
    small = np.zeros((120, 160), np.uint8)
    image, small_image = np.full((480, 640, 3), 128, np.uint8), np.full((120, 160, 3), 128, np.uint8)
    monkeypatch.setattr(cv2, "imencode", counting)
    with FlightRecordWriter(tmp_path / "f", CAM, "test-model", "abc") as w:
        for i, (cm, img) in enumerate([(empty, image), (empty, image), (crack, image), (empty, image),
                                       (small, small_image), (small, small_image)], start=1):
            w.add_frame(i, 100.0 + i, img, _pose(i), Segmentation(cm.copy(), (), "test-model"))
    monkeypatch.undo()
    assert encoded == [(480, 640), (480, 640), (120, 160)]  # the first empty mask of each size, and the crack
    with FlightRecordReader(tmp_path / "f") as r:
        paths = {f.frame_index: f.mask_path for f in r.frames()}
    ext = paths[1].suffix
    params = ([cv2.IMWRITE_TIFF_COMPRESSION, 32773] if ext == ".tif" else
              [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE] if hasattr(cv2, "IMWRITE_PNG_FILTER") else [])
    expected = real(ext, empty, params)[1].tobytes()
    for i, cm in [(1, empty), (2, empty), (3, crack), (4, empty), (5, small), (6, small)]:
        data = paths[i].read_bytes()
        assert np.array_equal(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED), cm)
        if cm is empty:
            assert data == expected  # the very bytes OpenCV writes for it
