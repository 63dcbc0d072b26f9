import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyinspect.pose import (GimbalFrame, Pose, euler_zyx_to_matrix, matrix_to_euler_zyx,
                             quaternion_to_matrix)

NORTH, EAST, DOWN = np.eye(3)


def _pose(**kw: float | GimbalFrame) -> Pose:
    base = dict(time_utc_s=0.0, lat_deg=47.0, lon_deg=8.0, alt_msl_m=500.0, alt_rel_m=10.0,
                roll_deg=0.0, pitch_deg=0.0, yaw_deg=0.0)
    base.update(kw)
    return Pose(**base)  # type: ignore[arg-type]


def test_level_camera_looks_along_heading() -> None:
    optical_axis = np.array([0.0, 0.0, 1.0])
    assert _pose(yaw_deg=90.0).r_ned_cam() @ optical_axis == pytest.approx(EAST, abs=1e-12)
    # image "down" (y) is world down for a level camera; image right (x) is south when facing east
    r = _pose(yaw_deg=90.0).r_ned_cam()
    assert r @ np.array([0.0, 1.0, 0.0]) == pytest.approx(DOWN, abs=1e-12)
    assert r @ np.array([1.0, 0.0, 0.0]) == pytest.approx(-NORTH, abs=1e-12)


def test_nadir_gimbal_looks_down_regardless_of_vehicle_tilt_when_earth_stabilised() -> None:
    pose = _pose(roll_deg=7.0, pitch_deg=-5.0, yaw_deg=30.0, gimbal_pitch_deg=-90.0,
                 gimbal_frame=GimbalFrame.VEHICLE_YAW)
    assert pose.r_ned_cam() @ np.array([0.0, 0.0, 1.0]) == pytest.approx(DOWN, abs=1e-12)


def test_body_fixed_camera_follows_vehicle_pitch() -> None:
    pose = _pose(pitch_deg=-10.0, gimbal_frame=GimbalFrame.BODY)
    axis = pose.r_ned_cam() @ np.array([0.0, 0.0, 1.0])
    assert np.degrees(np.arcsin(-axis[2])) == pytest.approx(-10.0)


def test_earth_and_vehicle_yaw_frames_agree() -> None:
    earth = _pose(yaw_deg=40.0, gimbal_yaw_deg=70.0, gimbal_pitch_deg=-20.0, gimbal_frame=GimbalFrame.EARTH)
    vehicle = _pose(yaw_deg=40.0, gimbal_yaw_deg=30.0, gimbal_pitch_deg=-20.0,
                    gimbal_frame=GimbalFrame.VEHICLE_YAW)
    assert earth.r_ned_cam() == pytest.approx(vehicle.r_ned_cam())


@settings(max_examples=200)
@given(roll=st.floats(-80, 80), pitch=st.floats(-85, 85), yaw=st.floats(0, 359.99))
def test_euler_round_trip(roll: float, pitch: float, yaw: float) -> None:
    r = euler_zyx_to_matrix(roll, pitch, yaw)
    assert r @ r.T == pytest.approx(np.eye(3), abs=1e-12)
    back = matrix_to_euler_zyx(r)
    assert back[0] == pytest.approx(roll, abs=1e-7)
    assert back[1] == pytest.approx(pitch, abs=1e-7)
    assert (back[2] - yaw + 180) % 360 - 180 == pytest.approx(0, abs=1e-7)


def test_quaternion_matches_euler() -> None:
    half = np.radians(90.0) / 2  # yaw 90 deg about z
    assert quaternion_to_matrix(np.cos(half), 0, 0, np.sin(half)) == pytest.approx(
        euler_zyx_to_matrix(0, 0, 90), abs=1e-12)


def test_untagged_pose_carries_reason() -> None:
    pose = Pose.untagged(12.5, "telemetry gap 4.2 s")
    assert not pose.is_tagged and "gap" in pose.status


def test_yaw_never_reported_as_360() -> None:
    r = euler_zyx_to_matrix(0.0, 0.0, -1e-15)
    assert 0.0 <= matrix_to_euler_zyx(r)[2] < 360.0
