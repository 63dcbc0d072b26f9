"""A telemetry sample whose angles are NaN (a DataFlash row read through a corrupt FMT, an autopilot
that sends NaN while its estimate is not ready) is dropped with one warning; the frames beside it are
tagged from its neighbours. Before, one such ATTITUDE refused the whole replay ('frame 2: ValueError:
quaternion [nan nan nan nan] has no direction') and nothing was recorded."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import cv2
import pytest
from onboard_synth import BOOT_UTC_S, flight_records, frame_image, utc_frame_name, write_tlog
from pymavlink.dialects.v20 import ardupilotmega as m

from onboard.replay import run_replay
from onboard.telemetry import TelemetryBuffer
from skyinspect.camera import CameraModel

NAN = float("nan")


def _with_nan_at(records: list, kind: str, boot_s: float, bad: float = NAN) -> list:
    """``records`` with the ``kind`` message of boot time ``boot_s`` given NaN (``bad``) angles."""
    out = []
    for t, msg in records:
        if msg.get_type() == kind and msg.time_boot_ms == round(boot_s * 1000):
            if kind == "ATTITUDE":
                msg = m.MAVLink_attitude_message(msg.time_boot_ms, NAN, NAN, NAN, 0.0, 0.0, 0.0)
            elif kind == "ATTITUDE_QUATERNION":
                msg = m.MAVLink_attitude_quaternion_message(msg.time_boot_ms, bad, bad, bad, bad, 0.0, 0.0, 0.0,
                                                            [0.0, 0.0, 0.0, 0.0])
            else:
                msg = m.MAVLink_mount_orientation_message(msg.time_boot_ms, NAN, NAN, NAN, NAN)
        out.append((t, msg))
    return out


def test_a_nan_attitude_in_a_tlog_is_dropped_and_every_frame_recorded_tagged(
        tmp_path: Path, segmenter, caplog: pytest.LogCaptureFixture) -> None:
    tlog = write_tlog(tmp_path / "flight.tlog", _with_nan_at(flight_records(), "ATTITUDE", 103.0))
    frames = tmp_path / "frames"
    frames.mkdir()
    for i, tb in enumerate([101.55, 103.05, 104.55]):  # the second between the NaN sample and the next
        cv2.imwrite(str(frames / utc_frame_name(BOOT_UTC_S + tb)), frame_image(i))
    with caplog.at_level(logging.WARNING):
        summary = run_replay(frames, tlog, tmp_path / "record", segmenter, CameraModel.from_fov(64, 48, 60.0),
                             progress=False)
    assert (summary.frames, summary.tagged) == (3, 3)
    assert "1 ATTITUDE message(s) with NaN or infinite angles" in caplog.text


def _buffer_with_mount(tmp_path: Path, nan_boot_s: float) -> TelemetryBuffer:
    recs = flight_records(gimbal_pitch_deg=None)
    for k in range(101):  # a gimbal pointing straight down at 10 Hz, as ArduPilot's MOUNT_ORIENTATION
        tb = 100.0 + k / 10
        recs.append((BOOT_UTC_S + tb + 0.2, m.MAVLink_mount_orientation_message(round(tb * 1000), 0.0, -90.0,
                                                                                0.0, 0.0)))
    recs.sort(key=lambda r: r[0])
    return TelemetryBuffer(_with_nan_at(recs, "MOUNT_ORIENTATION", nan_boot_s), tmp_path / "x.tlog")


def test_a_nan_gimbal_sample_is_dropped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        buffer = _buffer_with_mount(tmp_path, 103.0)
    pose = buffer.pose_at(BOOT_UTC_S + 103.05)
    assert pose.is_tagged and pose.gimbal_pitch_deg == pytest.approx(-90.0)
    assert all(math.isfinite(v) for v in (pose.roll_deg, pose.pitch_deg, pose.yaw_deg))
    assert "1 MOUNT_ORIENTATION message(s) with NaN or infinite angles" in caplog.text


@pytest.mark.parametrize("bad", [NAN, 0.0], ids=["nan", "all_zero"])
def test_a_nan_or_zero_attitude_quaternion_is_dropped(tmp_path: Path, bad: float) -> None:
    from onboard.telemetry.rotations import euler_to_quaternion

    recs = []
    for t, msg in flight_records():
        if msg.get_type() == "ATTITUDE":  # the quaternion stream alone, as some PX4 links send it
            q = euler_to_quaternion(2.0, -3.0, 0.0)
            msg = m.MAVLink_attitude_quaternion_message(msg.time_boot_ms, *map(float, q), 0.0, 0.0, 0.0,
                                                        [0.0, 0.0, 0.0, 0.0])
        recs.append((t, msg))
    buffer = TelemetryBuffer(_with_nan_at(recs, "ATTITUDE_QUATERNION", 103.0, bad), tmp_path / "x.tlog")
    pose = buffer.pose_at(BOOT_UTC_S + 103.05)
    assert pose.is_tagged and pose.roll_deg == pytest.approx(2.0) and pose.pitch_deg == pytest.approx(-3.0)


def test_a_camera_feedback_with_nan_attitude_or_height_is_untagged_with_its_reason(tmp_path: Path, segmenter) -> None:
    """CAMERA_FEEDBACK carries the photo's own pose: with a NaN angle or height (a DataFlash CAM row read
    through a corrupt FMT) the frame had been recorded 'tagged' with that NaN, counted as tagged, and the
    ground station then called it 'pose has non-finite position or attitude'. Now it is untagged, saying why."""
    recs = []
    for t, msg in flight_records(feedback_boot_s=[101.0, 102.0, 103.5]):
        if msg.get_type() == "CAMERA_FEEDBACK" and msg.img_idx in (2, 3):
            fields = {"roll": NAN} if msg.img_idx == 2 else {"alt_msl": NAN}
            msg = m.MAVLink_camera_feedback_message(**{**{f: getattr(msg, f) for f in msg.get_fieldnames()},
                                                       **fields})
        recs.append((t, msg))
    tlog = write_tlog(tmp_path / "flight.tlog", recs)
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"IMG_{i + 1}.png"), frame_image(i))
    summary = run_replay(frames, tlog, tmp_path / "record", segmenter, CameraModel.from_fov(64, 48, 60.0),
                         progress=False)
    assert (summary.frames, summary.tagged, summary.untagged) == (3, 1, 2)
    from skyinspect.record import FlightRecordReader

    with FlightRecordReader(tmp_path / "record") as reader:
        poses = [r.pose for r in reader.frames()]
    assert poses[0].is_tagged and all(math.isfinite(v) for v in (poses[0].roll_deg, poses[0].alt_msl_m))
    assert "img_idx 2" in poses[1].status and "roll" in poses[1].status
    assert "img_idx 3" in poses[2].status and "alt_msl" in poses[2].status
