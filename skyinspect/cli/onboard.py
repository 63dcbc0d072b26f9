"""`skyinspect onboard`: tag frames with MAVLink telemetry, segment them, write the flight record."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from skyinspect.camera import CameraModel
from skyinspect.errors import CalibrationError

console = Console()


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


def onboard_command(
    frames: Path = typer.Option(..., "--frames", help="Image folder or video file."),
    mavlink: Path = typer.Option(..., "--mavlink", help="MAVLink telemetry log (.tlog)."),
    out: Path = typer.Option(..., "--out", help="Flight record folder to write."),
    camera: Path | None = typer.Option(None, "--camera", help="OpenCV calibration YAML/JSON."),
    model: Path | None = typer.Option(None, "--model", help="ONNX model (default: the one shipped)."),
    latency_s: float = typer.Option(0.0, "--latency-s", help="Camera latency added to capture times."),
    gap_threshold_s: float = typer.Option(1.0, "--gap-threshold-s", help="Telemetry gap that untags a frame."),
    overwrite: bool = typer.Option(False, help="Replace an existing flight record."),
) -> None:
    """Replay frames + telemetry through the onboard pipeline into a crash-safe flight record."""
    from models import load_segmenter
    from onboard.replay import run_replay

    calibration = CameraModel.load(find_calibration(frames, camera))
    segmenter = load_segmenter(model)
    summary = run_replay(frames, mavlink, out, segmenter, calibration, latency_s=latency_s,
                         gap_threshold_s=gap_threshold_s, overwrite=overwrite)
    console.print(f"recorded {summary.frames} frames ({summary.tagged} tagged, {summary.untagged} untagged, "
                  f"{summary.instances} detections) at {summary.fps:.2f} frames/s into [bold]{out}[/]")
