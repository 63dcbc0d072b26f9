"""Live mode through what a real flight does to the link: losses, reboots (session 19 findings)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from loopback_vehicle import LoopbackVehicle, free_udp_port
from onboard_helpers import DarkPixelSegmenter, make_frames

from onboard.frames import Frame
from onboard.runtime import LiveTagger, run_onboard
from onboard.telemetry.live import LiveMavlink
from skyinspect.camera import CameraModel
from skyinspect.record import FlightRecordReader


class _StaleLink:
    """A link whose telemetry stopped: every frame is 'after the last' sample."""

    def __init__(self) -> None:
        self.calls = 0

    def buffer(self, *_args: object) -> None:
        self.calls += 1
        return None  # no telemetry: the tagger's 'late' case, like 'after the last GLOBAL_POSITION_INT'


def test_frames_already_older_than_the_wait_are_not_held_up_by_a_silent_link() -> None:
    # Before: each frame waited wait_s from the moment it was tagged, however old it already was,
    # so during a link loss recording took 0.5 s a frame and the camera queue dropped frames.
    link = _StaleLink()
    tagger = LiveTagger(link, wait_s=0.5)  # type: ignore[arg-type]
    image = np.zeros((4, 4, 3), np.uint8)
    started = time.monotonic()
    for i in range(20):  # frames captured 2 s ago (they waited in the queues during the loss)
        pose = tagger(Frame(i + 1, image, Path("cam"), time.time() - 2.0))
        assert not pose.is_tagged
    assert time.monotonic() - started < 5.0  # 20 x 0.5 s = 10 s before; ~0 now
    assert len(tagger.pending) == 20  # still re-tagged if telemetry for them arrives later


def test_a_long_link_loss_loses_no_frames(tmp_path: Path) -> None:
    port = free_udp_port()
    live = LiveMavlink(f"udpin:127.0.0.1:{port}", link_timeout_s=1.0, backoff_s=0.1, max_backoff_s=0.4)
    live.start()
    frames = make_frames(tmp_path / "cam", 56)  # 8 frames/s for 7 s
    # A 4 s loss from the moment the first frame is recorded, streaming again until the run ends: a loss
    # 1-5 s after the vehicle's start, and its end at 8 s, left the first frame in the hole, or the last
    # after the vehicle, when the frames and the link took long to set up on a busy machine
    vehicle = LoopbackVehicle(port, duration_s=60.0)
    vehicle.start()
    silenced: list[int] = []

    def first_recorded(index: int) -> None:
        if not silenced:
            silenced.append(index)
            vehicle.go_silent(4.0)

    try:
        assert live.wait_connected(10.0)
        summary = run_onboard(frames, "udpin:live", tmp_path / "rec", DarkPixelSegmenter(),
                              CameraModel.from_fov(64, 48, 60.0), live=live, realtime_fps=8.0, gap_threshold_s=0.5,
                              helper_nice=0,  # a nice-19 recorder starves on a busy machine: frames dropped
                              on_recorded=first_recorded)
    finally:
        vehicle.stop_flag.set()
        vehicle.join(5)
        live.stop()
    s = summary.stats
    # Before: 8 frames/s into a recorder that took 0.5 s a frame while the link was silent: ~20 dropped.
    assert s.dropped == 0 and s.recorded == s.captured == 56, s
    with FlightRecordReader(tmp_path / "rec") as reader:
        recs = list(reader.frames())
    assert len(recs) == 56
    assert any(not r.pose.is_tagged and "gap" in r.pose.status for r in recs)  # the hole says why
    assert recs[0].pose.is_tagged and recs[-1].pose.is_tagged


def _feed(live: LiveMavlink, host_s: float, boot_s: float, lat_deg: float, system_time: bool) -> None:
    from onboard.telemetry import convert

    live.add(host_s, convert.global_position(boot_s, lat_deg, 8.0, 500.0, 20.0))
    live.add(host_s, convert.attitude(boot_s, 0.0, 0.0, 90.0))
    if system_time:
        live.add(host_s, convert.system_time(boot_s, host_s))  # vehicle UTC = host clock


def test_a_vehicle_reboot_does_not_leave_frames_untagged_for_minutes() -> None:
    # Found with the loopback vehicle rebooting mid-flight: the boot→UTC offset is the median over
    # the SYSTEM_TIMEs kept (up to 500), so after a reboot the old boot's samples outvoted the new
    # and every new sample was placed minutes away: frames 'after the last GLOBAL_POSITION_INT'.
    live = LiveMavlink("udpin:127.0.0.1:0")
    host0 = 1.7e9
    for k in range(1200):  # up 120 s before the reboot (boot clock 500 s), SYSTEM_TIME at 1 Hz
        _feed(live, host0 + k * 0.1, 500.0 + k * 0.1, 47.0 + k * 1e-6, system_time=k % 10 == 0)
    reboot_host = host0 + 125.0
    for k in range(100):  # 10 s after the reboot: the boot clock starts again at 2 s
        _feed(live, reboot_host + k * 0.1, 2.0 + k * 0.1, 48.0 + k * 1e-6, system_time=k % 10 == 0)
    pose = live.buffer().pose_at(reboot_host + 5.05)  # type: ignore[union-attr]
    assert pose.is_tagged, pose.status
    assert abs(pose.lat_deg - (48.0 + 50.5e-6)) < 1e-8
    assert live.reboots == 1
    # a late or duplicated packet (boot time a little back) is not a reboot
    _feed(live, reboot_host + 10.0, 2.0 + 9.0, 48.0, system_time=True)
    assert live.reboots == 1


def test_a_link_that_never_came_up_is_said_once_and_not_counted_as_reconnects(caplog) -> None:
    # Before: with no vehicle on the port the run said nothing until the end, and its summary read
    # 'link reconnected 4x' for a link that had never carried a message.
    import logging

    live = LiveMavlink(f"udpin:127.0.0.1:{free_udp_port()}", link_timeout_s=0.2, backoff_s=0.05, max_backoff_s=0.1)
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        live.start()
        try:
            deadline = time.monotonic() + 30.0
            while live.connects < 4 and time.monotonic() < deadline:  # the socket reopened a few times
                time.sleep(0.05)
        finally:
            live.stop()
    assert live.connects >= 4 and live.reconnects == 0
    said = [r.getMessage() for r in caplog.records if "no MAVLink message received" in r.getMessage()]
    assert len(said) == 1 and "untagged" in said[0]


def test_the_buffers_warnings_come_once_per_link_not_once_per_frame(caplog) -> None:
    # Before: a vehicle without GNSS time (SYSTEM_TIME time_unix_usec = 0: no fix yet, under a deck)
    # logged 'no SYSTEM_TIME with a UTC clock' at every rebuild of the live buffer, i.e. every frame.
    import logging

    from pymavlink.dialects.v20 import ardupilotmega as mavlink

    live = LiveMavlink("udpin:127.0.0.1:0")
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.buffer"):
        for k in range(50):
            _feed(live, 1.7e9 + k * 0.1, 100.0 + k * 0.1, 47.0 + k * 1e-6, system_time=False)
            if k % 10 == 0:
                live.add(1.7e9 + k * 0.1, mavlink.MAVLink_system_time_message(0, int((100 + k * 0.1) * 1000)))
            assert live.buffer() is not None  # a frame tagged
    said = [r for r in caplog.records if "no SYSTEM_TIME" in r.getMessage()]
    assert len(said) == 1


def test_a_folder_or_video_as_a_live_camera_must_be_paced(tmp_path: Path) -> None:
    # Before: read as fast as it decoded, a 300-frame video lost 288 frames to the drop-oldest queue
    # ('inference was slower than the camera') and the rest were tagged at the moment of tagging.
    import pytest

    from skyinspect.errors import InputError

    frames = make_frames(tmp_path / "cam", 3)
    camera = CameraModel.from_fov(64, 48, 60.0)
    for fps, said in ((None, "--realtime-fps FPS"), (0.0, "above 0")):
        with pytest.raises(InputError, match=said):
            run_onboard(frames, f"udpin:127.0.0.1:{free_udp_port()}", tmp_path / "rec", DarkPixelSegmenter(), camera,
                        realtime_fps=fps)
        assert not (tmp_path / "rec").exists()  # refused before a record was made


def test_a_gimbal_device_on_its_own_clock_is_put_on_the_autopilots() -> None:
    # A MAVLink gimbal (component 154) stamps GIMBAL_DEVICE_ATTITUDE_STATUS with its own uptime. Before,
    # one booted 7 s after the autopilot gave frames the gimbal attitude of 7 s earlier (14° off while
    # tilting at 2°/s) and the newest frames were 'after the last GIMBAL_DEVICE_ATTITUDE_STATUS'.
    from pymavlink.dialects.v20 import ardupilotmega as mavlink

    from onboard.telemetry import convert
    from onboard.telemetry.rotations import euler_to_quaternion

    autopilot, gimbal = mavlink.MAVLink(None, srcSystem=1, srcComponent=1), mavlink.MAVLink(None, 1, 154)

    def sent(msg, enc):  # type: ignore[no-untyped-def]
        msg.pack(enc)  # sets the source ids a received message has
        return msg

    for lag_s in (7.0, -3.0):  # booted later (clock behind) / earlier
        live, host0 = LiveMavlink("udpin:127.0.0.1:0"), 1.7e9
        for k in range(600):  # 30 s at 20 Hz
            host, boot = host0 + k * 0.05, 100.0 + k * 0.05
            live.add(host, sent(convert.global_position(boot, 47.0 + k * 1e-6, 8.0, 500.0, 20.0), autopilot))
            live.add(host, sent(convert.attitude(boot, 0.0, 0.0, 90.0), autopilot))
            if k % 20 == 0:
                live.add(host, sent(convert.system_time(boot, host), autopilot))
            q = euler_to_quaternion(0.0, -k * 0.1, 0.0)  # tilting down 2°/s
            live.add(host, sent(convert.gimbal_device_status(boot - lag_s, tuple(q), earth_yaw=False), gimbal))
        buffer = live.buffer()
        for k in (100, 300, 595):
            pose = buffer.pose_at(host0 + k * 0.05 + 0.01)  # type: ignore[union-attr]
            assert pose.is_tagged, (lag_s, pose.status)
            assert abs(pose.gimbal_pitch_deg - (-k * 0.1 - 0.02)) < 0.05, (lag_s, k, pose.gimbal_pitch_deg)


def test_frames_in_a_hole_are_given_up_once_older_than_the_retag_window() -> None:
    # Before: a pending frame was aged against the newest *pending* frame, so once tagging resumed the
    # frames of a telemetry hole stayed pending all flight, every one re-posed every 0.5 s.
    live, now = LiveMavlink("udpin:127.0.0.1:0"), time.time()
    for h0, h1 in ((now - 40.0, now - 20.0), (now - 8.0, now)):  # telemetry, a 12 s hole, telemetry
        for k in range(int((h1 - h0) * 10)):
            _feed(live, h0 + k * 0.1, h0 + k * 0.1 - now + 1000.0, 47.0, system_time=k % 10 == 0)
    tagger = LiveTagger(live, wait_s=0.0, retag_window_s=5.0)  # type: ignore[arg-type]
    image = np.zeros((2, 2, 3), np.uint8)
    for i in range(50):  # frames captured in the hole, 19-9 s ago
        assert not tagger(Frame(i + 1, image, Path("cam"), now - 19.0 + i * 0.2)).is_tagged
    assert len(tagger.pending) == 50
    given_up = tagger.retag()  # all older than retag_window_s: given up, each with why (written to the record)
    assert tagger.pending == {} and [i for i, _ in given_up] == list(range(1, 51))
    assert all(not p.is_tagged and "telemetry gap" in p.status for _, p in given_up)


def test_a_link_that_cannot_be_opened_is_said_once_not_every_retry(caplog) -> None:
    # Before: 'cannot open link' at every retry, every 5 s at most back-off, all flight long.
    import logging

    tries = [0]

    def refuse(*_args: object) -> object:
        tries[0] += 1
        raise OSError(98, "Address already in use")

    live = LiveMavlink("udpin:127.0.0.1:14550", connect=refuse, backoff_s=0.005, max_backoff_s=0.01)
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        live.start()
        try:
            deadline = time.monotonic() + 30.0
            while tries[0] < 50 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            live.stop()
    said = [r.getMessage() for r in caplog.records if "cannot open link" in r.getMessage()]
    assert tries[0] >= 50 and len(said) == 1, said[:3]
    assert "Address already in use" in said[0] and "another MAVLink program" in said[0]


def test_live_frames_of_another_size_than_the_calibration_are_refused(tmp_path: Path) -> None:
    # Before: a live source at another resolution than its calibration was recorded without a word
    # (64x48 frames under a 320x240 calibration: 15 frames, exit 0), every detection misplaced.
    import json

    import cv2
    import pytest

    from skyinspect.errors import InputError

    camera = CameraModel.from_fov(320, 240, 60.0)
    frames = make_frames(tmp_path / "cam", 3)  # 64x48
    with pytest.raises(InputError, match="64x48 but the camera calibration is for 320x240"):
        run_onboard(frames, f"udpin:127.0.0.1:{free_udp_port()}", tmp_path / "rec", DarkPixelSegmenter(), camera,
                    realtime_fps=20.0)
    assert not (tmp_path / "rec").exists()  # a folder: refused from its headers, before a record is made
    video = tmp_path / "cam.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for _ in range(5):
        writer.write(np.full((48, 64, 3), 200, np.uint8))
    writer.release()
    with pytest.raises(InputError, match="64x48 but the camera calibration is for 320x240"):
        run_onboard(video, f"udpin:127.0.0.1:{free_udp_port()}", tmp_path / "rec2", DarkPixelSegmenter(), camera,
                    realtime_fps=20.0, link_timeout_s=0.5)
    with FlightRecordReader(tmp_path / "rec2") as reader:  # a video: refused at its first frame, and said
        assert len(list(reader.frames())) == 0
        assert json.loads(reader.meta["ended"])["how"].startswith("failed: InputError")


def test_the_live_buffer_is_built_from_the_recent_samples_and_all_clock_messages() -> None:
    # Before: every rebuild (about one a frame) took the whole 300 s window: ~57 ms of CPU at 20 Hz.
    live, host0 = LiveMavlink("udpin:127.0.0.1:0"), 1.7e9
    for k in range(3000):  # 300 s at 10 Hz, SYSTEM_TIME at 1 Hz
        _feed(live, host0 + k * 0.1, 100.0 + k * 0.1, 47.0 + k * 1e-6, system_time=k % 10 == 0)
    buffer = live.buffer()
    assert buffer is not None and buffer.boot_to_utc_s == pytest.approx(host0 - 100.0)
    first, last = buffer.span_utc_s
    assert last - first <= 60.2  # the last 60 s, not the whole window
    assert sum(1 for _, m in live._recent() if m.get_type() == "SYSTEM_TIME") == 300  # clock messages: all kept


def test_the_live_tagger_tags_a_fixed_mount_in_the_body_frame() -> None:
    """--mount-pitch-deg in live mode: the link's buffers are built with the mount (part of their cache
    key), so every rebuild tags the camera as fixed to the airframe."""
    from onboard.frames import Frame
    from onboard.runtime import LiveTagger
    from onboard.telemetry.mount import FixedMount
    from skyinspect.pose import GimbalFrame

    live = LiveMavlink("udpin:127.0.0.1:0")
    for k in range(30):
        _feed(live, 1.7e9 + k * 0.1, 100.0 + k * 0.1, 47.0 + k * 1e-6, system_time=True)
    tagger = LiveTagger(live, wait_s=0.0, fixed_mount=FixedMount(pitch_deg=-90.0))
    pose = tagger(Frame(1, np.zeros((4, 4, 3), np.uint8), Path("cam"), 1.7e9 + 1.5))
    assert pose.is_tagged and (pose.gimbal_pitch_deg, pose.gimbal_frame) == (-90.0, GimbalFrame.BODY)
    assert live.buffer().fixed_mount is None  # a buffer without the mount is another cache entry
