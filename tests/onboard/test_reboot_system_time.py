"""An autopilot rebooted mid-log, timed on the vehicle's UTC (SYSTEM_TIME): each boot's samples map to UTC by that
boot's own SYSTEM_TIME (UTC − boot), never by another boot's.

Synthetic .tlogs (pymavlink's encoder; onboard_synth's flight north at 5 m/s): a first boot flying boot 100-130 s,
then a reboot, the boot clock restarting at 1 s, 1 s of UTC after the first boot's last sample. Before, one offset
(the samples after the last jump in UTC − boot, the second boot's) timed every sample: the first boot's fell 131 s
late, among the second's, and every frame of the first boot was '... before the first GLOBAL_POSITION_INT'."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest
from onboard_synth import BOOT_UTC_S, LAT0, M_PER_DEG_LAT, SPEED_N_MPS, flight_records, write_tlog

from onboard.telemetry.buffer import TelemetryBuffer

SECOND_BOOT_UTC_S = BOOT_UTC_S + 131.0  # the second boot's clock reads 0 here (its first sample at 1 s)


def _north_m(pose: object) -> float:
    return (pose.lat_deg - LAT0) * M_PER_DEG_LAT  # type: ignore[attr-defined]


def _time(record: tuple[float, object]) -> float:
    return record[0]


def _two_boots(tmp_path: Path, second_system_time: bool = True) -> Path:
    first = flight_records(duration_s=30.0)  # boot 100..130 s: UTC BOOT_UTC_S + boot
    shift_s = SECOND_BOOT_UTC_S - BOOT_UTC_S
    second = [(t + shift_s, msg) for t, msg in flight_records(duration_s=40.0, start_boot_s=1.0,
                                                              system_time=second_system_time)]
    for _, msg in second:
        if msg.get_type() == "SYSTEM_TIME":
            msg.time_unix_usec += round(shift_s * 1e6)
    return write_tlog(tmp_path / "two_boots.tlog", first + second)


def test_each_boot_is_timed_by_its_own_system_time(tmp_path: Path) -> None:
    buffer = TelemetryBuffer.from_tlog(_two_boots(tmp_path))
    assert buffer.time_base == "system_time"
    for boot in (100.5, 110.0, 121.3, 129.9):  # the first boot: untagged before (131 s before its first sample)
        pose = buffer.pose_at(BOOT_UTC_S + boot)
        assert pose.is_tagged, (boot, pose.status)
        assert _north_m(pose) == pytest.approx(SPEED_N_MPS * (boot - 100.0), abs=0.01), boot
    for boot2 in (1.5, 20.0, 40.5):  # the second boot, from its own samples
        pose = buffer.pose_at(SECOND_BOOT_UTC_S + boot2)
        assert pose.is_tagged, (boot2, pose.status)
        assert _north_m(pose) == pytest.approx(SPEED_N_MPS * (boot2 - 1.0), abs=0.01), boot2
    pose = buffer.pose_at(BOOT_UTC_S + 130.6)  # between the boots (1.1 s without samples): untagged
    assert not pose.is_tagged and "gap" in pose.status
    assert buffer.boot_to_utc_s == pytest.approx(SECOND_BOOT_UTC_S)  # the latest boot's, as before
    assert buffer.describe_time_base()["boot_to_utc_s_by_boot"] == pytest.approx([BOOT_UTC_S, SECOND_BOOT_UTC_S])


def test_a_boot_without_system_time_is_not_timed_by_another_boots(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """The second boot sends no SYSTEM_TIME with a UTC (no GPS time yet): its samples have no UTC. Timed by the
    first boot's offset they would sit 131 s early, in the first boot's time; they are left out, said once."""
    with caplog.at_level(logging.WARNING):
        buffer = TelemetryBuffer.from_tlog(_two_boots(tmp_path, second_system_time=False))
    said = [r.getMessage() for r in caplog.records if "reboot" in r.getMessage()]
    assert len(said) == 1 and "no SYSTEM_TIME" in said[0], said
    for boot in (100.5, 121.3):
        pose = buffer.pose_at(BOOT_UTC_S + boot)
        assert pose.is_tagged and _north_m(pose) == pytest.approx(SPEED_N_MPS * (boot - 100.0), abs=0.01)
    pose = buffer.pose_at(SECOND_BOOT_UTC_S + 20.0)
    assert not pose.is_tagged and "after the last" in pose.status
    pose = buffer.pose_at(BOOT_UTC_S + 20.0)  # where the second boot's samples fell on the first's offset: tagged
    assert not pose.is_tagged, _north_m(pose)  # from them before (95 m north), 80 s before the log began


def test_frames_on_the_logging_clock_map_to_utc_by_their_own_boot(tmp_path: Path) -> None:
    """``--frame-clock log`` without TIMESYNC (no one arrival line across a reboot: by the SYSTEM_TIME arrivals
    near each frame). The first boot's arrivals took the second boot's UTC − boot, as its samples did: its frames
    were placed right but recorded 130.8 s late (their UTC in the flight record)."""
    from onboard.telemetry.frame_clock import map_frame_clock

    buffer = TelemetryBuffer.from_tlog(_two_boots(tmp_path))
    clock = map_frame_clock(buffer, "log", "two_boots")
    for boot in (105.0, 110.5, 125.0):  # named by the logging computer (the .tlog clock, UTC + 0.2 s)
        pose = buffer.pose_at(clock.to_telemetry_s(BOOT_UTC_S + 0.2 + boot))
        assert pose.is_tagged, (boot, pose.status)
        assert _north_m(pose) == pytest.approx(SPEED_N_MPS * (boot - 100.0), abs=0.01), boot
        assert pose.time_utc_s == pytest.approx(BOOT_UTC_S + boot, abs=0.01), boot


def _two_boots_timesync(tmp_path: Path) -> Path:
    """``_two_boots`` with the logging computer's TIMESYNC round trips in each boot."""
    from onboard_synth import timesync_records

    shift_s = SECOND_BOOT_UTC_S - BOOT_UTC_S
    first = flight_records(duration_s=30.0) + timesync_records(100.0, 130.0)
    second = [(t + shift_s, msg) for t, msg in flight_records(duration_s=40.0, start_boot_s=1.0)
              + timesync_records(1.0, 41.0, tlog_minus_boot_s=BOOT_UTC_S + 0.2)]
    for _, msg in second:
        if msg.get_type() == "SYSTEM_TIME":
            msg.time_unix_usec += round(shift_s * 1e6)
        if msg.get_type() == "TIMESYNC":
            msg.ts1 += round(shift_s * 1e9)
    return write_tlog(tmp_path / "two_boots.tlog", sorted(first, key=_time) + sorted(second, key=_time))


def test_frames_on_the_logging_clock_by_timesync_map_to_utc_by_their_own_boot(tmp_path: Path) -> None:
    """With TIMESYNC each boot's replies are a stretch of their own (the offset jumps at the reboot); a frame's boot
    time then goes to UTC by its boot's SYSTEM_TIME, not the latest boot's (131 s late: into the second boot)."""
    from onboard.telemetry.frame_clock import map_frame_clock

    buffer = TelemetryBuffer.from_tlog(_two_boots_timesync(tmp_path))
    clock = map_frame_clock(buffer, "log", "two_boots")
    assert clock.method == "timesync"
    for boot in (105.0, 125.0):
        pose = buffer.pose_at(clock.to_telemetry_s(BOOT_UTC_S + 0.2 + boot))
        assert pose.is_tagged, (boot, pose.status)
        assert pose.time_utc_s == pytest.approx(BOOT_UTC_S + boot, abs=0.02), boot
        assert _north_m(pose) == pytest.approx(SPEED_N_MPS * (boot - 100.0), abs=0.1), boot
    for boot2 in (5.0, 30.0):
        pose = buffer.pose_at(clock.to_telemetry_s(SECOND_BOOT_UTC_S + 0.2 + boot2))
        assert pose.is_tagged and _north_m(pose) == pytest.approx(SPEED_N_MPS * (boot2 - 1.0), abs=0.1), boot2


def _second_boot_without_utc(tmp_path: Path) -> Path:
    """Boot 100-130 s, then a reboot and boot 1-131 s (2 Hz) answering TIMESYNC, with no SYSTEM_TIME (no GPS time)."""
    from onboard_synth import timesync_records

    shift_s = SECOND_BOOT_UTC_S - BOOT_UTC_S
    first = flight_records(duration_s=30.0) + timesync_records(100.0, 130.0)
    second = [(t + shift_s, msg) for t, msg in flight_records(duration_s=130.0, start_boot_s=1.0, rate_hz=2.0,
                                                              system_time=False)
              + timesync_records(1.0, 131.0, tlog_minus_boot_s=BOOT_UTC_S + 0.2)]
    for _, msg in second:
        if msg.get_type() == "TIMESYNC":
            msg.ts1 += round(shift_s * 1e9)
    return write_tlog(tmp_path / "two_boots.tlog", sorted(first, key=_time) + sorted(second, key=_time))


def test_a_host_stamp_in_a_boot_without_system_time_is_not_mapped_by_another_boots(tmp_path: Path) -> None:
    """``from_receiver_clock`` (host → boot by TIMESYNC → UTC) over a log holding two boots (a live link forgets
    its window at a reboot, so this is a log's): the new boot's time + the old boot's UTC − boot put a frame in the
    old boot's time, where its samples tagged it (130 s of flight off); now NaN (no UTC for that boot)."""
    buffer = TelemetryBuffer.from_tlog(_second_boot_without_utc(tmp_path))
    assert buffer.clock_sync is not None
    for boot2 in (10.0, 105.0, 120.0):  # the first boot flew boot 100-130 s
        t = buffer.from_receiver_clock(SECOND_BOOT_UTC_S + 0.2 + boot2)  # the host's stamp of a frame at boot2
        assert math.isnan(t) or not buffer.pose_at(t).is_tagged, (boot2, t - BOOT_UTC_S)
    t = buffer.from_receiver_clock(BOOT_UTC_S + 0.2 + 120.0)  # the first boot's: by its own
    assert _north_m(buffer.pose_at(t)) == pytest.approx(SPEED_N_MPS * 20.0, abs=0.05)


def test_utc_frames_on_the_logging_clock_by_timesync_find_their_boots_stretch(tmp_path: Path) -> None:
    """``--time-base tlog --frame-clock utc``: UTC → the frame's boot time → the logging clock by the TIMESYNC
    stretch of that time. The stretch was looked up at boot time + the first stretch's offset, the first boot's: a
    frame of the second boot took the first's offset, 131 s early ('80.000 s before the first
    GLOBAL_POSITION_INT'); now by the SYSTEM_TIME arrivals near the frame."""
    from onboard.telemetry.frame_clock import map_frame_clock

    buffer = TelemetryBuffer.from_tlog(_two_boots_timesync(tmp_path), time_base="tlog")
    clock = map_frame_clock(buffer, "utc", "two_boots")
    assert clock.method == "timesync"
    for utc_s, north_m in ((BOOT_UTC_S + 110.0, 50.0), (SECOND_BOOT_UTC_S + 20.0, 95.0)):
        pose = buffer.pose_at(clock.to_telemetry_s(utc_s))
        assert pose.is_tagged and _north_m(pose) == pytest.approx(north_m, abs=0.05), (utc_s - BOOT_UTC_S, pose.status)


def test_a_gimbal_on_its_own_clock_is_put_on_each_boots_clock() -> None:
    """A MAVLink gimbal (component 154) stamps its attitude with its own uptime, which the autopilot's reboot does not
    restart. Its shift onto the autopilot's boot clock was one median over the log: the second (shorter) boot's
    gimbal samples took the first boot's shift, 130 s off, and its frames were untagged or read another time's
    gimbal. Now each boot's own shift."""
    from pymavlink.dialects.v20 import ardupilotmega as mavlink

    from onboard.telemetry import convert
    from onboard.telemetry.rotations import euler_to_quaternion

    autopilot, gimbal = mavlink.MAVLink(None, srcSystem=1, srcComponent=1), mavlink.MAVLink(None, 1, 154)

    def sent(msg, enc):  # type: ignore[no-untyped-def]
        msg.pack(enc)  # sets the source ids a received message has
        return msg

    msgs = []
    for utc0, boot0, n in ((BOOT_UTC_S + 100.0, 100.0, 300), (SECOND_BOOT_UTC_S + 1.0, 1.0, 100)):  # 10 Hz
        for k in range(n):
            utc, boot = utc0 + k * 0.1, boot0 + k * 0.1
            t = utc + 0.2  # the .tlog clock
            msgs.append((t, sent(convert.global_position(boot, 47.0 + k * 1e-6, 8.0, 500.0, 20.0), autopilot)))
            msgs.append((t, sent(convert.attitude(boot, 0.0, 0.0, 90.0), autopilot)))
            if k % 5 == 0:
                msgs.append((t, sent(convert.system_time(boot, utc), autopilot)))
            pitch = -((utc - BOOT_UTC_S) % 60.0)  # tilting down 1 deg/s (by UTC), back up each minute
            q = euler_to_quaternion(0.0, pitch, 0.0)
            gimbal_boot = utc - (BOOT_UTC_S + 50.0)  # its own uptime: booted at UTC +50 s, never restarted
            msgs.append((t, sent(convert.gimbal_device_status(gimbal_boot, tuple(q), earth_yaw=False), gimbal)))
    buffer = TelemetryBuffer(msgs, "two_boots_gimbal")
    for utc in (BOOT_UTC_S + 110.05, BOOT_UTC_S + 125.05, SECOND_BOOT_UTC_S + 3.05, SECOND_BOOT_UTC_S + 9.05):
        pose = buffer.pose_at(utc)
        assert pose.is_tagged, (utc - BOOT_UTC_S, pose.status)
        assert pose.gimbal_pitch_deg == pytest.approx(-((utc - BOOT_UTC_S) % 60.0), abs=0.05), utc - BOOT_UTC_S


def test_frames_on_the_logging_clock_in_a_boot_without_system_time_are_untagged(tmp_path: Path) -> None:
    """``--frame-clock log`` by TIMESYNC: a frame of the boot without SYSTEM_TIME took the first boot's UTC − boot
    and was tagged from the first boot's samples (25 m north where the vehicle was at 520 m)."""
    from onboard.telemetry.frame_clock import map_frame_clock

    buffer = TelemetryBuffer.from_tlog(_second_boot_without_utc(tmp_path))
    clock = map_frame_clock(buffer, "log", "two_boots")
    assert clock.method == "timesync"
    for boot2 in (10.0, 105.0, 120.0):
        pose = buffer.pose_at(clock.to_telemetry_s(SECOND_BOOT_UTC_S + 0.2 + boot2))
        assert not pose.is_tagged, (boot2, _north_m(pose))
    pose = buffer.pose_at(clock.to_telemetry_s(BOOT_UTC_S + 0.2 + 120.0))  # the first boot's: by its own
    assert pose.is_tagged and _north_m(pose) == pytest.approx(SPEED_N_MPS * 20.0, abs=0.05)


def test_a_lone_stray_boot_stamp_is_no_reboot() -> None:
    """One position stamped 97 s back (a corrupt row that passed the CRC, a replayed packet) among the first boot's:
    one boot; the reboot after it (three stamps back) starts the second at its first record."""
    from onboard.telemetry.boots import boot_numbers

    msgs = [(t, msg) for t, msg in flight_records(duration_s=3.0) if msg.get_type() == "GLOBAL_POSITION_INT"]
    msgs[10][1].time_boot_ms = 3000  # boot 101 s -> 3 s
    second = [(t + 10.0, msg) for t, msg in flight_records(duration_s=1.0, start_boot_s=1.0)
              if msg.get_type() == "GLOBAL_POSITION_INT"]
    boots = boot_numbers(msgs + second, msgs[0][1].get_srcComponent())  # (not packed: component 0)
    assert boots.tolist() == [0] * len(msgs) + [1] * len(second)


def _jittered_two_boots(tmp_path: Path) -> Path:
    """``_two_boots`` without SYSTEM_TIME, each record late by its own link delay (0-0.6 s, FIFO), as
    test_arrival_jitter's flights: timed on the .tlog clock by the arrivals' lower envelope."""
    import numpy as np

    rng = np.random.default_rng(7)
    shift_s = SECOND_BOOT_UTC_S - BOOT_UTC_S
    sent = flight_records(duration_s=30.0, system_time=False) + [
        (t + shift_s, msg) for t, msg in flight_records(duration_s=40.0, start_boot_s=1.0, system_time=False)]
    recs: list[tuple[float, object]] = []
    for t, msg in sent:
        recs.append((max(t + min(float(rng.exponential(0.08)), 0.6), recs[-1][0] if recs else 0.0), msg))
    return write_tlog(tmp_path / "two_boots_jittered.tlog", recs)


def test_each_boot_has_its_own_arrival_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """On the .tlog clock without TIMESYNC, boot stamps go onto it by the lower envelope of arrival − boot
    (``arrival_clock``). One line cannot hold across a reboot, so every sample of a log with one was timed by
    its own arrival (up to 1.21 m off at 5 m/s here, the delays' spread); now each boot has its line."""
    with caplog.at_level(logging.WARNING):
        buffer = TelemetryBuffer.from_tlog(_jittered_two_boots(tmp_path), time_base="tlog")
    assert "timed by their arrival" not in caplog.text
    lines = buffer.describe_time_base()["arrival_clock_by_boot"]
    assert len(lines) == 2 and all(line is not None for line in lines)
    errors = []
    for boot in (101.3, 107.7, 115.1, 122.9, 128.4):  # frames named by the logging computer (UTC + 0.2 s)
        pose = buffer.pose_at(BOOT_UTC_S + 0.2 + boot)
        assert pose.is_tagged, (boot, pose.status)
        errors.append(abs(_north_m(pose) - SPEED_N_MPS * (boot - 100.0)))
    for boot2 in (3.3, 17.7, 36.1):
        pose = buffer.pose_at(SECOND_BOOT_UTC_S + 0.2 + boot2)
        assert pose.is_tagged, (boot2, pose.status)
        errors.append(abs(_north_m(pose) - SPEED_N_MPS * (boot2 - 1.0)))
    assert max(errors) < 0.05, errors


def test_a_utc_stamp_in_a_boot_without_system_time_is_not_mapped_by_another_boots(tmp_path: Path) -> None:
    """``--time-base tlog``: a CAMERA_FEEDBACK stamped in UTC (``time_usec``) in the second boot, which sent no
    SYSTEM_TIME. UTC → boot by the first boot's UTC − boot, then onto the .tlog clock by the second boot's arrival
    line, put it 131 s late (the first boot's length); now UTC → the .tlog clock by the SYSTEM_TIME arrivals."""
    shift_s = SECOND_BOOT_UTC_S - BOOT_UTC_S
    second = [(t + shift_s, msg) for t, msg in flight_records(duration_s=40.0, start_boot_s=1.0, system_time=False,
                                                              feedback_boot_s=[20.0])]
    for _, msg in second:
        if msg.get_type() == "CAMERA_FEEDBACK":
            msg.time_usec += round(shift_s * 1e6)
    buffer = TelemetryBuffer.from_tlog(write_tlog(tmp_path / "two_boots.tlog", flight_records(duration_s=30.0)
                                                  + second), time_base="tlog")
    (event,) = buffer.camera_events()
    assert event.time_utc_s == pytest.approx(SECOND_BOOT_UTC_S + 20.0 + 0.2, abs=0.01)  # the .tlog clock: UTC + 0.2 s
