"""How a live run ends: SIGTERM/SIGINT on the real `skyinspect onboard`, and the record's meta "ended"."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from loopback_vehicle import LoopbackVehicle, free_udp_port
from onboard_helpers import DarkPixelSegmenter, make_frames, write_camera

from skyinspect.record import FlightRecordReader

HERE = Path(__file__).resolve().parent
# `skyinspect onboard` with the test segmenter in place of the shipped model
CLI = ("import sys; sys.path.insert(0, {here!r}); import models; from onboard_helpers import DarkPixelSegmenter; "
       "models.load_segmenter = lambda *a, **k: DarkPixelSegmenter(); from skyinspect.cli.main import app; "
       "sys.argv = ['skyinspect'] + sys.argv[1:]; app()")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_a_live_run_cleanly_and_the_record_says_so(tmp_path: Path, sig: signal.Signals) -> None:
    # Before: SIGTERM (what systemd sends to stop a service) killed the process on the spot: exit
    # -15, no summary, frames in the queues and the live time base (meta telemetry_time) lost, and
    # no record said how any flight had ended.
    port = free_udp_port()
    vehicle = LoopbackVehicle(port, duration_s=120.0)
    vehicle.start()
    frames = make_frames(tmp_path / "cam", 600)
    write_camera(tmp_path / "cam.json")
    out = tmp_path / "rec"
    cmd = [sys.executable, "-c", CLI.format(here=str(HERE)), "onboard", "--mavlink", f"udpin:127.0.0.1:{port}",
           "--frames", str(frames), "--realtime-fps", "5", "--camera", str(tmp_path / "cam.json"), "--out", str(out)]
    # own session and default SIGINT handling: a test runner's ignored SIGINT would be inherited
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=HERE.parents[1],
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 60.0
        while not (out / "images").is_dir() or not any((out / "images").iterdir()):  # a frame recorded
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
            time.sleep(0.2)
        time.sleep(1.0)
        proc.send_signal(sig)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        vehicle.stop_flag.set()
        vehicle.join(5)
    assert proc.returncode == 0, output
    assert f"stopped by {sig.name}" in " ".join(output.split())
    with FlightRecordReader(out) as reader:
        ended = json.loads(reader.meta["ended"])
        recorded = len(list(reader.frames()))
        assert "telemetry_time" in reader.meta  # the live time base was stored
    assert ended["how"] == f"stopped by {sig.name}" and ended["frames_recorded"] == recorded >= 1


def test_the_record_says_how_a_run_ended_or_that_it_did_not_finish(tmp_path: Path) -> None:
    from onboard.ending import DID_NOT_FINISH
    from onboard.runtime import run_onboard
    from onboard_synth import flight_records, write_tlog
    from skyinspect.camera import CameraModel

    frames = make_frames(tmp_path / "frames", 3)
    tlog = write_tlog(tmp_path / "f.tlog", flight_records(feedback_boot_s=[101.0, 102.0, 103.0]))
    camera = CameraModel.from_fov(64, 48, 60.0)
    mid_run: list[str] = []

    def read_ended(_index: int) -> None:  # what a SIGKILL or a power cut at this moment would leave
        with FlightRecordReader(tmp_path / "rec") as reader:
            mid_run.append(json.loads(reader.meta["ended"])["how"])

    summary = run_onboard(frames, tlog, tmp_path / "rec", DarkPixelSegmenter(), camera, on_recorded=read_ended)
    assert mid_run and all(how == DID_NOT_FINISH for how in mid_run)
    assert summary.ended == "the frames ended"
    with FlightRecordReader(tmp_path / "rec") as reader:
        assert json.loads(reader.meta["ended"])["how"] == "the frames ended"

    class Boom(DarkPixelSegmenter):
        def segment(self, image_bgr):  # type: ignore[no-untyped-def]
            raise SystemExit("power cut")  # not an Exception: ends the run like a crash would

    with pytest.raises(SystemExit):
        run_onboard(frames, tlog, tmp_path / "rec2", Boom(), camera)
    with FlightRecordReader(tmp_path / "rec2") as reader:
        assert json.loads(reader.meta["ended"])["how"].startswith("failed: SystemExit")


def test_a_camera_read_that_hangs_does_not_hang_the_stop(tmp_path: Path, monkeypatch) -> None:
    # Before: every stage waited for the capture thread to close the frame queue, so a stop request
    # (Ctrl-C, SIGTERM) while a camera read never returned (USB camera unplugged mid-grab) hung.
    import threading

    import numpy as np

    import onboard.capture
    from onboard.frames import Frame
    from onboard.runtime import run_onboard
    from skyinspect.camera import CameraModel

    release = threading.Event()

    class HangingCamera:
        def stop(self) -> None:  # a blocked grab() cannot see it
            pass

        def __iter__(self):  # type: ignore[no-untyped-def]
            for i in range(2):
                yield Frame(i + 1, np.full((48, 64, 3), 200, np.uint8), Path("cam"), time.time())
            release.wait(600)

    monkeypatch.setattr(onboard.capture, "open_camera", lambda *a, **k: HangingCamera())
    stop = threading.Event()
    result: list = []
    runner = threading.Thread(target=lambda: result.append(run_onboard(
        "0", f"udpin:127.0.0.1:{free_udp_port()}", tmp_path / "rec", DarkPixelSegmenter(),
        CameraModel.from_fov(64, 48, 60.0), stop_event=stop, link_timeout_s=0.5)), daemon=True)
    runner.start()
    try:
        deadline = time.monotonic() + 60.0
        while not (tmp_path / "rec").is_dir() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the two frames recorded, the camera now stuck
        stop.set()
        runner.join(60.0)  # the source gets 3 s, then the rest finishes without it
        assert not runner.is_alive(), "the run did not stop while the camera read hung"
    finally:
        release.set()
        runner.join(10.0)
    assert result[0].stats.recorded == 2
