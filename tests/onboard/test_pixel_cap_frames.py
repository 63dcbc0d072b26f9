"""`skyinspect onboard --frames` refuses a frame or video whose header states more pixels than skyinspect
decodes (skyinspect.pixel_cap), by name, exit 2, no record written. A 20000x20000 PNG header was a
DecompressionBombError traceback (exit 1) out of the EXIF calibration and capture-time reads; with a
calibration and a time in its name, the replay decoded and segmented its 400 MPx for over 5 minutes."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from onboard_helpers import DJI_DIR, FACADE_TLOG, write_camera
from typer.testing import CliRunner

from skyinspect.cli.main import app
from skyinspect.pixel_cap import MAX_IMAGE_MPX_ENV


def _png_stating(path: Path, width: int, height: int) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))
    return path


def _said(result: object) -> str:
    return " ".join(result.output.split())  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["IMG_1.png", "raw20240101120000Z.png"], ids=["exif-time", "time-in-name"])
@pytest.mark.parametrize("camera", [False, True], ids=["exif-camera", "camera-file"])
def test_a_frame_stating_20000_px_square_is_refused_by_name(tmp_path: Path, name: str, camera: bool) -> None:
    frame = _png_stating(tmp_path / "frames" / name, 20000, 20000)
    args = ["--camera", str(write_camera(tmp_path / "cam.json"))] if camera else []
    result = CliRunner().invoke(app, ["onboard", "--frames", str(frame.parent), "--mavlink", str(FACADE_TLOG),
                                      "--out", str(tmp_path / "rec"), *args])
    said = _said(result)
    assert result.exit_code == 2 and "Traceback" not in said, said
    assert f"{name}: its header states 20000x20000 px (400 MPx)" in said and MAX_IMAGE_MPX_ENV in said, said
    assert not (tmp_path / "rec").exists()


def test_a_dji_photo_over_the_cap_is_refused_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The DJI folder's photos (their own pose, no log): 160x90 px each, the cap set below that."""
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "0.01")
    result = CliRunner().invoke(app, ["onboard", "--frames", str(DJI_DIR), "--out", str(tmp_path / "rec")])
    said = _said(result)
    assert result.exit_code == 2 and "DJI_0018.JPG" in said and "160x90 px" in said, said
    assert not (tmp_path / "rec").exists()


def test_a_video_over_the_cap_is_refused_before_its_first_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    video = tmp_path / "raw20240101120000Z.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (64, 48))
    for _ in range(3):
        writer.write(np.full((48, 64, 3), 128, np.uint8))
    writer.release()
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "0.003")  # 3000 px; the frames are 3072
    result = CliRunner().invoke(app, ["onboard", "--frames", str(video), "--mavlink", str(FACADE_TLOG),
                                      "--camera", str(write_camera(tmp_path / "cam.json")),
                                      "--out", str(tmp_path / "rec")])
    said = _said(result)
    assert result.exit_code == 2 and "avi: its frames are 64x48 px" in said, said
    assert not (tmp_path / "rec").exists()
