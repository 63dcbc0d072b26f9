"""PX4's photo messages over MAVLink: CAMERA_IMAGE_CAPTURED in a .tlog (synthetic, pymavlink's encoder).

No real PX4 .tlog is in shared/data (px4_real holds a .ulg without camera_capture), so the log is built
as PX4's CAMERA_IMAGE_CAPTURED stream fills the message from its camera_capture topic: time_utc (µs
UTC), time_boot_ms, lat/lon 1e-7 deg, alt mm MSL, relative_alt = ground_distance (-1 m without a
terrain estimate), q = the vehicle's attitude at the trigger, image_index = seq (from 0).
"""

from __future__ import annotations

import math
from pathlib import Path

from onboard_helpers import make_frames
from onboard_synth import ALT0, BOOT_UTC_S, LAT0, LON0, M_PER_DEG_LAT, SPEED_N_MPS, flight_records, write_tlog
from pymavlink.dialects.v20 import ardupilotmega as m

from onboard.replay import plan_replay
from onboard.telemetry.rotations import euler_to_quaternion

SHOTS_BOOT_S = (101.0, 102.0, 103.0, 104.0)  # vehicle boot s of each photo; the synthetic flight starts at 100


def _px4_tlog(path: Path) -> Path:
    records = flight_records(duration_s=6.0, gimbal_pitch_deg=None)
    q = [float(c) for c in euler_to_quaternion(2.0, -3.0, 0.0)]  # what flight_records flies
    for seq, tb in enumerate(SHOTS_BOOT_S):
        lat = LAT0 + SPEED_N_MPS * (tb - 100.0) / M_PER_DEG_LAT
        records.append((BOOT_UTC_S + tb + 0.3, m.MAVLink_camera_image_captured_message(
            round(tb * 1000), round((BOOT_UTC_S + tb) * 1e6), 1, round(lat * 1e7), round(LON0 * 1e7),
            round(ALT0 * 1000), -1000, q, seq, 1, b"")))
    records.sort(key=lambda r: r[0])
    return write_tlog(path, records)


def test_px4_camera_image_captured_gives_each_frame_its_photo_pose(tmp_path: Path) -> None:
    # Before: CAMERA_IMAGE_CAPTURED was not read, so a PX4 flight's photos (named IMG_n, no times) were
    # refused: 'cannot assign capture times to 4 frames: CAMERA_FEEDBACK ... has none'.
    tlog = _px4_tlog(tmp_path / "px4.tlog")
    frames = make_frames(tmp_path / "cam", len(SHOTS_BOOT_S))
    plan = plan_replay(frames, tlog)
    assert plan.capture_time_source == "camera_feedback"
    assert sorted(plan.events) == [1, 2, 3, 4]
    for n, tb in enumerate(SHOTS_BOOT_S, start=1):
        pose = plan.buffer.pose_for_event(plan.events[n])
        assert pose.is_tagged, pose.status
        assert abs(pose.time_utc_s - (BOOT_UTC_S + tb)) < 1e-3
        north_m = (pose.lat_deg - LAT0) * M_PER_DEG_LAT
        assert abs(north_m - SPEED_N_MPS * (tb - 100.0)) < 0.02
        assert abs(pose.roll_deg - 2.0) < 1e-3 and abs(pose.pitch_deg + 3.0) < 1e-3
        assert abs(pose.alt_msl_m - ALT0) < 1e-3
        # above home as GLOBAL_POSITION_INT's relative_alt (20 m), not PX4's ground_distance of -1 m
        assert math.isclose(pose.alt_rel_m, 20.0, abs_tol=1e-3)
