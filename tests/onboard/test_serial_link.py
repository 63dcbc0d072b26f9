"""Live mode over a serial line: a pseudo-terminal pair, the vehicle writing MAVLink into its master end
and the companion opening its slave path (/dev/pts/N) as the serial device, as it opens /dev/ttyTHS1."""

from __future__ import annotations

import termios
from pathlib import Path

import pytest
from loopback_vehicle import LoopbackVehicle, PtyEnd
from onboard_helpers import DarkPixelSegmenter, make_frames

from onboard.runtime import run_onboard
from skyinspect.camera import CameraModel
from skyinspect.record import FlightRecordReader


@pytest.fixture
def pty_vehicle():
    line = PtyEnd()
    vehicle = LoopbackVehicle(0, duration_s=30.0, link=line)
    vehicle.start()
    yield vehicle, line
    vehicle.stop_flag.set()
    vehicle.join(5)
    line.release()


def test_live_mode_over_a_serial_line_tags_frames_at_the_given_baud(tmp_path: Path, pty_vehicle) -> None:
    # Before: pyserial, which pymavlink imports only for a serial device, was not a dependency:
    # "cannot open link (No module named 'serial')" retried all flight, every frame untagged.
    vehicle, line = pty_vehicle
    frames = make_frames(tmp_path / "cam", 16)  # 8 frames/s for 2 s
    speeds: list[tuple[int, int]] = []
    summary = run_onboard(frames, f"serial:{line.path}:921600", tmp_path / "rec", DarkPixelSegmenter(),
                          CameraModel.from_fov(64, 48, 60.0), realtime_fps=8.0,
                          helper_nice=0,  # a nice-19 recorder starves on a busy machine: frames dropped
                          on_recorded=lambda _i: speeds.append(tuple(termios.tcgetattr(line.slave_fd)[4:6])))
    assert summary.stats.recorded == 16, summary.stats
    assert speeds and set(speeds) == {(termios.B921600, termios.B921600)}  # the line runs at the baud asked for
    with FlightRecordReader(tmp_path / "rec") as reader:
        recs = list(reader.frames())
    tagged = [r for r in recs if r.pose.is_tagged]
    # the first frame may precede every sample (the line opened as it was taken): then it says so
    assert recs[0].pose.is_tagged or "before the first GLOBAL_POSITION_INT" in recs[0].pose.status
    assert all(r.pose.is_tagged for r in recs[1:]), [r.pose.status for r in recs if not r.pose.is_tagged]
    for r in tagged:  # where the vehicle was when the frame was taken (5 m/s north: 5 mm per ms)
        assert abs(r.pose.lat_deg - vehicle.lat_at_host(r.pose.time_utc_s)) * 111_195.0 < 0.5
    assert any(m.get_type() == "TIMESYNC" for m in vehicle.received)  # the companion writes to the line too
