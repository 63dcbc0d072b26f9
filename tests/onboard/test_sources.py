"""Telemetry sources behind one interface: DataFlash .bin, PX4 .ulg, DJI photos, dronekit; each
checked against the reference reader's own reading of the same real log."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from onboard_helpers import DJI_DIR, FACADE_BIN, FACADE_TLOG, PLANE_BIN, PX4_ULOG, FakeDronekitVehicle, make_frames
from onboard_synth import flight_records

from onboard.replay import run_replay
from onboard.telemetry import TelemetryBuffer
from onboard.telemetry.convert import gps_to_unix_s
from onboard.telemetry.dji import read_photo, read_xmp
from onboard.telemetry.dronekit_adapter import DronekitTelemetry
from onboard.telemetry.sources import detect_kind, is_live, load_buffer, read_telemetry
from skyinspect.camera import CameraModel
from skyinspect.errors import TelemetryError
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import GimbalFrame
from skyinspect.record import FlightRecordReader


def _h_m(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    ned = LocalFrame(float(a_lat), float(a_lon), 0.0).to_ned(float(b_lat), float(b_lon), 0.0)
    return float(math.hypot(ned[0], ned[1]))


def test_detect_kind_and_live_specs(tmp_path: Path) -> None:
    assert detect_kind(FACADE_TLOG) == "tlog" and detect_kind(FACADE_BIN) == "dataflash"
    assert detect_kind(PX4_ULOG) == "ulog" and detect_kind(DJI_DIR) == "dji"
    for spec in ("udp:127.0.0.1:14550", "udpin:0.0.0.0:14550", "tcp:127.0.0.1:5760", "/dev/ttyTHS1",
                 "serial:/dev/ttyACM0:921600"):
        assert is_live(spec)
    assert not is_live(FACADE_TLOG) and not is_live("flight.bin")
    with pytest.raises(TelemetryError, match="not found"):
        read_telemetry(tmp_path / "missing.bin")
    (tmp_path / "plain").mkdir()
    with pytest.raises(TelemetryError, match="no DJI photos"):
        read_telemetry(tmp_path / "plain")


def test_gps_week_to_utc() -> None:
    # CAM in the facade log: GPS week 2446, 123789200 ms; ~2026-11-27 → leap 18 s
    assert gps_to_unix_s(2446, 123_789_200) == pytest.approx(315964800 + 2446 * 604800 + 123789.2 - 18)


# --- DataFlash ------------------------------------------------------------------------------------
def _dfreader(path: Path, kinds: tuple[str, ...]) -> dict[str, list]:
    from pymavlink import DFReader

    reader = DFReader.DFReader_binary(str(path), zero_time_base=False)
    out: dict[str, list] = {k: [] for k in kinds}
    while (m := reader.recv_match(type=list(kinds))) is not None:
        out[m.get_type()].append(m)
    return out


def test_facade_bin_positions_match_dfreader() -> None:
    """At each POS/ATT time our tagged pose equals DFReader's own values (interpolation is exact there)."""
    buffer = load_buffer(FACADE_BIN)
    ref = _dfreader(FACADE_BIN, ("POS", "ATT"))
    off = buffer.describe_time_base()["boot_to_utc_s"]
    assert buffer.time_base == "system_time" and off == pytest.approx(1795429310.8, abs=0.1)
    worst_h = worst_att = 0.0
    for m in ref["POS"][::10]:
        pose = buffer.pose_at(m.TimeUS * 1e-6 + off)
        if pose.is_tagged:
            worst_h = max(worst_h, _h_m(m.Lat, m.Lng, pose.lat_deg, pose.lon_deg))
            assert pose.alt_msl_m == pytest.approx(m.Alt, abs=0.002)
            assert pose.alt_rel_m == pytest.approx(m.RelHomeAlt, abs=0.002)
    for m in ref["ATT"][::10]:
        pose = buffer.pose_at(m.TimeUS * 1e-6 + off)
        if pose.is_tagged:
            worst_att = max(worst_att, abs(pose.roll_deg - m.Roll), abs(pose.pitch_deg - m.Pitch),
                            abs((pose.yaw_deg - m.Yaw + 180) % 360 - 180))
    assert worst_h < 0.02 and worst_att < 0.05  # MAVLink time_boot_ms rounds TimeUS to 1 ms


def test_facade_bin_cam_agrees_with_tlog_camera_feedback() -> None:
    """The same flight's DataFlash CAM and .tlog CAMERA_FEEDBACK: same 57 photos, same positions."""
    bin_buf, tlog_buf = load_buffer(FACADE_BIN), TelemetryBuffer.from_tlog(FACADE_TLOG)
    a, b = bin_buf.camera_events(), tlog_buf.camera_events()
    assert [e.img_idx for e in a] == [e.img_idx for e in b] == list(range(1, 58))
    dh = [_h_m(x.lat_deg, x.lon_deg, y.lat_deg, y.lon_deg) for x, y in zip(a, b)]
    dt = [abs(x.time_utc_s - y.time_utc_s) for x, y in zip(a, b)]
    assert max(dh) < 0.02 and np.median(dt) < 0.1
    pa, pb = bin_buf.pose_for_event(a[56]), tlog_buf.pose_for_event(b[56])
    assert pa.gimbal_pitch_deg == pytest.approx(pb.gimbal_pitch_deg, abs=0.1) == pytest.approx(-10.0, abs=0.1)
    assert pa.gimbal_frame is GimbalFrame.VEHICLE_YAW and pa.fix_type >= 3


def test_plane_bin_gps_accuracy_and_untruncated_prefix(caplog: pytest.LogCaptureFixture) -> None:
    buffer = load_buffer(PLANE_BIN)  # the pymavlink test log: cut off (~1 s), GPS + GPA present
    ref = _dfreader(PLANE_BIN, ("POS", "GPA"))
    m = ref["POS"][len(ref["POS"]) // 2]
    pose = buffer.pose_at(m.TimeUS * 1e-6 + buffer.describe_time_base()["boot_to_utc_s"])
    assert pose.is_tagged and _h_m(m.Lat, m.Lng, pose.lat_deg, pose.lon_deg) < 0.02
    assert pose.h_acc_m == pytest.approx(ref["GPA"][0].HAcc, abs=0.3) and pose.fix_type >= 3


# --- PX4 ULog -------------------------------------------------------------------------------------
def test_px4_ulog_matches_pyulog() -> None:
    from pyulog import ULog

    ulog = ULog(str(PX4_ULOG), ["vehicle_gps_position", "vehicle_attitude"])
    d = {x.name: x.data for x in ulog.data_list if x.multi_id == 0}
    gps, att = d["vehicle_gps_position"], d["vehicle_attitude"]
    buffer = load_buffer(PX4_ULOG)
    off = buffer.describe_time_base()["boot_to_utc_s"]
    ok = gps["time_utc_usec"] > 0
    assert off == pytest.approx(float(np.median(gps["time_utc_usec"][ok] * 1e-6 - gps["timestamp"][ok] * 1e-6)))
    checked = 0
    for i in np.flatnonzero(gps["fix_type"] >= 3):
        pose = buffer.pose_at(gps["timestamp"][i] * 1e-6 + off)
        if not pose.is_tagged:
            continue
        checked += 1
        assert _h_m(gps["lat"][i] * 1e-7, gps["lon"][i] * 1e-7, pose.lat_deg, pose.lon_deg) < 0.02
        assert pose.alt_msl_m == pytest.approx(gps["alt"][i] * 1e-3, abs=0.002)
        assert pose.h_acc_m == pytest.approx(gps["eph"][i], abs=1e-3) and pose.fix_type == gps["fix_type"][i]
    assert checked >= 20
    from onboard.telemetry.rotations import quaternion_to_euler

    for j in range(0, len(att["timestamp"]), 97):
        pose = buffer.pose_at(att["timestamp"][j] * 1e-6 + off)
        if pose.is_tagged:
            roll, pitch, yaw = quaternion_to_euler([att[f"q[{k}]"][j] for k in range(4)])
            assert pose.roll_deg == pytest.approx(roll, abs=2e-3) and pose.pitch_deg == pytest.approx(pitch, abs=2e-3)  # 1 ms rounding


# --- DJI photos -----------------------------------------------------------------------------------
def test_a_ulog_is_read_with_the_ulog_class_of_pyulog_1_0(monkeypatch: pytest.MonkeyPatch) -> None:
    """The onboard extra allows pyulog 1.0.0, whose ULog() takes no parse_header_only (1.0.2 added it, default
    False): read_ulog passed parse_header_only=False, and with 1.0.0 every .ulg was refused 'ULog cannot be
    parsed (TypeError: ULog.__init__() got an unexpected keyword argument ...)'. 1.0.0's signature mimicked."""
    import pyulog

    from onboard.telemetry.ulog import read_ulog

    expected = read_ulog(PX4_ULOG)

    class ULog10(pyulog.ULog):  # type: ignore[misc]
        def __init__(self, log_file: str, message_name_filter_list: list[str] | None = None,
                     disable_str_exceptions: bool = True) -> None:
            super().__init__(log_file, message_name_filter_list, disable_str_exceptions)

    monkeypatch.setattr(pyulog, "ULog", ULog10)
    records = read_ulog(PX4_ULOG)
    assert len(records) == len(expected) > 0
    assert [type(r).__name__ for r in records[:50]] == [type(r).__name__ for r in expected[:50]]


def test_dji_photo_metadata() -> None:
    p = read_photo(DJI_DIR / "DJI_0018.JPG")
    # EXIF: N 46°50'33.3855", W 91°59'40.4156"; XMP: AbsoluteAltitude +198.31, Gimbal -89.90 / 45.00
    assert p.lat_deg == pytest.approx(46 + 50 / 60 + 33.3855 / 3600)
    assert p.lon_deg == pytest.approx(-(91 + 59 / 60 + 40.4156 / 3600))
    assert (p.alt_msl_m, p.alt_rel_m) == (198.31, 39.80)
    assert (p.gimbal_pitch_deg, p.gimbal_yaw_deg, p.roll_deg, p.pitch_deg, p.yaw_deg) == (-89.9, 45.0, 3.0, 1.8, 46.0)
    assert p.fix_type == 3 and math.isnan(p.h_acc_m)  # Phantom 3: no RTK


def test_dji_rtk_fields_from_xmp(tmp_path: Path) -> None:
    data = (DJI_DIR / "DJI_0019.JPG").read_bytes()
    rtk = b' drone-dji:RtkFlag="50" drone-dji:RtkStdLon="0.012" drone-dji:RtkStdLat="0.016" drone-dji:RtkStdHgt="0.030"'
    patched = data.replace(b'drone-dji:RelativeAltitude="+40.10"', b'drone-dji:RelativeAltitude="+40.10"' + rtk, 1)
    assert patched != data
    path = tmp_path / "DJI_RTK.JPG"
    path.write_bytes(patched)
    assert read_xmp(patched)["RtkFlag"] == "50"
    p = read_photo(path)
    assert p.fix_type == 6 and p.h_acc_m == pytest.approx(0.02) and p.v_acc_m == pytest.approx(0.03)


@pytest.mark.parametrize(("flag", "fix"), [(50, 6), (34, 5), (32, 5), (40, 5), (48, 5), (49, 5), (17, 4), (18, 4),
                                         (16, 3), (19, 3), (0, 0)])
def test_dji_rtk_flag_ranges(tmp_path: Path, flag: int, fix: int) -> None:
    """DJI's manuals (Mavic 3E, Matrice 4) give RtkFlag 32-49 as float solutions and 50 fixed; its OSDK
    adds 17 (pseudorange differential) and 18 (SBAS). Only 34 used to map to RTK float: 32 or 40 read as a
    plain 3D fix, which undersold the photo; 17/18 are differential (GPS_FIX_TYPE_DGPS)."""
    data = (DJI_DIR / "DJI_0019.JPG").read_bytes()
    rtk = f' drone-dji:RtkFlag="{flag}" drone-dji:RtkStdLon="0.2" drone-dji:RtkStdLat="0.2" drone-dji:RtkStdHgt="0.4"'
    path = tmp_path / "DJI_RTK.JPG"
    path.write_bytes(data.replace(b'drone-dji:RelativeAltitude="+40.10"',
                                  b'drone-dji:RelativeAltitude="+40.10"' + rtk.encode(), 1))
    assert read_photo(path).fix_type == fix


def test_dji_folder_replay(tmp_path: Path, segmenter, caplog: pytest.LogCaptureFixture) -> None:
    """Frames and telemetry from the same DJI photos: each frame gets the pose written into it (paired
    by number). Their EXIF times are the camera's local time with no zone or GPS time stamp, and they
    become the record's UTC: said once, and in the record's meta (onboard/photo_time.py)."""
    camera = CameraModel.from_fov(160, 90, 94.0)
    with caplog.at_level("WARNING"):
        summary = run_replay(DJI_DIR, DJI_DIR, tmp_path / "rec", segmenter, camera, progress=False)
    local = [r.getMessage() for r in caplog.records if "local time" in r.getMessage()]
    assert len(local) == 1 and "4 of 4 photos" in local[0], caplog.text
    assert (summary.frames, summary.tagged, summary.capture_time_source) == (4, 4, "camera_feedback")
    with FlightRecordReader(tmp_path / "rec") as reader:
        rec = list(reader.frames())
        assert json.loads(reader.meta["dji_photo_time"])["sources"] == {"gps": 0, "offset": 0, "local": 4}
    p = read_photo(DJI_DIR / "DJI_0020.JPG")
    assert rec[2].pose.lat_deg == pytest.approx(p.lat_deg, abs=1e-7)
    assert rec[2].pose.gimbal_frame is GimbalFrame.EARTH and rec[2].pose.gimbal_yaw_deg == pytest.approx(p.gimbal_yaw_deg)
    assert rec[2].pose.gimbal_pitch_deg == pytest.approx(-89.9, abs=1e-6)


def test_dji_photo_without_metadata_is_skipped_with_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    import shutil

    folder = tmp_path / "dji"
    folder.mkdir()
    for name in ("DJI_0018.JPG", "DJI_0019.JPG"):
        shutil.copy(DJI_DIR / name, folder / name)
    make_frames(tmp_path / "plain", 1, 160, 90, ".jpg")
    shutil.copy(tmp_path / "plain" / "IMG_1.jpg", folder / "DJI_0020.JPG")
    records, kind = read_telemetry(folder)
    assert kind == "dji" and "DJI_0020.JPG" in caplog.text
    assert [m.img_idx for _, m in records if m.get_type() == "CAMERA_FEEDBACK"] == [1, 2]


# --- replay with other logs -----------------------------------------------------------------------
def test_replay_accepts_a_dataflash_log(tmp_path: Path, segmenter) -> None:
    """Frames 1..57 of the facade flight tagged from its DataFlash CAM messages."""
    frames = make_frames(tmp_path / "frames", 57)
    summary = run_replay(frames, FACADE_BIN, tmp_path / "rec", segmenter, CameraModel.from_fov(64, 48, 60.0),
                         progress=False)
    assert (summary.frames, summary.tagged, summary.capture_time_source) == (57, 57, "camera_feedback")


# --- dronekit -------------------------------------------------------------------------------------
def test_dronekit_module_imports() -> None:
    dronekit = pytest.importorskip("dronekit", reason="dronekit2 (onboard extra) not installed")
    assert callable(dronekit.connect) and hasattr(dronekit.Vehicle, "add_message_listener")


def test_dronekit_adapter_feeds_the_buffer() -> None:
    vehicle = FakeDronekitVehicle()
    records = flight_records(duration_s=3.0)
    t0 = records[0][0]
    clock = iter([t for t, _ in records])
    adapter = DronekitTelemetry(vehicle, clock=lambda: next(clock)).start()
    ((name, callback),) = vehicle.listeners
    assert name == "*"
    for _, msg in records:
        callback(vehicle, msg.get_type(), msg)
    buffer = adapter.buffer()
    assert buffer is not None and buffer.pose_at(buffer.span_utc_s[0] + 1.0).is_tagged
    requests = [m for m in vehicle.sent if m.get_type() == "TIMESYNC"]
    assert requests and all(m.tc1 == 0 for m in requests)  # TIMESYNC requests go out through dronekit
    assert requests[0].ts1 == round(t0 * 1e9)  # stamped with the clock that times arrivals
    assert adapter.statustext("SI crack f1") and vehicle.sent[-1].get_type() == "STATUSTEXT"
    adapter.stop()
    assert vehicle.listeners == [] and t0 > 0


def test_a_ulog_without_pyulog_installed_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from onboard.telemetry.ulog import read_ulog
    from skyinspect.errors import TelemetryError

    monkeypatch.setitem(sys.modules, "pyulog", None)  # as on the runtime install without the onboard extra
    with pytest.raises(TelemetryError, match=r"needs pyulog.*skyinspect\[onboard\]"):
        read_ulog(PX4_ULOG)


@pytest.mark.parametrize(("device_flags", "azimuth_from"), [
    (4 | 8, "nose"),  # ROLL_LOCK | PITCH_LOCK: PX4's usual gimbal, yaw follows the vehicle
    (8 | 32, "nose"),  # PITCH_LOCK | YAW_IN_VEHICLE_FRAME (a MAVLink gimbal's flags, forwarded)
    (4 | 8 | 16, "north"),  # + YAW_LOCK: yaw held in the earth frame
    (64, "north"),  # YAW_IN_EARTH_FRAME
])
def test_px4_gimbal_device_flags_say_whether_its_yaw_is_from_the_nose_or_north(
        device_flags: int, azimuth_from: str) -> None:
    """uORB gimbal_device_attitude_status.device_flags are MAVLink's GIMBAL_DEVICE_FLAGS (8 = PITCH_LOCK,
    16 = YAW_LOCK, 32/64 = yaw in the vehicle/earth frame). The real PX4 log gets a gimbal topic of
    its own (PX4's output_rc publishes roll/pitch lock, yaw following the vehicle, as flags 12): a
    camera 30 deg right of the nose, 45 deg down, must look at the vehicle's heading + 30 deg."""
    from pyulog import ULog
    from scipy.spatial.transform import Rotation

    from onboard.telemetry.ulog import _TOPICS, _to_mavlink

    ulog = ULog(str(PX4_ULOG), _TOPICS)
    data = {d.name: d.data for d in ulog.data_list if d.multi_id == 0}
    t_us = data["vehicle_attitude"]["timestamp"]
    x, y, z, w = Rotation.from_euler("ZYX", [30.0, -45.0, 0.0], degrees=True).as_quat()
    data["gimbal_device_attitude_status"] = {
        "timestamp": t_us, "device_flags": np.full(len(t_us), device_flags),
        **{f"q[{k}]": np.full(len(t_us), c) for k, c in enumerate((w, x, y, z))}}
    buffer = TelemetryBuffer(_to_mavlink(PX4_ULOG, data), source=PX4_ULOG)
    t0, t1 = buffer.span_utc_s
    pose = buffer.pose_at((t0 + t1) / 2)
    assert pose.is_tagged
    axis = pose.r_ned_cam() @ np.array([0.0, 0.0, 1.0])  # the optical axis in NED
    azimuth = math.degrees(math.atan2(axis[1], axis[0])) % 360.0
    expected = (30.0 + (pose.yaw_deg if azimuth_from == "nose" else 0.0)) % 360.0
    assert abs((azimuth - expected + 180.0) % 360.0 - 180.0) < 0.1
    assert math.degrees(math.asin(-axis[2])) == pytest.approx(-45.0, abs=0.1)
    assert abs(pose.yaw_deg % 360.0 - 0.0) > 2.0  # the log's heading tells the two apart


def test_an_arduplane_3_8_bin_camera_message_without_img_and_with_roll_pitch_yaw(tmp_path: Path,
                                                                                caplog: pytest.LogCaptureFixture) -> None:
    """ArduPlane 3.8 logged CAM as TimeUS,GPSTime,GPSWeek,Lat,Lng,Alt,RelAlt,GPSAlt,Roll,Pitch,Yaw
    (the real ArduPlane test.BIN's FMT 146): no Img and no R/P/Y. Every such CAM was skipped as a
    message with 'corrupt fields', so the photos lost their trigger poses. Three CAM messages packed in
    the log's own FMT are appended (synthetic) to its whole-message prefix (the file is cut mid-message)."""
    import struct

    from pymavlink import DFReader

    from onboard.telemetry.dataflash import read_dataflash

    reader = DFReader.DFReader_binary(str(PLANE_BIN), zero_time_base=False)
    cam_id = reader.name_to_id["CAM"]
    assert reader.formats[cam_id].format == "QIHLLeeeccC"
    data = PLANE_BIN.read_bytes()[:65512]  # the whole messages (24 bytes of a cut 45-byte one follow)
    shots = [(81_900_000, -35.3626300, 149.1653050, -7.25, 2.5, 337.0),
             (82_200_000, -35.3626280, 149.1653060, -6.00, 2.0, 338.5),
             (82_500_000, -35.3626260, 149.1653070, 3.10, -1.5, 1.25)]
    for t_us, lat, lon, roll, pitch, yaw in shots:
        data += b"\xa3\x95" + bytes([cam_id]) + struct.pack(
            "<QIHiiiiihhH", t_us, 6_448_000, 1973, round(lat * 1e7), round(lon * 1e7), 58_438, -26, 58_882,
            round(roll * 100), round(pitch * 100), round(yaw * 100))
    path = tmp_path / "plane_with_cam.BIN"
    path.write_bytes(data)
    with caplog.at_level("WARNING"):
        feedback = [m for _, m in read_dataflash(path) if m.get_type() == "CAMERA_FEEDBACK"]
    assert "corrupt" not in caplog.text
    assert [m.img_idx for m in feedback] == [1, 2, 3]
    for m, (t_us, lat, lon, roll, pitch, yaw) in zip(feedback, shots):
        assert m.time_usec == t_us and abs(m.lat * 1e-7 - lat) < 1e-7 and abs(m.lng * 1e-7 - lon) < 1e-7
        assert (m.roll, m.pitch, m.yaw) == pytest.approx((roll, pitch, yaw), abs=1e-4)
        assert m.alt_msl == pytest.approx(584.38) and m.alt_rel == pytest.approx(-0.26)


def test_px4_camera_capture_relative_altitude_is_above_home_not_its_ground_distance() -> None:
    """PX4's camera_capture.ground_distance is the height above the terrain estimate, or -1 when there is
    none (no range finder: gpos.alt - gpos.terrain_alt if terrain_alt_valid else -1, PX4's
    camera_feedback). Taken as the photo's relative altitude, the default ground plane (alt - alt_rel of
    the first photo) lay 1 m above every camera: no frame was georeferenced. The real PX4 log gets a
    camera_capture topic of its own, at its GPS positions, ground_distance -1."""
    from pyulog import ULog

    from onboard.telemetry.ulog import _TOPICS, _to_mavlink

    ulog = ULog(str(PX4_ULOG), _TOPICS)
    data = {d.name: d.data for d in ulog.data_list if d.multi_id == 0}
    gps = data["vehicle_gps_position"]
    k = np.flatnonzero(gps["fix_type"] >= 3)[[5, 10, 15]]
    data["camera_capture"] = {
        "timestamp": gps["timestamp"][k], "seq": np.arange(3), "lat": gps["lat"][k] * 1e-7, "lon": gps["lon"][k] * 1e-7,
        "alt": gps["alt"][k] * 1e-3, "ground_distance": np.full(3, -1.0),
        **{f"q[{i}]": np.full(3, 1.0 if i == 0 else 0.0) for i in range(4)}}
    recs = _to_mavlink(PX4_ULOG, data)
    feedback = [m for _, m in recs if m.get_type() == "CAMERA_FEEDBACK"]
    positions = {m.time_boot_ms: m for _, m in recs if m.get_type() == "GLOBAL_POSITION_INT"}
    assert [m.img_idx for m in feedback] == [1, 2, 3]
    for m, i in zip(feedback, k):
        same_time = positions[round(gps["timestamp"][i] * 1e-3)]  # the position the log gives at that GPS sample
        assert m.alt_rel == pytest.approx(same_time.relative_alt * 1e-3, abs=1e-3)
        assert m.alt_msl - m.alt_rel == pytest.approx(gps["alt"][np.flatnonzero(gps["fix_type"] >= 3)[0]] * 1e-3, abs=1e-3)
