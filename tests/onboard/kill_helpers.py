"""Shared by tests/onboard/test_kill.py and bench/kill_runtime.py: a replay flight to kill, the
runtime as a forked child that reports each committed frame down a pipe, and the check that every
reported frame reads back after a SIGKILL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
from onboard_helpers import DarkPixelSegmenter, make_frames
from onboard_synth import flight_records, write_tlog

from skyinspect.camera import CameraModel
from skyinspect.record import FlightRecordReader

N_FRAMES = 40


def camera(width_px: int = 64, height_px: int = 48) -> CameraModel:
    return CameraModel.from_fov(width_px, height_px, 60.0)


def make_kill_flight(root: Path, n_frames: int = N_FRAMES, width_px: int = 64,
                     height_px: int = 48) -> tuple[Path, Path]:
    """Frames IMG_1..n (JPEG, one dark square each) and a .tlog with one CAMERA_FEEDBACK per frame."""
    root.mkdir(parents=True, exist_ok=True)
    tlog = write_tlog(root / "flight.tlog", flight_records(duration_s=n_frames * 0.5 + 5.0, rate_hz=5.0,
                                                          feedback_boot_s=[101 + 0.5 * k for k in range(n_frames)]))
    return make_frames(root / "frames", n_frames, width_px, height_px, suffix=".jpg"), tlog


class SlowSegmenter(DarkPixelSegmenter):
    """The dark-pixel double plus a fixed delay per frame (a stand-in for inference time), with
    two parallel workers as the shipped model has on a CPU, so kills land while two frames are
    being segmented and frames reach the recorder out of order."""

    def __init__(self, delay_s: float = 0.01) -> None:
        self.delay_s = delay_s

    def parallel_workers(self, n: int | None = None) -> list[SlowSegmenter]:
        return [SlowSegmenter(self.delay_s) for _ in range(n or 2)]

    def segment(self, image_bgr):  # type: ignore[no-untyped-def]
        import time

        time.sleep(self.delay_s)
        return super().segment(image_bgr)


def run_child(frames: str, tlog: str, out: str, fd: int, delay_s: float = 0.01,
              size_px: tuple[int, int] = (64, 48)) -> None:
    """Body of the forked runtime: replay into ``out``, write "<frame>\\n" to ``fd`` once committed."""
    from onboard.runtime import run_onboard

    run_onboard(frames, tlog, Path(out), SlowSegmenter(delay_s), camera(*size_px),
                on_recorded=lambda i: os.write(fd, f"{i}\n".encode()))


def read_reported(fd: int) -> set[int]:
    """Every frame number the child wrote to the pipe before it ended or was killed."""
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    return {int(x) for x in data.split()}


@dataclass(frozen=True)
class RecordCheck:
    """A record after a kill: does it open, which frames it holds, which reported ones are missing."""

    exists: bool
    opened: bool
    frames: frozenset[int] = frozenset()
    lost: frozenset[int] = frozenset()  # reported committed but not in the record
    damaged: tuple[str, ...] = ()  # committed frames whose image/mask/pose/instances do not read back
    error: str = ""


def check_record(out: Path, reported: set[int], instances_per_frame: int = 1) -> RecordCheck:
    """Open ``out`` and read back every frame: image and mask decode, pose tagged, instances there."""
    if not out.exists():  # killed before the record was created (it appears atomically)
        return RecordCheck(False, False, lost=frozenset(reported))
    try:
        with FlightRecordReader(out) as reader:
            records = {r.frame_index: r for r in reader.frames()}
    except Exception as exc:  # noqa: BLE001 - the bench counts this; the test fails on it
        return RecordCheck(True, False, lost=frozenset(reported), error=f"{type(exc).__name__}: {exc}")
    damaged = []
    for r in records.values():
        if r.image_path is None or cv2.imread(str(r.image_path)) is None:
            damaged.append(f"{r.frame_index}: image")
        if r.mask_path is None or cv2.imread(str(r.mask_path), cv2.IMREAD_UNCHANGED) is None:
            damaged.append(f"{r.frame_index}: mask")
        if not r.pose.is_tagged or len(r.instances) != instances_per_frame:
            damaged.append(f"{r.frame_index}: pose/instances")
    return RecordCheck(True, True, frozenset(records), frozenset(reported - set(records)), tuple(damaged))
