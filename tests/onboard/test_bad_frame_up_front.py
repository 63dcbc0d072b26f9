"""A frame the replay cannot read is refused before any frame is segmented: a JPEG cut short, an empty
file or one that is no image, at the end of the folder, was refused only when the replay reached it,
after every frame before it had been segmented, and then all of it removed (a replay is all or
nothing): hours on a 500-photo flight. The real cuav frames of an ArduPlane flight (2016)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from onboard_helpers import PLANE_DIR, DarkPixelSegmenter

from onboard.replay import run_replay
from skyinspect.camera import CameraModel
from skyinspect.errors import ImageError, InputError


class _Counting(DarkPixelSegmenter):
    def __init__(self) -> None:
        self.calls = 0

    def segment(self, image_bgr: np.ndarray):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().segment(image_bgr)


def _broken(data: bytes, how: str) -> bytes:
    if how == "cut":
        return data[:len(data) * 3 // 4]
    if how == "empty":
        return b""
    return data[:400] + bytes(len(data) - 400)  # its header kept, the rest zeros (a card's bad block)


@pytest.mark.parametrize(("how", "said"), [
    ("cut", r"is cut short: its JPEG data ends before the image does"),
    ("empty", r"is empty \(0 bytes\)"),
    ("zeros", r"cannot be decoded as an image")])
def test_a_broken_last_frame_is_refused_before_any_frame_is_segmented(tmp_path: Path, how: str, said: str) -> None:
    frames = tmp_path / "frames"
    frames.mkdir()
    for p in sorted((PLANE_DIR / "frames").glob("*.jpg")):
        shutil.copy(p, frames)
    last = sorted(frames.glob("*.jpg"))[-1]
    last.write_bytes(_broken(last.read_bytes(), how))
    segmenter = _Counting()
    with pytest.raises(ImageError, match=rf"{last.name}: {said}"):
        run_replay(frames, PLANE_DIR / "flight_window.tlog", tmp_path / "r", segmenter,
                   CameraModel.from_fov(160, 120, 60.0), progress=False)
    assert segmenter.calls == 0
    assert not (tmp_path / "r").exists()


def test_a_frame_of_another_size_with_a_long_header_is_refused_before_any_frame_is_segmented(tmp_path: Path) -> None:
    """A JPEG whose header segments run past the first 256 KB (a thermal camera's radiometric data in APP3: the
    folder check decodes it whole) was checked for being whole but not for its size: a last frame of 80x60 among
    160x120 ones was refused only when the replay reached it, the two frames before it segmented."""
    import cv2

    frames = tmp_path / "frames"
    frames.mkdir()
    for p in sorted((PLANE_DIR / "frames").glob("*.jpg")):
        shutil.copy(p, frames)
    last = sorted(frames.glob("*.jpg"))[-1]
    ok, small = cv2.imencode(".jpg", cv2.resize(cv2.imread(str(last)), (80, 60)))
    assert ok
    app3 = b"".join(b"\xff\xe3" + (65535).to_bytes(2, "big") + bytes(65533) for _ in range(5))  # 320 KB
    last.write_bytes(small.tobytes()[:2] + app3 + small.tobytes()[2:])
    segmenter = _Counting()
    with pytest.raises(InputError, match=rf"{last.name}: frame is 80x60 but the camera calibration is for 160x120"):
        run_replay(frames, PLANE_DIR / "flight_window.tlog", tmp_path / "r", segmenter,
                   CameraModel.from_fov(160, 120, 60.0), progress=False)
    assert segmenter.calls == 0
