"""A camera fixed to the airframe (``--mount-pitch-deg``): tagged in the body frame, turning with the
vehicle, instead of the level forward-looking default of a log without gimbal attitude."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from onboard_synth import flight_records, write_tlog
from typer.testing import CliRunner

from onboard.replay import run_replay
from onboard.telemetry.buffer import TelemetryBuffer
from onboard.telemetry.mount import FixedMount
from skyinspect.camera import CameraModel
from skyinspect.cli.main import app
from skyinspect.errors import InputError
from skyinspect.pose import GimbalFrame
from skyinspect.record import FlightRecordReader

CAMERA = CameraModel.from_fov(64, 48, 60.0, name="synthetic")
DOWN = np.array([0.0, 0.0, 1.0])


def _axis(pose) -> np.ndarray:  # noqa: ANN001 - a Pose
    return pose.r_ned_cam() @ np.array([0.0, 0.0, 1.0])  # the optical axis (camera z) in NED


def test_a_log_without_gimbal_is_level_forward_and_a_fixed_nadir_mount_looks_down_with_the_airframe() -> None:
    records = flight_records(gimbal_pitch_deg=None)  # the vehicle rolls 2 deg and pitches -3 deg
    level = TelemetryBuffer(records).pose_at(TelemetryBuffer(records).span_utc_s[0] + 2.0)
    assert abs(_axis(level)[2]) < 1e-9  # the default: horizontal, along the nose

    buffer = TelemetryBuffer(records, fixed_mount=FixedMount(pitch_deg=-90.0))
    pose = buffer.pose_at(buffer.span_utc_s[0] + 2.0)
    assert (pose.gimbal_pitch_deg, pose.gimbal_frame) == (-90.0, GimbalFrame.BODY)
    axis = _axis(pose)
    # fixed to the body, the camera leans with the vehicle's 2 deg roll and 3 deg pitch: about 3.6 deg
    # off the vertical, not exactly down as a stabilised gimbal would be
    off_vertical_deg = math.degrees(math.acos(float(axis @ DOWN)))
    assert off_vertical_deg == pytest.approx(math.degrees(math.acos(math.cos(math.radians(2)) *
                                                                    math.cos(math.radians(3)))), abs=1e-6)
    assert buffer.describe_time_base()["gimbal_source"] == "fixed mount (command line)"


def test_a_fixed_mount_turned_to_the_right_wing_looks_east_when_flying_north() -> None:
    buffer = TelemetryBuffer(flight_records(gimbal_pitch_deg=None), fixed_mount=FixedMount(pitch_deg=0.0, yaw_deg=90.0))
    axis = _axis(buffer.pose_at(buffer.span_utc_s[0] + 2.0))
    assert axis[1] > 0.99  # NED: east


@pytest.mark.parametrize("kwargs", [{"pitch_deg": -120.0}, {"pitch_deg": math.nan}, {"pitch_deg": 0.0, "yaw_deg": 400.0}])
def test_a_mount_off_its_range_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(InputError, match="camera mount"):
        FixedMount(**kwargs)


def test_replay_records_the_mount_and_says_the_logs_gimbal_is_ignored(tmp_path: Path, segmenter,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records(feedback_boot_s=[101.0, 102.0]))  # gimbal at -90
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(2):
        cv2.imwrite(str(frames / f"IMG_{i + 1}.png"), np.full((48, 64, 3), 200, np.uint8))
    with caplog.at_level(logging.WARNING):
        run_replay(frames, tlog, tmp_path / "rec", segmenter, CAMERA, progress=False,
                   fixed_mount=FixedMount(pitch_deg=-45.0))
    assert "gimbal attitude (GIMBAL_DEVICE_ATTITUDE_STATUS), which is ignored" in caplog.text
    with FlightRecordReader(tmp_path / "rec") as reader:
        poses = [r.pose for r in reader.frames()]
        assert reader.meta_json("camera_mount")["pitch_deg"] == -45.0
    assert [(p.gimbal_pitch_deg, p.gimbal_frame) for p in poses] == [(-45.0, GimbalFrame.BODY)] * 2


def test_cli_refuses_a_mount_yaw_without_its_pitch_and_a_mount_off_its_range(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["onboard", "--frames", str(tmp_path), "--mavlink", str(tmp_path / "x.tlog"), "--out", str(tmp_path / "o")]
    for extra, words in ((["--mount-yaw-deg", "90"], "needs the mount's pitch"),
                         (["--mount-pitch-deg", "-180"], "expected degrees in [-90, 90]")):
        result = runner.invoke(app, base + extra)
        assert result.exit_code == 2, result.output
        assert words in " ".join(result.output.split())
        assert not (tmp_path / "o").exists()


def test_the_crash_safe_pipeline_tags_with_the_mount_too(tmp_path: Path, segmenter) -> None:
    from onboard.runtime import run_onboard

    tlog = write_tlog(tmp_path / "flight.tlog", flight_records(feedback_boot_s=[101.0, 102.0], gimbal_pitch_deg=None))
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(2):
        cv2.imwrite(str(frames / f"IMG_{i + 1}.png"), np.full((48, 64, 3), 200, np.uint8))
    run_onboard(frames, tlog, tmp_path / "rec", segmenter, CAMERA, fixed_mount=FixedMount(pitch_deg=-90.0))
    with FlightRecordReader(tmp_path / "rec") as reader:
        poses = [r.pose for r in reader.frames()]
        assert reader.meta_json("camera_mount")["kind"] == "fixed to the airframe"
    assert [(p.gimbal_pitch_deg, p.gimbal_frame) for p in poses] == [(-90.0, GimbalFrame.BODY)] * 2
