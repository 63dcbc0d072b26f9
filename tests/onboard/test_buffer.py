"""Pose interpolation against real logs (numbers from verification.txt / pose_at_frames.csv)."""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path

import numpy as np
import pytest
from onboard_helpers import PLANE_DIR
from onboard_synth import BOOT_UTC_S, flight_records, write_tlog

from onboard.telemetry import TelemetryBuffer
from onboard.telemetry.rotations import euler_to_quaternion, quaternion_to_euler, slerp
from skyinspect.errors import TelemetryError
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import GimbalFrame, Pose


def _horizontal_m(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    ned = LocalFrame(a_lat, a_lon, 0.0).to_ned(b_lat, b_lon, 0.0)
    return float(math.hypot(ned[0], ned[1]))


def _dyaw(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


# --- real ArduCopter SITL facade log ------------------------------------------------------------
def test_facade_time_base_and_events(facade_buffer: TelemetryBuffer) -> None:
    info = facade_buffer.describe_time_base()
    assert info["time_base"] == "system_time"
    # verification.txt: unix_ms - boot_ms offset median 1795429310827.5 ms
    assert info["boot_to_utc_s"] == pytest.approx(1795429310.8275, abs=0.002)
    events = facade_buffer.camera_events()
    assert [e.img_idx for e in events] == list(range(1, 58))
    assert events[0].lat_deg == pytest.approx(47.3977421) and events[0].yaw_deg == pytest.approx(90.39, abs=0.01)


def test_facade_feedback_agrees_with_interpolation(facade_buffer: TelemetryBuffer) -> None:
    """verification.txt: |horizontal| median 0.004 max 0.011 m; |alt_rel| max 0.009 m; attitude max 0.005°."""
    dh, drel, datt = [], [], []
    for event in facade_buffer.camera_events():
        fb = facade_buffer.pose_for_event(event)
        ip = facade_buffer.pose_at(event.time_utc_s)
        assert fb.is_tagged and ip.is_tagged and fb.source == "camera_feedback"
        assert (fb.lat_deg, fb.lon_deg, fb.alt_msl_m) == (event.lat_deg, event.lon_deg, event.alt_msl_m)
        dh.append(_horizontal_m(fb.lat_deg, fb.lon_deg, ip.lat_deg, ip.lon_deg))
        drel.append(abs(fb.alt_rel_m - ip.alt_rel_m))
        datt.append(max(abs(fb.roll_deg - ip.roll_deg), abs(fb.pitch_deg - ip.pitch_deg), _dyaw(fb.yaw_deg, ip.yaw_deg)))
        assert fb.fix_type >= 3 and math.isfinite(fb.h_acc_m)
    assert np.median(dh) < 0.006 and max(dh) < 0.03
    assert max(drel) < 0.02
    assert max(datt) < 0.02


def test_facade_gimbal_per_lane(facade_buffer: TelemetryBuffer) -> None:
    """README: gimbal pitch 0 / -3 / -7 / -10° on lanes 1-4 (photos 1-15, ..., 43-57); yaw in vehicle frame."""
    poses = {e.img_idx: facade_buffer.pose_for_event(e) for e in facade_buffer.camera_events()}
    assert poses[1].gimbal_frame is GimbalFrame.VEHICLE_YAW
    assert poses[1].gimbal_pitch_deg == pytest.approx(0.0, abs=0.05)
    assert poses[57].gimbal_pitch_deg == pytest.approx(-10.0, abs=0.05)
    assert poses[31].gimbal_pitch_deg == pytest.approx(-7.0, abs=0.05)


# --- real ArduPlane 2016 log (cuav) -------------------------------------------------------------
def _plane_rows() -> list[dict[str, str]]:
    with open(PLANE_DIR / "pose_at_frames.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def plane_buffer() -> TelemetryBuffer:
    # The frames were stamped by the companion that wrote the .tlog; this vehicle's SYSTEM_TIME is
    # 67 days off, so the .tlog clock is the one that matches (replay picks it automatically).
    return TelemetryBuffer.from_tlog(PLANE_DIR / "flight_window.tlog", time_base="tlog")


def test_plane_csv_reproduced_at_its_sample_times(plane_buffer: TelemetryBuffer) -> None:
    """The CSV holds the nearest GLOBAL_POSITION_INT / ATTITUDE (dt_pos_s, dt_att_s from the frame):
    interpolating at those times must give its values to their rounding (1e-7° ≈ 1 cm, 1 ms)."""
    for row in _plane_rows():
        t = float(row["img_utc"])
        pos = plane_buffer.pose_at(t + float(row["dt_pos_s"]))
        att = plane_buffer.pose_at(t + float(row["dt_att_s"]))
        assert _horizontal_m(float(row["lat"]), float(row["lon"]), pos.lat_deg, pos.lon_deg) < 0.01
        assert pos.alt_rel_m == pytest.approx(float(row["rel_alt_m"]), abs=0.002)
        assert att.roll_deg == pytest.approx(float(row["roll_deg"]), abs=0.002)
        assert att.pitch_deg == pytest.approx(float(row["pitch_deg"]), abs=0.002)
        assert _dyaw(att.yaw_deg, float(row["yaw_deg"])) < 0.002


def test_plane_csv_at_frame_times(plane_buffer: TelemetryBuffer) -> None:
    """At the frame time itself we interpolate while the CSV holds the nearest sample (up to 0.27 s
    away at ~10 m/s): measured 0.86 / 0.07 / 0.45 m, ≤ 0.26 m alt, ≤ 1.1° roll, ≤ 2.1° yaw."""
    for row in _plane_rows():
        pose = plane_buffer.pose_at(float(row["img_utc"]))
        assert pose.is_tagged and pose.source == "interpolated"
        assert _horizontal_m(float(row["lat"]), float(row["lon"]), pose.lat_deg, pose.lon_deg) < 1.0
        assert abs(pose.alt_rel_m - float(row["rel_alt_m"])) < 0.3
        assert abs(pose.roll_deg - float(row["roll_deg"])) < 1.5
        assert _dyaw(pose.yaw_deg, float(row["yaw_deg"])) < 2.5
        assert pose.fix_type == 3 or pose.fix_type >= 3
        assert pose.h_acc_m == pytest.approx(0.8 * 3.0, abs=0.5)  # no h_acc in this log: HDOP x UERE


# --- synthetic logs (pymavlink encoder) ---------------------------------------------------------
def _buffer(tmp_path: Path, **kwargs) -> TelemetryBuffer:
    opts = {k: kwargs.pop(k) for k in ("latency_s", "gap_threshold_s", "time_base") if k in kwargs}
    return TelemetryBuffer.from_tlog(write_tlog(tmp_path / "synthetic.tlog", flight_records(**kwargs)), **opts)


def test_slerp_across_yaw_wrap(tmp_path: Path) -> None:
    # yaw steps 359 → 1° between samples 0.1 s apart: halfway must be 0°, never 180°
    buffer = _buffer(tmp_path, yaw_deg=lambda tb: 359.0 if round(tb * 10) % 2 == 0 else 1.0)
    pose = buffer.pose_at(BOOT_UTC_S + 100.05)
    assert _dyaw(pose.yaw_deg, 0.0) < 1e-4  # float32 radians on the wire
    q = slerp(euler_to_quaternion(0, 0, 359), euler_to_quaternion(0, 0, 1), 0.25)
    assert quaternion_to_euler(q)[2] == pytest.approx(359.5)


def test_position_interpolated_linearly(tmp_path: Path) -> None:
    buffer = _buffer(tmp_path)
    a, b = buffer.pose_at(BOOT_UTC_S + 101.0), buffer.pose_at(BOOT_UTC_S + 101.1)
    mid = buffer.pose_at(BOOT_UTC_S + 101.05)
    ned = buffer.local_frame.to_ned(np.array([a.lat_deg, mid.lat_deg, b.lat_deg]), np.full(3, mid.lon_deg), np.full(3, 500.0))
    assert ned[1, 0] - ned[0, 0] == pytest.approx(ned[2, 0] - ned[1, 0], abs=1e-4)
    assert mid.roll_deg == pytest.approx(2.0) and mid.pitch_deg == pytest.approx(-3.0)
    assert mid.gimbal_pitch_deg == pytest.approx(-90.0) and mid.fix_type == 3 and mid.h_acc_m == pytest.approx(1.5)


def test_gap_and_outside_give_untagged(tmp_path: Path) -> None:
    buffer = _buffer(tmp_path, gap=(103.0, 106.0))
    inside_gap = buffer.pose_at(BOOT_UTC_S + 104.5)
    assert not inside_gap.is_tagged and "gap" in inside_gap.status and math.isnan(inside_gap.lat_deg)
    assert isinstance(inside_gap, Pose) and inside_gap.time_utc_s == BOOT_UTC_S + 104.5
    before = buffer.pose_at(BOOT_UTC_S + 50.0)
    assert not before.is_tagged and "before the first GLOBAL_POSITION_INT" in before.status
    assert buffer.pose_at(BOOT_UTC_S + 102.0).is_tagged
    wide = _buffer(tmp_path, gap=(103.0, 106.0), gap_threshold_s=5.0)
    assert wide.pose_at(BOOT_UTC_S + 104.5).is_tagged


def test_latency_shifts_the_sample_time(tmp_path: Path) -> None:
    plain, late = _buffer(tmp_path), _buffer(tmp_path, latency_s=0.5)
    assert late.pose_at(BOOT_UTC_S + 102.0).lat_deg == pytest.approx(plain.pose_at(BOOT_UTC_S + 102.5).lat_deg)
    assert late.pose_at(BOOT_UTC_S + 102.0).time_utc_s == pytest.approx(BOOT_UTC_S + 102.5)


def test_without_system_time_falls_back_to_tlog_clock(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        buffer = _buffer(tmp_path, system_time=False)
    assert buffer.time_base == "tlog" and "SYSTEM_TIME" in caplog.text
    # the synthetic tlog clock runs 0.2 s ahead of UTC
    assert buffer.span_utc_s[0] == pytest.approx(BOOT_UTC_S + 100.2, abs=1e-3)
    with pytest.raises(TelemetryError, match="SYSTEM_TIME"):
        _buffer(tmp_path, system_time=False, time_base="system_time")


def test_no_position_is_a_clear_error(tmp_path: Path) -> None:
    records = [r for r in flight_records() if r[1].get_type() != "GLOBAL_POSITION_INT"]
    path = write_tlog(tmp_path / "nopos.tlog", records)
    with pytest.raises(TelemetryError, match="no GLOBAL_POSITION_INT") as info:
        TelemetryBuffer.from_tlog(path)
    assert str(path) in str(info.value)


def test_camera_feedback_pose(tmp_path: Path) -> None:
    buffer = _buffer(tmp_path, feedback_boot_s=[101.0, 102.5])
    events = buffer.camera_events()
    assert [e.img_idx for e in events] == [1, 2] and events[1].time_utc_s == pytest.approx(BOOT_UTC_S + 102.5)
    pose = buffer.pose_for_event(events[1])
    assert pose.source == "camera_feedback" and pose.is_tagged and pose.lat_deg == events[1].lat_deg
    assert pose.gimbal_pitch_deg == pytest.approx(-90.0) and pose.gimbal_frame is GimbalFrame.VEHICLE_YAW


def test_a_gps_reporting_no_gps_is_not_presented_as_an_unknown_fix(tmp_path: Path) -> None:
    # GPS_RAW_INT fix_type 0 is GPS_FIX_TYPE_NO_GPS (no receiver), 1 NO_FIX: neither gives a position.
    # In a pose 0 means "no GPS_RAW_INT near" (unknown), which georeferencing lets through; before, a
    # flight whose receiver was gone (position from the EKF alone) had every frame at fix_type 0 and
    # georeferenced as if located. Now NO_GPS is recorded as NO_FIX, which georeferencing refuses.
    from pymavlink.dialects.v20 import ardupilotmega as mav

    from groundstation.georef import GPS_FIX_NO_FIX

    recs = []
    for t, msg in flight_records():
        if msg.get_type() == "GPS_RAW_INT":
            msg = mav.MAVLink_gps_raw_int_message(msg.time_usec, 0, 0, 0, 0, 65535, 65535, 65535, 0, 0)
        recs.append((t, msg))
    buffer = TelemetryBuffer.from_tlog(write_tlog(tmp_path / "no_gps.tlog", recs))
    pose = buffer.pose_at(BOOT_UTC_S + 101.05)
    assert pose.is_tagged and pose.fix_type == GPS_FIX_NO_FIX and math.isnan(pose.h_acc_m)
    assert _buffer(tmp_path).pose_at(BOOT_UTC_S + 101.05).fix_type == 3  # a 3D fix stays what it is


def test_a_system_time_jump_is_followed_not_outvoted(tmp_path: Path) -> None:
    # ArduPilot sets its clock from the GCS's SYSTEM_TIME before the GPS has time, then from the GPS: the
    # vehicle's UTC jumps. Before: boot → UTC was the median over all SYSTEM_TIMEs, so for as long as
    # the pre-fix ones outnumbered the rest every sample was placed 5 s off (25 m at 5 m/s).
    from pymavlink.dialects.v20 import ardupilotmega as mav

    from onboard_synth import LAT0, M_PER_DEG_LAT, SPEED_N_MPS

    recs = []
    for t, msg in flight_records(duration_s=60.0):
        if msg.get_type() == "SYSTEM_TIME" and msg.time_boot_ms < 140_000:  # 40 s of a clock 5 s fast
            msg = mav.MAVLink_system_time_message(msg.time_unix_usec + 5_000_000, msg.time_boot_ms)
        recs.append((t, msg))
    buffer = TelemetryBuffer.from_tlog(write_tlog(tmp_path / "jump.tlog", recs))
    assert buffer.boot_to_utc_s == pytest.approx(BOOT_UTC_S, abs=1e-3)
    pose = buffer.pose_at(BOOT_UTC_S + 150.0)
    assert abs(pose.lat_deg - (LAT0 + SPEED_N_MPS * 50.0 / M_PER_DEG_LAT)) * M_PER_DEG_LAT < 0.01
    # one odd sample is not a jump
    recs = [(t, mav.MAVLink_system_time_message(m.time_unix_usec + 3_000_000, m.time_boot_ms)
             if m.get_type() == "SYSTEM_TIME" and m.time_boot_ms == 159_500 else m) for t, m in flight_records(60.0)]
    assert TelemetryBuffer.from_tlog(write_tlog(tmp_path / "odd.tlog", recs)).boot_to_utc_s == \
        pytest.approx(BOOT_UTC_S, abs=1e-3)


def test_one_odd_system_time_mid_flight_is_not_said_to_be_a_clock_jump(tmp_path: Path, caplog) -> None:
    # The jump rule (clock_jumps) took the last run of >= 3 agreeing samples: one odd sample mid-flight split
    # the flight's samples into two runs that agree with each other, so half were dropped and the log said
    # 'the vehicle's UTC jumped by -3.0 s (clock set again ...)', which it had not.
    from pymavlink.dialects.v20 import ardupilotmega as mav

    for odd_ms in (130_000, 159_500):  # mid-flight, and near the end
        recs = [(t, mav.MAVLink_system_time_message(m.time_unix_usec + 3_000_000, m.time_boot_ms)
                 if m.get_type() == "SYSTEM_TIME" and m.time_boot_ms == odd_ms else m) for t, m in flight_records(60.0)]
        assert sum(m.get_type() == "SYSTEM_TIME" and m.time_boot_ms == odd_ms for _, m in recs) == 1
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="onboard.telemetry.buffer"):
            buffer = TelemetryBuffer.from_tlog(write_tlog(tmp_path / f"odd{odd_ms}.tlog", recs))
        assert buffer.boot_to_utc_s == pytest.approx(BOOT_UTC_S, abs=1e-3)
        assert "jumped" not in caplog.text, (odd_ms, caplog.text)


def test_a_gps_fix_lost_mid_flight_is_no_fix_not_unknown(tmp_path: Path) -> None:
    # ArduPilot stamps GPS_RAW_INT with the time of the receiver's last *fix* (AP_GPS::send_mavlink_gps_raw:
    # last_fix_time_ms * 1000; last_fix_time_ms moves only while status >= 2D), so while the fix is lost
    # every message carries the stamp of the last fixed one. Synthetic log modelled on that: fix lost from
    # boot 103 s to 108 s. Before: the no-fix messages all sat at 103.0 s, frames 2 s into the loss had no
    # GPS_RAW_INT 'near' them and got fix_type 0 (unknown), which georeferencing lets through, and the
    # last fixed frame before the loss took the no-fix message that replaced its stamp (fix 1, refused).
    from pymavlink.dialects.v20 import ardupilotmega as mav

    from groundstation.georef import GPS_FIX_NO_FIX

    recs = []
    for t, msg in flight_records(duration_s=12.0):
        boot_s = msg.time_usec * 1e-6 if msg.get_type() == "GPS_RAW_INT" else 0.0
        if msg.get_type() == "GPS_RAW_INT" and 103.0 < boot_s < 108.0:
            msg = mav.MAVLink_gps_raw_int_message(103_000_000, 1, msg.lat, msg.lon, msg.alt, 9999, 9999, 0, 0, 3,
                                                  0, 0, 0, 0, 0, 0)
        recs.append((t, msg))
    buffer = TelemetryBuffer.from_tlog(write_tlog(tmp_path / "fix_lost.tlog", recs))
    fixes = {tb: buffer.pose_at(BOOT_UTC_S + tb).fix_type for tb in (102.95, 104.0, 105.5, 107.0, 108.5)}
    assert fixes == {102.95: 3, 104.0: GPS_FIX_NO_FIX, 105.5: GPS_FIX_NO_FIX, 107.0: GPS_FIX_NO_FIX, 108.5: 3}
