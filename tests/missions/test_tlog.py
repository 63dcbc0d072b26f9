"""The simulator's .tlog writer: records parse back with pymavlink's MAVLink parser."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymavlink.dialects.v20 import ardupilotmega as mavlink2

from skyinspect.errors import TelemetryError
from skyinspect.pose import euler_zyx_to_matrix, quaternion_to_matrix

from missions.simulator.config import SimConfig
from missions.simulator.flight import plan_flight
from missions.simulator.scene import face_frame
from missions.simulator.tlog import GIMBAL_FLAGS, TlogWriter, euler_to_quaternion, read_tlog, write_flight_tlog


@given(st.floats(-180, 180), st.floats(-89, 89), st.floats(0, 360))
def test_euler_to_quaternion_matches_pose_convention(roll: float, pitch: float, yaw: float) -> None:
    q = euler_to_quaternion(roll, pitch, yaw)
    assert math.isclose(sum(x * x for x in q), 1.0, rel_tol=1e-9)
    np.testing.assert_allclose(quaternion_to_matrix(*q), euler_zyx_to_matrix(roll, pitch, yaw), atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2**53), st.integers(-900_000_000, 900_000_000),
                          st.integers(-1_800_000_000, 1_800_000_000), st.integers(-1_000_000, 10_000_000)),
                min_size=1, max_size=20))
def test_records_round_trip(tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[int, int, int, int]]) -> None:
    path = tmp_path_factory.mktemp("tlog") / "x.tlog"
    w = TlogWriter()
    for usec, lat, lon, alt in rows:
        w.add(usec, mavlink2.MAVLink_global_position_int_message(usec // 1000 % 2**32, lat, lon, alt, 0, 0, 0, 0, 0))
    w.write(path)
    back = read_tlog(path)
    expected = sorted(rows, key=lambda r: r[0])  # the writer sorts stably by time
    assert [(t, m.lat, m.lon, m.alt) for t, m in back] == [(u, a, b, c) for u, a, b, c in expected]
    assert [m.get_seq() for _, m in back] == [i % 256 for i in range(len(rows))]


def test_flight_tlog_streams_and_feedback(tmp_path: Path) -> None:
    config = SimConfig.small()
    plan = plan_flight(config)
    frame = face_frame()
    poses = [plan.pose_at(c.t_s, frame) for c in plan.captures]
    counts = write_flight_tlog(tmp_path / "f.tlog", plan, frame, poses)
    msgs = read_tlog(tmp_path / "f.tlog")
    by_type: dict[str, list] = {}
    for t, m in msgs:
        by_type.setdefault(m.get_type(), []).append((t, m))
    assert {k: len(v) for k, v in by_type.items()} == counts
    times = [t for t, _ in msgs]
    assert times == sorted(times)
    n10 = len(by_type["GLOBAL_POSITION_INT"])
    assert n10 == len(by_type["ATTITUDE"]) == len(by_type["GIMBAL_DEVICE_ATTITUDE_STATUS"])
    assert abs(n10 / 10.0 - plan.duration_s) <= 0.1
    assert len(by_type["GPS_RAW_INT"]) == (n10 + 1) // 2
    assert len(by_type["SYSTEM_TIME"]) == (n10 + 9) // 10
    # Clocks: time_boot_ms = UTC - boot moment, and SYSTEM_TIME ties them together.
    boot_usec = round((config.start_utc_s - config.boot_before_start_s) * 1e6)
    for t, m in by_type["SYSTEM_TIME"]:
        assert m.time_unix_usec == t and m.time_boot_ms == (t - boot_usec) // 1000
    for _, m in by_type["GIMBAL_DEVICE_ATTITUDE_STATUS"]:
        assert m.flags == GIMBAL_FLAGS and m.flags & mavlink2.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME
        assert math.isnan(m.angular_velocity_x)
        # Sent by the autopilot component (the gimbal manager), so the MAVLink spec wants the device
        # numbered 1-6 (0 only from a separate gimbal component); ArduPilot's SITL facade log sends 1.
        assert m.get_srcComponent() == mavlink2.MAV_COMP_ID_AUTOPILOT1 and m.gimbal_device_id == 1
    fb = [m for _, m in by_type["CAMERA_FEEDBACK"]]
    assert [m.img_idx for m in fb] == list(range(1, len(plan.captures) + 1))
    assert [m.completed_captures for m in fb] == [m.img_idx for m in fb]
    # CAMERA_FEEDBACK equals the simulator's poses to < 1 cm (positions) and float32 (angles).
    for m, pose in zip(fb, poses):
        assert m.time_usec == round(pose.time_utc_s * 1e6)
        ned = frame.to_ned(m.lat / 1e7, m.lng / 1e7, m.alt_msl) - frame.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m)
        assert float(np.linalg.norm(ned)) < 0.01
        assert abs(m.alt_rel - pose.alt_rel_m) < 1e-3
        assert (m.roll, m.pitch, m.yaw) == pytest.approx((pose.roll_deg, pose.pitch_deg, pose.yaw_deg), abs=1e-4)
    # ATTITUDE yaw is in radians, wrapped to (-pi, pi]; heading ~090.
    for _, m in by_type["ATTITUDE"]:
        assert abs(math.degrees(m.yaw) - 90.0) < 1.0 and abs(math.degrees(m.roll)) < 5.0


def test_read_tlog_rejects_garbage(tmp_path: Path) -> None:
    p = tmp_path / "bad.tlog"
    p.write_bytes(struct.pack(">Q", 1) + b"\x00" * 20)
    with pytest.raises(TelemetryError, match="bad.tlog"):
        read_tlog(p)


def test_gnss_error_is_logged_per_lane_and_frames_stay_true(tmp_path: Path) -> None:
    """SimConfig.gnss_error_m: CAMERA_FEEDBACK and GLOBAL_POSITION_INT carry one error per lane
    (blended between lanes), GPS_RAW_INT states the sigma; the rendering poses are untouched."""
    from dataclasses import replace

    from missions.simulator.flight import gnss_error_ned

    config = replace(SimConfig(), gnss_error_m=0.5, rtk=False)
    plan = plan_flight(config)
    frame = face_frame()
    poses = [plan.pose_at(c.t_s, frame) for c in plan.captures]
    write_flight_tlog(tmp_path / "g.tlog", plan, frame, poses)
    msgs = read_tlog(tmp_path / "g.tlog")
    fb = [m for _, m in msgs if m.get_type() == "CAMERA_FEEDBACK"]
    errs = {}
    for m, cap, pose in zip(fb, plan.captures, poses):
        err = frame.to_ned(m.lat / 1e7, m.lng / 1e7, m.alt_msl).reshape(3) - \
            frame.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m).reshape(3)
        np.testing.assert_allclose(err, gnss_error_ned(plan, cap.t_s), atol=0.01)
        errs.setdefault(cap.lane, []).append(err)
    per_lane = [np.mean(v, axis=0) for v in errs.values()]
    assert all(np.ptp(v, axis=0).max() < 0.01 for v in errs.values())  # constant within a lane
    assert min(np.linalg.norm(a - b) for i, a in enumerate(per_lane) for b in per_lane[i + 1:]) > 0.05
    assert 0.1 < float(np.std(np.concatenate(per_lane))) < 1.5
    raw = [m for _, m in msgs if m.get_type() == "GPS_RAW_INT"]
    assert {m.h_acc for m in raw} == {500} and {m.v_acc for m in raw} == {750}
    # between two lanes the error moves smoothly from one lane's to the next
    t_end = max(c.t_s for c in plan.captures if c.lane == 1)
    t_next = min(c.t_s for c in plan.captures if c.lane == 2)
    mid = gnss_error_ned(plan, (t_end + t_next) / 2)
    np.testing.assert_allclose(mid, (gnss_error_ned(plan, t_end) + gnss_error_ned(plan, t_next)) / 2, atol=1e-9)
    assert gnss_error_ned(plan_flight(SimConfig()), 10.0).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(Exception, match="gnss_error_m >= 0"):
        replace(SimConfig(), gnss_error_m=-1.0)
