"""The companion's clock stepped mid-flight (chrony's makestep once NTP or GNSS time arrives, a Jetson
without an RTC battery booted on the last shutdown's time): live frames and arrivals are stamped on the
host clock, which TIMESYNC maps to the vehicle's boot clock. Synthetic records, as a live link's window
holds them (not a real flight)."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.telemetry import convert
from onboard.telemetry.buffer import TelemetryBuffer

UTC_MINUS_BOOT_S = 1_700_000_000.0  # the vehicle's GNSS UTC − its boot clock
LAT0, M_PER_DEG_LAT, SPEED_N_MPS = 47.0, 111_195.0, 5.0
LINK_S = 0.005  # each leg of the link


def _lat(boot_s: float) -> float:
    return LAT0 + SPEED_N_MPS * (boot_s - 100.0) / M_PER_DEG_LAT


def _window(step_s: float, step_at_boot_s: float, end_boot_s: float = 160.0) -> tuple[list, callable]:
    """100 s of a vehicle at 20 Hz, TIMESYNC answered at 1 Hz; the host clock is 30 s behind the vehicle's UTC
    until boot ``step_at_boot_s``, then stepped by ``step_s``. Returns the records and host(boot) at a time."""
    def host(boot_s: float) -> float:
        return boot_s + UTC_MINUS_BOOT_S - 30.0 + (step_s if boot_s >= step_at_boot_s else 0.0)

    recs = []
    for i in range(int((end_boot_s - 100.0) * 20) + 1):
        boot = 100.0 + i / 20
        arrival = host(boot + LINK_S)
        recs.append((arrival, convert.global_position(boot, _lat(boot), 8.0, 500.0, 20.0)))
        recs.append((arrival, convert.attitude(boot, 0.0, 0.0, 0.0)))
        if i % 20 == 0:
            recs.append((arrival, convert.system_time(boot, boot + UTC_MINUS_BOOT_S)))
        if i % 20 == 10:  # a request that left LINK_S before the vehicle answered it at ``boot``
            sent = host(boot - LINK_S)
            recs.append((host(boot + LINK_S), mavlink.MAVLink_timesync_message(round(boot * 1e9), round(sent * 1e9))))
    return recs, host  # in arrival order, as a link's window holds them (stepped back, not sorted by stamp)


def _north_error_m(buffer: TelemetryBuffer, host_s: float, boot_s: float) -> float | str:
    pose = buffer.pose_at(buffer.from_receiver_clock(host_s))
    return (pose.lat_deg - _lat(boot_s)) * M_PER_DEG_LAT if pose.is_tagged else pose.status


def test_a_host_clock_stepped_forward_mid_flight_keeps_frames_tagged_where_they_were_taken() -> None:
    # Before: the chunk of TIMESYNC replies across the step, interpolated, mapped the arrivals around it
    # to the wrong boot times; the causality check then refused TIMESYNC for the whole window and took the
    # host clock (30 s off UTC) as UTC: every frame 'after the last GLOBAL_POSITION_INT'. With the
    # loopback vehicle and a real link the same +3 s step left every frame of the next 35 s untagged.
    recs, host = _window(step_s=30.0, step_at_boot_s=140.0)
    buffer = TelemetryBuffer(recs, "udpin:synthetic")
    assert buffer.clock_sync is not None
    errors = {boot: _north_error_m(buffer, host(boot), boot) for boot in (120.0, 139.5, 140.5, 150.0, 159.5)}
    assert all(isinstance(e, float) and abs(e) < 0.05 for e in errors.values()), errors


def test_a_host_clock_stepped_back_mid_flight_keeps_frames_tagged() -> None:
    recs, host = _window(step_s=-20.0, step_at_boot_s=140.0)
    buffer = TelemetryBuffer(recs, "udpin:synthetic")
    assert buffer.clock_sync is not None
    errors = {boot: _north_error_m(buffer, host(boot), boot) for boot in (141.0, 150.0, 159.5)}
    assert all(isinstance(e, float) and abs(e) < 0.05 for e in errors.values()), errors


def test_timesync_requests_go_on_after_the_host_clock_is_stepped_back() -> None:
    # Before: a request was due once the clock passed the last request's time + 1 s, so a clock stepped
    # back 20 s sent none for 20 s (an hour's step: none for an hour), and the offset went stale.
    from onboard.telemetry.timesync import TimesyncRequester

    requester = TimesyncRequester(interval_s=1.0, burst=0)
    requester.request(1000.0)
    assert not requester.due(1000.5) and requester.due(1001.0)
    assert requester.due(980.0) and requester.seconds_until_due(980.0) == 0.0


def test_samples_timed_by_arrival_follow_a_stepped_host_clock() -> None:
    # MOUNT_STATUS has no time stamp (nor has a GPS_RAW_INT without a fix a current one): it is timed by its
    # arrival, moved onto the vehicle's UTC by the SYSTEM_TIME arrivals' offset. Before: one median over the
    # window, so after a +30 s step of the host clock every new MOUNT_STATUS sat 30 s in the future and frames
    # were untagged ('telemetry gap 30.00 s in MOUNT_STATUS'); the offset is now the arrivals' near each sample.
    recs, host = _window(step_s=30.0, step_at_boot_s=140.0)
    mounts = [(t, mavlink.MAVLink_mount_status_message(0, 0, -4500, 0, 0)) for t, m in recs
              if m.get_type() == "ATTITUDE" and round(m.time_boot_ms / 50) % 2 == 0]  # 10 Hz
    recs = sorted(recs + mounts, key=lambda r: r[0])  # the step is forward: arrival order is time order
    buffer = TelemetryBuffer(recs, "udpin:synthetic")
    assert buffer.gimbal_source == "MOUNT_STATUS"
    for boot in (120.0, 150.0, 159.0):
        pose = buffer.pose_at(buffer.from_receiver_clock(host(boot)))
        assert pose.is_tagged and abs(pose.gimbal_pitch_deg + 45.0) < 1e-6, (boot, pose.status)


def test_samples_timed_by_arrival_follow_a_host_clock_stepped_back() -> None:
    # Stepped back 20 s, the host clock reads the same 20 s twice: a MOUNT_STATUS arriving after the step took
    # the offset of the SYSTEM_TIME arrivals of the same host time before it, and sat 20 s early (frames 1 to
    # 19 s after the step untagged: 'telemetry gap 20.10 s in MOUNT_STATUS'). Its neighbours are now the
    # arrivals around it in the order they came.
    recs, host = _window(step_s=-20.0, step_at_boot_s=140.0)
    with_mounts = []
    for t, m in recs:
        with_mounts.append((t, m))
        if m.get_type() == "ATTITUDE" and round(m.time_boot_ms / 50) % 2 == 0:  # 10 Hz, in arrival order
            with_mounts.append((t, mavlink.MAVLink_mount_status_message(0, 0, -4500, 0, 0)))
    buffer = TelemetryBuffer(with_mounts, "udpin:synthetic")
    assert buffer.gimbal_source == "MOUNT_STATUS"
    for boot in (120.0, 139.0, 141.0, 150.0, 159.0):
        pose = buffer.pose_at(buffer.from_receiver_clock(host(boot)))
        assert pose.is_tagged and abs(pose.gimbal_pitch_deg + 45.0) < 1e-6, (boot, pose.status)


def test_a_host_clock_stepped_back_does_not_grow_the_live_window() -> None:
    # The live window dropped messages that arrived more than window_s before the newest by the host clock:
    # stepped back an hour, no message was older than the newest for an hour, and the window (and the
    # buffer built from it for every frame) grew all that time (loopback vehicle, 4 s window: 280 messages
    # before the step, 891 ten seconds after it). It is now also bounded by the time since each arrived.
    from onboard.telemetry.live import LiveMavlink

    live = LiveMavlink("udpin:127.0.0.1:14550", window_s=10.0)
    now = [0.0]
    live._monotonic = lambda: now[0]
    for i in range(600):  # 60 s at 10 Hz; the host clock stepped back an hour at 20 s
        now[0] = i / 10
        host = 1.7e9 + now[0] - (3600.0 if now[0] >= 20.0 else 0.0)
        live.add(host, convert.global_position(100.0 + now[0], _lat(100.0 + now[0]), 8.0, 500.0, 20.0))
    assert len(live.records()) <= 101


def test_the_live_window_gives_each_message_once_in_arrival_order_after_a_step_back() -> None:
    # The SYSTEM_TIME kept beyond the window were picked by host time ('before the window's first record'):
    # stepped back, the window's own SYSTEM_TIME read as older than it and came twice, the second copies
    # ahead of the window as if they had arrived before it (5 of 35 here).
    from onboard.telemetry.live import LiveMavlink

    live = LiveMavlink("udpin:127.0.0.1:14550", window_s=10.0)
    now = [0.0]
    live._monotonic = lambda: now[0]
    for i in range(300):  # 30 s at 10 Hz, SYSTEM_TIME at 1 Hz; the host clock stepped back an hour at 25 s
        now[0] = i / 10
        host = 1.7e9 + now[0] - (3600.0 if now[0] >= 25.0 else 0.0)
        live.add(host, convert.global_position(100.0 + now[0], _lat(100.0 + now[0]), 8.0, 500.0, 20.0))
        if i % 10 == 0:
            live.add(host, convert.system_time(100.0 + now[0], 1.7e9 + now[0]))
    boots = [m.time_boot_ms for _, m in live.records() if m.get_type() == "SYSTEM_TIME"]
    assert boots == sorted(set(boots)) and len(boots) == 30, boots


def test_frames_taken_just_after_a_step_wait_for_replies_on_the_new_clock() -> None:
    # Until three TIMESYNC replies on the stepped clock have come (2-3 s at 1 Hz) it cannot be mapped. Before,
    # the old clock's offset was used meanwhile: 0.8 s back, TIMESYNC was refused and the host clock (30 s
    # behind UTC) read as UTC, frames 154 m off (5 m/s). Now they wait ('clock mapping ... not known yet')
    # and are re-tagged once it is known.
    from onboard.frames import Frame
    from onboard.taggers import CLOCK_SETTLING, LiveTagger

    class _Link:
        def __init__(self, buffer: TelemetryBuffer) -> None:
            self.built = buffer

        def buffer(self, *_args: object) -> TelemetryBuffer:
            return self.built

    import numpy as np
    from pathlib import Path

    for step_s in (-0.8, 0.8):
        recs, host = _window(step_s=step_s, step_at_boot_s=140.0, end_boot_s=141.6)  # replies at 140.5, 141.5
        link = _Link(TelemetryBuffer(recs, "udpin:synthetic"))
        tagger = LiveTagger(link, wait_s=0.0, retag_window_s=1e9)  # type: ignore[arg-type]
        pose = tagger(Frame(1, np.zeros((4, 4, 3), np.uint8), Path("cam"), host(141.55)))
        assert not pose.is_tagged and pose.status.endswith(CLOCK_SETTLING), (step_s, pose.status)
        link.built = TelemetryBuffer(_window(step_s=step_s, step_at_boot_s=140.0, end_boot_s=143.6)[0], "udpin:synthetic")
        [(index, pose)] = tagger.retag()
        assert index == 1 and pose.is_tagged and abs((pose.lat_deg - _lat(141.55)) * M_PER_DEG_LAT) < 0.05


def test_a_frame_stamped_between_a_step_back_and_the_next_reply_is_not_mapped_by_the_old_clock() -> None:
    # The host clock read 5 s less from boot 140 s; the next TIMESYNC reply came at 140.5 s. A frame stamped at
    # 140.3 s was mapped by the clock before the step (its stamps overlap the new ones) and tagged where the
    # vehicle had been 5 s earlier, 25 m off at 5 m/s, and it stayed so once replies on the new clock had
    # come. The telemetry arriving 'earlier' than the message before it shows the step as it happens.
    for end_boot_s in (140.45, 141.6):
        recs, host = _window(step_s=-5.0, step_at_boot_s=140.0, end_boot_s=end_boot_s)
        buffer = TelemetryBuffer(recs, "udpin:synthetic")
        assert buffer.clock_sync is not None and not buffer.clock_sync.known(host(140.3)), end_boot_s
    recs, host = _window(step_s=-5.0, step_at_boot_s=140.0, end_boot_s=143.6)
    error = _north_error_m(TelemetryBuffer(recs, "udpin:synthetic"), host(140.3), 140.3)
    assert isinstance(error, float) and abs(error) < 0.05, error
