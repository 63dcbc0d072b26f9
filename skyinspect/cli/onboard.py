"""Helpers shared by the `skyinspect onboard` command (skyinspect/cli/onboard_live.py)."""

from __future__ import annotations

from pathlib import Path

from skyinspect.camera import CameraModel
from skyinspect.errors import CalibrationError


def find_calibration(frames: Path, camera: Path | None) -> Path:
    """The calibration given, else a camera.yaml next to or inside the frames folder."""
    if camera is not None:
        return camera
    for candidate in (frames / "camera.yaml", frames.parent / "camera.yaml"):
        if candidate.is_file():
            return candidate
    raise CalibrationError(f"{frames}: no camera calibration given and no camera.yaml beside the frames. "
                           "Pass --camera CALIB.yaml (OpenCV FileStorage with camera_matrix, "
                           "distortion_coefficients, image_width, image_height)")


def load_calibration(frames: Path, camera: Path | None) -> tuple[CameraModel, str | None]:
    """(camera, None) from the calibration given or found beside the frames; else, for a folder of
    photos, intrinsics estimated from the first photo's EXIF/XMP with a note saying how
    (onboard/exif_camera.py), or the CalibrationError of :func:`find_calibration`."""
    try:
        return CameraModel.load(find_calibration(frames, camera)), None
    except CalibrationError as missing:
        if camera is not None or not frames.is_dir():
            raise
        from onboard.exif_camera import camera_from_exif
        from onboard.frames import ImageFolderSource
        from skyinspect.errors import InputError

        try:  # the first frame the replay will read: the same listing and order
            first = ImageFolderSource(frames).paths[0]
        except InputError:
            raise missing from None
        est = camera_from_exif(first)
        cam = est.camera
        note = (f"no camera calibration given: intrinsics estimated from {first.name}'s metadata ({est.method}; "
                f"fx {cam.fx_px:.1f} px at {cam.width_px}x{cam.height_px}, no lens distortion). Positions near the "
                "frame edges and measured sizes may be off by a few per cent; pass --camera CALIB.yaml for millimetres")
        return cam, note
