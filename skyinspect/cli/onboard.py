"""Helpers shared by the `skyinspect onboard` command (skyinspect/cli/onboard_live.py)."""

from __future__ import annotations

from pathlib import Path

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
