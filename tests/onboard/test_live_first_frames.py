"""The first frames of a live flight, taken before the link's clock mapping (TIMESYNC + SYSTEM_TIME) is known."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from loopback_vehicle import M_PER_DEG_LAT, LoopbackVehicle, free_udp_port
from onboard_helpers import DarkPixelSegmenter, make_frames

from onboard.runtime import run_onboard
from skyinspect.camera import CameraModel
from skyinspect.record import FlightRecordReader


@pytest.mark.parametrize("utc_error_s", [30.0, -30.0])
def test_frames_before_the_clock_is_synced_are_tagged_by_it_once_it_is(tmp_path: Path, utc_error_s: float) -> None:
    # A companion whose clock is 30 s off the vehicle's GNSS UTC (a Jetson without RTC or NTP). Before:
    # frames taken while the first TIMESYNC replies were on their way were tagged with the host clock
    # taken as UTC: 30 s behind, "29.9 s before the first GLOBAL_POSITION_INT" and never re-tagged
    # (2 of 16); 30 s ahead, one frame tagged on the arrival clock, its time 30 s off.
    port = free_udp_port()
    vehicle = LoopbackVehicle(port, duration_s=30.0, utc_error_s=utc_error_s, timesync_hz=0)
    vehicle.start()
    try:
        summary = run_onboard(make_frames(tmp_path / "cam", 16), f"udpin:127.0.0.1:{port}", tmp_path / "rec",
                              DarkPixelSegmenter(), CameraModel.from_fov(64, 48, 60.0), realtime_fps=8.0,
                              helper_nice=0)  # a nice-19 recorder starves on a busy machine: frames dropped
    finally:
        vehicle.stop_flag.set()
        vehicle.join(5)
    with FlightRecordReader(tmp_path / "rec") as reader:
        recs = list(reader.frames())
    assert summary.stats.recorded == 16
    first, rest = recs[0], recs[1:]
    # the first frame may precede every sample (the link opened as it was taken): then it says so
    assert first.pose.is_tagged or "before the first GLOBAL_POSITION_INT" in first.pose.status
    assert all(r.pose.is_tagged for r in rest), [(r.frame_index, r.pose.status) for r in rest if not r.pose.is_tagged]
    for r in recs:
        if r.pose.is_tagged:
            host_s = r.pose.time_utc_s - utc_error_s  # the vehicle's UTC is the host clock + utc_error_s
            assert abs(r.pose.lat_deg - vehicle.lat_at_host(host_s)) * M_PER_DEG_LAT < 0.5, r.frame_index
            assert abs(r.capture_time_utc_s - r.pose.time_utc_s) < 1e-6


def _feed(live: Any, host0: float, k: int) -> None:
    """Telemetry sample ``k`` (10 Hz from host time ``host0``, vehicle boot time 100 s): position, attitude
    and SYSTEM_TIME with the host clock as UTC, as if it had arrived on the link."""
    from onboard.telemetry import convert

    t = host0 + k * 0.1
    live.add(t, convert.global_position(100.0 + k * 0.1, 47.0 + k * 1e-6, 8.0, 500.0, 20.0))
    live.add(t, convert.attitude(100.0 + k * 0.1, 0.0, 0.0, 90.0))
    live.add(t, convert.system_time(100.0 + k * 0.1, t))


def test_frames_of_the_first_seconds_are_re_tagged_when_the_vehicle_never_answers_timesync() -> None:
    # A vehicle that sends no TIMESYNC: the frames that waited for its clock mapping are re-tagged with
    # the mapping there is (SYSTEM_TIME, host clock taken as UTC) once the telemetry spans the settle time.
    import numpy as np

    from onboard.frames import Frame
    from onboard.runtime import CLOCK_SETTLING, LiveTagger
    from onboard.telemetry.live import LiveMavlink

    live = LiveMavlink("udpin:127.0.0.1:0")
    tagger = LiveTagger(live, wait_s=0.0)
    host0 = time.time() - 10.0  # re-tagging gives up on frames older than 30 s

    for k in range(10):
        _feed(live, host0, k)
    pose = tagger(Frame(1, np.zeros((4, 4, 3), np.uint8), Path("cam"), host0 + 0.55))
    assert pose.status.endswith(CLOCK_SETTLING) and 1 in tagger.pending
    assert tagger.retag() == [] and 1 in tagger.pending  # still settling: kept
    for k in range(10, 25):  # 2.4 s of telemetry
        _feed(live, host0, k)
    (index, retagged), = tagger.retag()
    assert index == 1 and retagged.is_tagged and tagger.pending == {}
    assert abs(retagged.lat_deg - (47.0 + 5.5e-6)) < 1e-9


def test_a_frame_that_waited_for_the_clock_mapping_is_left_with_the_reason_it_has_once_it_is_known(
        tmp_path: Path) -> None:
    # A frame from before the telemetry began (queued while the link came up), tagged while the clock mapping
    # settled. Before: once the mapping was known the frame was '0.45 s before the first GLOBAL_POSITION_INT',
    # no longer awaited, and dropped from re-tagging unwritten: the record kept 'clock mapping to the vehicle
    # not known yet' for good (on the host's clock), and said nothing of why it stayed untagged.
    import threading

    import numpy as np

    from onboard.frames import Frame
    from onboard.pipeline import Pipeline
    from onboard.runtime import CLOCK_SETTLING, LiveTagger
    from onboard.telemetry.live import LiveMavlink

    live = LiveMavlink("udpin:127.0.0.1:0")
    host0 = time.time() - 10.0
    recorded = threading.Event()

    def frames():  # type: ignore[no-untyped-def]
        for k in range(10):
            _feed(live, host0, k)
        yield Frame(1, np.full((48, 64, 3), 200, np.uint8), Path("cam"), host0 - 0.45)
        assert recorded.wait(10.0)
        for k in range(10, 25):  # 2.4 s of telemetry: the mapping is known
            _feed(live, host0, k)

    from skyinspect.record import FlightRecordWriter

    writer = FlightRecordWriter(tmp_path / "rec", CameraModel.from_fov(64, 48, 60.0), "test", "0" * 64)
    tagger = LiveTagger(live, wait_s=0.0)
    pipeline = Pipeline(frames(), DarkPixelSegmenter(), writer, tagger, on_recorded=lambda i: recorded.set())
    stats = pipeline.run()
    writer.close()
    assert (stats.recorded, stats.tagged, stats.untagged, stats.retagged) == (1, 0, 1, 0)
    with FlightRecordReader(tmp_path / "rec") as reader:
        (rec,) = list(reader.frames())
    assert not rec.pose.is_tagged and not rec.pose.status.endswith(CLOCK_SETTLING)
    assert "before the first GLOBAL_POSITION_INT" in rec.pose.status, rec.pose.status
    assert tagger.pending == {}
