"""A video timed by its container: an implausible frame rate in the header is refused, not used.

Found replaying an AVI whose header said 1000 fps: its frames were timed 1 ms apart (all at the first
pose), and one whose rate was 0 was timed at FFmpeg's default 25 fps, silently; without CAMERA_FEEDBACK
nothing else tells, and every frame got the pose of another moment."""

from __future__ import annotations

import struct
from datetime import datetime, timezone
from pathlib import Path

import cv2
import pytest
from onboard_synth import BOOT_UTC_S, flight_records, frame_image, write_tlog

from onboard.frames import open_frames
from onboard.replay import run_replay
from skyinspect.camera import CameraModel
from skyinspect.errors import InputError
from skyinspect.record import FlightRecordReader

W, H = 64, 48
CAMERA = CameraModel.from_fov(W, H, 60.0, name="synthetic")
START_UTC_S = BOOT_UTC_S + 101.0  # inside flight_records' span (boot 100..110 s)


def _video(folder: Path, fps: float, frames: int = 5, header_rate: int | None = None) -> Path:
    """An MJPG AVI named by its UTC start; ``header_rate`` rewrites the stream header's dwRate (and the
    main header's µs per frame) after writing, as a broken recorder leaves them (OpenCV refuses fps < 1)."""
    stamp = datetime.fromtimestamp(START_UTC_S, tz=timezone.utc).strftime("%Y%m%d%H%M%S")
    path = folder / f"cam{stamp}00Z.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (W, H))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write MJPG/AVI")
    for i in range(frames):
        writer.write(frame_image(i % 10))
    writer.release()
    if header_rate is not None:
        data = bytearray(path.read_bytes())
        struct.pack_into("<I", data, data.find(b"avih") + 8, 0)
        struct.pack_into("<I", data, data.find(b"strh") + 32, header_rate)
        path.write_bytes(data)
    return path


def test_a_sound_rate_times_frames_by_the_container(tmp_path: Path) -> None:
    source = open_frames(_video(tmp_path, 10.0))
    assert source.rate_problem is None
    times = [f.capture_time_utc_s for f in source]
    assert times == pytest.approx([START_UTC_S + 0.1 * i for i in range(5)], abs=1e-6)


@pytest.mark.parametrize(("fps", "header_rate", "said"), [(1000.0, None, "1000 fps"), (10.0, 0, "rate of 0")])
def test_an_implausible_rate_is_refused_with_the_fix(tmp_path: Path, segmenter, fps: float,
                                                     header_rate: int | None, said: str) -> None:
    video = _video(tmp_path, fps, header_rate=header_rate)
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records())
    with pytest.raises(InputError, match=said) as refused:
        run_replay(video, tlog, tmp_path / "record", segmenter, CAMERA, progress=False)
    assert "--video-fps 30" in str(refused.value) and "CAMERA_FEEDBACK" in str(refused.value)
    assert not (tmp_path / "record").exists()


def test_an_implausible_rate_does_not_matter_when_camera_feedback_pairs_the_frames(tmp_path: Path, segmenter) -> None:
    video = _video(tmp_path, 1000.0, frames=3)
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records(feedback_boot_s=[101.0, 102.0, 103.5]))
    summary = run_replay(video, tlog, tmp_path / "record", segmenter, CAMERA, progress=False)
    assert (summary.frames, summary.tagged, summary.capture_time_source) == (3, 3, "camera_feedback")


def _times(record: Path) -> list[float]:
    with FlightRecordReader(record) as reader:
        return [r.capture_time_utc_s for r in reader.frames()]


@pytest.mark.parametrize("header_rate", [None, 0])
def test_the_stated_video_fps_times_the_frames(tmp_path: Path, segmenter, header_rate: int | None) -> None:
    video = _video(tmp_path, 1000.0 if header_rate is None else 10.0, header_rate=header_rate)
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records())
    summary = run_replay(video, tlog, tmp_path / "record", segmenter, CAMERA, progress=False, video_fps=30.0)
    assert (summary.frames, summary.tagged) == (5, 5)
    assert _times(tmp_path / "record") == pytest.approx([START_UTC_S + i / 30.0 for i in range(5)], abs=1e-6)


@pytest.mark.parametrize("fps", [0.0, -5.0, float("nan"), 1000.0])
def test_an_implausible_video_fps_is_refused(tmp_path: Path, fps: float) -> None:
    with pytest.raises(InputError, match="video frame rate must be above 0 and at most 240 fps"):
        open_frames(_video(tmp_path, 10.0), video_fps=fps)


def test_a_video_fps_for_a_folder_of_images_is_refused(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "IMG_1.png"), frame_image(0))
    with pytest.raises(InputError, match="not a video file"):
        open_frames(tmp_path, video_fps=30.0)


@pytest.mark.parametrize("crash_safe", [False, True])
def test_cli_video_fps(tmp_path: Path, crash_safe: bool) -> None:
    """`skyinspect onboard --video-fps` reaches the frames in both replays (plain and --crash-safe)."""
    import json

    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    video = _video(tmp_path, 1000.0)
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records())
    calib = tmp_path / "camera.json"
    calib.write_text(json.dumps(CAMERA.to_dict()))
    args = ["onboard", "--frames", str(video), "--mavlink", str(tlog), "--camera", str(calib)]
    args += ["--crash-safe"] if crash_safe else []
    refused = CliRunner().invoke(app, args + ["--out", str(tmp_path / "refused")])
    assert refused.exit_code == 2 and not (tmp_path / "refused" / "record.sqlite").exists()
    r = CliRunner().invoke(app, args + ["--out", str(tmp_path / "record"), "--video-fps", "25"])
    assert r.exit_code == 0, r.output
    assert _times(tmp_path / "record") == pytest.approx([START_UTC_S + i / 25.0 for i in range(5)], abs=1e-6)
