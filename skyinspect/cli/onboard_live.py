"""`skyinspect onboard`: replay a log, or fly live with ``--mavlink udp:127.0.0.1:14550``.

``--mavlink`` may be a log (.tlog, DataFlash .bin, PX4 .ulg, a folder of DJI photos: the default when ``--frames``
is one) or a pymavlink connection string (``udp:``, ``udpin:``, ``tcp:``, ``/dev/ttyTHS1``,
``serial:/dev/ttyACM0:921600``); in live mode ``--frames`` is a camera (``0`` = /dev/video0, an RTSP URL,
a GStreamer pipeline such as
``onboard.capture.jetson_csi_pipeline()``), or a folder/video paced with ``--realtime-fps``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from skyinspect.camera import CameraModel
from skyinspect.cli.onboard import load_calibration

console = Console()


def onboard_command(
    frames: str = typer.Option(..., "--frames", help="Image folder or video; live: camera index, RTSP URL or "
                               "GStreamer pipeline."),
    mavlink: str | None = typer.Option(None, "--mavlink", help="Telemetry log (.tlog/.bin/.ulg/DJI photo folder) or a "
                                       "live link (udp:127.0.0.1:14550, tcp:HOST:PORT, /dev/ttyTHS1); may be left out "
                                       "when --frames is a folder of DJI photos (their own EXIF/XMP pose is used)."),
    out: Path = typer.Option(..., "--out", help="Flight record folder to write."),
    camera: Path | None = typer.Option(None, "--camera", help=(
        "OpenCV calibration YAML/JSON (default: a camera.yaml inside or beside the frames folder, else a "
        "photo folder's EXIF, with a warning); needed for a live camera.")),
    model: Path | None = typer.Option(None, "--model", help="ONNX model (default: the one shipped)."),
    backend: str = typer.Option("onnxruntime", "--backend", help="onnxruntime, onnxruntime-cuda or tensorrt (Jetson)."),
    flips: int = typer.Option(1, "--flips", help="Model passes per frame, flipped and averaged (1, 2, 4): 1 keeps "
                              "up with the camera; 2 or 4 (photos processed on the ground) also add the open cracks "
                              "a pass at half scale finds, at about 2.25x or 4.25x the model time (`skyinspect "
                              "segment` adds passes over the frame enlarged 1.5x as well: --upscale)."),
    upscale: float = typer.Option(0.0, "--upscale", help="Also segment each frame enlarged by this factor (two "
                                  "flips) and average, as `skyinspect segment` does with 1.5: for photos processed on "
                                  "the ground with --flips 4 (about twice the time again); 0 for none, as in flight."),
    latency_s: float = typer.Option(0.0, "--latency-s", help="Camera latency added to capture times."),
    gap_threshold_s: float = typer.Option(1.0, "--gap-threshold-s", help="Telemetry gap that untags a frame."),
    overwrite: bool = typer.Option(False, help="Replace an existing flight record (replay)."),
    crash_safe: bool = typer.Option(False, "--crash-safe", help="Replay through the onboard pipeline: resumable, "
                                    "keeps what was recorded if interrupted."),
    queue_size: int = typer.Option(4, "--queue-size", help="Frames waiting for inference (live: newest kept)."),
    realtime_fps: float | None = typer.Option(None, "--realtime-fps", help="Live: pace a folder/video as a camera."),
    duration_s: float | None = typer.Option(None, "--duration-s", help="Live: stop after this many seconds."),
    mqtt: str | None = typer.Option(None, "--mqtt", help="Publish findings over MQTT to HOST, HOST:PORT or HOST:PORT/TOPIC."),
    no_mavlink_alerts: bool = typer.Option(False, "--no-mavlink-alerts", help="Live: no STATUSTEXT to the GCS."),
    vehicle_system_id: int | None = typer.Option(None, "--vehicle-system-id", min=1, max=255,
                                                    help="Live: the MAVLink system id of the vehicle to follow on a "
                                                         "shared link (default: the first vehicle heard)."),
    connect_timeout_s: float = typer.Option(5.0, "--connect-timeout-s", min=0.1, max=600.0,
                                            help="Live over tcp:HOST:PORT: how long a try to connect waits for an "
                                                 "answer before it is said and retried (recording goes on)."),
    time_base: str = typer.Option("auto", "--time-base", help="auto, system_time or tlog (arrival time when live)."),
    frame_clock: str = typer.Option("auto", "--frame-clock", help="Replay: the clock of the frames' times (names, "
                                    "EXIF, video start): utc, log (the computer that wrote the .tlog; mapped by "
                                    "its TIMESYNC) or auto. Live frames are always on the host clock."),
    mount_pitch_deg: float | None = typer.Option(None, "--mount-pitch-deg", help="A camera fixed to the airframe "
                                                 "(no gimbal, e.g. a fixed-wing's mapping camera): its pitch from the "
                                                 "nose in degrees, -90 straight down; it turns with the vehicle's "
                                                 "roll and pitch. Overrides gimbal angles in the log. Left out: the "
                                                 "log's gimbal, or without one a level camera along the nose."),
    video_fps: float | None = typer.Option(None, "--video-fps", help="Replay of a video: the camera's frame rate, "
                                           "timing frame k at (k - 1) / FPS after the start in the video's name "
                                           "instead of by the container (for a header that states a wrong rate)."),
    mount_yaw_deg: float = typer.Option(0.0, "--mount-yaw-deg", help="With --mount-pitch-deg: the camera's yaw "
                                        "from the nose, 90 = towards the right wing."),
) -> None:
    """Tag, segment and record frames: replay a log, or run live on the aircraft (Ctrl-C stops cleanly)."""
    from models import load_segmenter
    from onboard.telemetry.sources import is_live

    from onboard.telemetry.mount import FixedMount

    if mount_pitch_deg is None and mount_yaw_deg != 0.0:
        raise typer.BadParameter("a mount yaw needs the mount's pitch too (--mount-pitch-deg, -90 = straight "
                                 "down, 0 = level)", param_hint="--mount-yaw-deg")
    fixed_mount = FixedMount(mount_pitch_deg, mount_yaw_deg) if mount_pitch_deg is not None else None
    frames_path = Path(frames)
    mavlink = _telemetry_or_photos(mavlink, frames_path)
    live = is_live(mavlink)
    if live and not frames_path.exists():
        if camera is None:
            raise typer.BadParameter("live cameras need --camera CALIB.yaml", param_hint="--camera")
        calibration = CameraModel.load(camera)
    else:
        if not frames_path.exists():  # said first: a typo had been answered 'no camera calibration given'
            from skyinspect.errors import InputError, describe

            raise InputError(describe(frames_path, "frames folder or video not found",
                                      "Check the --frames path (a folder of images or a video file)"))
        calibration, estimated = load_calibration(frames_path, camera)
        if estimated:
            console.print(f"[yellow]warning:[/] {escape(str(estimated))}")
    segmenter = load_segmenter(model, backend=backend, flips=flips, upscale=upscale or None)
    try:
        if not live and not crash_safe:
            from onboard.replay import run_replay

            summary = run_replay(frames_path, Path(mavlink), out, segmenter, calibration, latency_s=latency_s,
                                 gap_threshold_s=gap_threshold_s, overwrite=overwrite, time_base=time_base,
                                 frame_clock=frame_clock, fixed_mount=fixed_mount, video_fps=video_fps)
            console.print(f"recorded {summary.frames} frames ({summary.tagged} tagged, {summary.untagged} untagged, "
                          f"{summary.instances} detections) at {summary.fps:.2f} frames/s into [bold]{escape(str(out))}[/]")
            return
        from onboard.ending import StopRequest, stop_on_signals
        from onboard.runtime import run_onboard

        with stop_on_signals(StopRequest()) as stop:  # SIGTERM (a service stopped) ends it as Ctrl-C does
            result = run_onboard(frames, mavlink, out, segmenter, calibration, latency_s=latency_s,
                                 gap_threshold_s=gap_threshold_s, time_base=time_base, frame_clock=frame_clock,
                                 queue_size=queue_size, realtime_fps=realtime_fps, duration_s=duration_s, mqtt=mqtt,
                                 send_mavlink_alerts=not no_mavlink_alerts, fixed_mount=fixed_mount, stop_event=stop,
                                 vehicle_system_id=vehicle_system_id, video_fps=video_fps,
                                 connect_timeout_s=connect_timeout_s)
    finally:  # the TensorRT backend's GPU buffers freed, an error included (a test double may have no close)
        getattr(segmenter, "close", lambda: None)()
    s = result.stats
    console.print(f"{result.mode} ({result.ended}): recorded {s.recorded} frames ({s.tagged} tagged, {s.untagged} untagged, "
                  f"{s.retagged} re-tagged, {s.dropped} dropped, {s.instances} detections, "
                  f"{result.alerts_severe} severe) at {s.fps:.2f} frames/s into [bold]{escape(str(out))}[/]"
                  + (f"; link reconnected {result.reconnects}x" if result.reconnects else ""))
    if s.record_errors or s.images_not_saved:  # a full disk: only a warning at its start said so
        first = next((e for e in s.errors if "not recorded" in e), "")
        lost = [f"{s.record_errors} frames NOT recorded (first: {first})"] if s.record_errors else []
        lost += ["images or masks no longer saved once the disk was full"] if s.images_not_saved else []
        console.print(f"[yellow]warning:[/] {escape('; '.join(lost))}. Free space on the --out disk", soft_wrap=True)


def _telemetry_or_photos(mavlink: str | None, frames: Path) -> str:
    """The telemetry to tag with: ``--mavlink``, or else photos that carry their own pose (DJI XMP)."""
    from onboard.telemetry.dji import is_dji_folder

    if mavlink is not None:
        return mavlink
    if is_dji_folder(frames):
        return str(frames)
    raise typer.BadParameter(f"{frames}: these frames carry no pose of their own (a folder of DJI photos with their "
                             "drone-dji XMP does); pass the flight's telemetry log or live link",
                             param_hint="--mavlink")
