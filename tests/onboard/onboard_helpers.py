"""Test data paths and the fake segmenter shared by the onboard tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from skyinspect.segmentation import CRACK, Instance, Segmentation

DATA = Path(__file__).resolve().parents[1] / "data" / "telemetry"
FACADE_TLOG = DATA / "arducopter_sitl_facade" / "flight.tlog"
PLANE_DIR = DATA / "arduplane_real_2016"


class DarkPixelSegmenter:
    """Test double for the Segmenter protocol: pixels darker than 60 are 'crack'."""

    model_id = "test-dark-pixels"
    sha256 = "0" * 64

    def segment(self, image_bgr: np.ndarray) -> Segmentation:
        gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        class_map = np.where(gray < 60, CRACK, 0).astype(np.uint8)
        contours, _ = cv2.findContours(class_map, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        instances = [Instance(CRACK, 0.9, c.reshape(-1, 2).astype(float), float(cv2.contourArea(c)))
                     for c in contours if len(c) >= 3]
        return Segmentation(class_map, tuple(instances), self.model_id)

PX4_ULOG = DATA / "px4_real" / "sample_log_small.ulg"
PLANE_BIN = DATA / "arduplane_dataflash" / "test.BIN"
FACADE_BIN = DATA / "arducopter_sitl_facade" / "flight_subset.BIN"
DJI_DIR = DATA / "dji_phantom3_brighton"
ROOT = Path(__file__).resolve().parents[2]


def run_on_tmpfs(script: str, mount: Path, size: str, *args: object) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (Python; ``{root}`` and ``{tests}`` filled in, for its sys.path) with ``args`` in a
    user namespace where a tmpfs of ``size`` ("2m") is mounted on the existing folder ``mount``: a small
    or full disk, or a mount point, without root. Skips the test where Linux's unshare or an unprivileged
    tmpfs mount is not available."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        pytest.skip("needs Linux unshare")
    path = mount.parent / f"{mount.name}-script.py"
    path.write_text(textwrap.dedent(script.format(root=str(ROOT), tests=str(Path(__file__).parent))))
    cmd = " ".join([f"mount -t tmpfs -o size={size} tmpfs {mount} &&", sys.executable, str(path), *map(str, args)])
    run = subprocess.run(["unshare", "-rm", "sh", "-c", cmd], capture_output=True, text=True, timeout=120)
    if "mount" in run.stderr and run.returncode != 0 and not run.stdout:
        pytest.skip(f"no tmpfs in a user namespace here: {run.stderr.strip()[:200]}")
    return run


def fill_disk(folder: Path) -> None:
    """Write zeros into ``folder / "fill"`` until the disk refuses more (for scripts run by ``run_on_tmpfs``)."""
    with open(Path(folder) / "fill", "wb") as f:
        try:
            while True:
                f.write(bytes(65536))
                f.flush()
        except OSError:
            pass


def write_camera(path: Path) -> Path:
    """A 64x48 pinhole calibration (the size of ``make_frames``' frames) at ``path``."""
    path.write_text('{"image_width": 64, "image_height": 48, "camera_matrix": '
                    '[[55, 0, 31.5], [0, 55, 23.5], [0, 0, 1]], '
                    '"distortion_coefficients": [0, 0, 0, 0, 0]}')
    return path


def make_frames(folder: Path, n: int, w: int = 64, h: int = 48, suffix: str = ".png") -> Path:
    """n synthetic frames IMG_1..IMG_n, each with one dark square (one instance for the fake segmenter)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = np.full((h, w, 3), 200, np.uint8)
        y = 5 + (i % max(h - 20, 1))
        img[y:y + 10, 10:30] = 20
        cv2.imwrite(str(folder / f"IMG_{i + 1}{suffix}"), img)
    return folder


class BackoffWaits(threading.Event):
    """A LiveMavlink's stop event (``live._stop``) noting each back-off it waits: the reconnect loop's only sleep."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is not None:
            self.waits.append(timeout)
        return super().wait(timeout)


class FakeDronekitVehicle:
    """The documented dronekit API DronekitTelemetry uses: message listeners, send_mavlink, message_factory and
    ``last_heartbeat`` (seconds since the vehicle's last HEARTBEAT, None before the first)."""

    def __init__(self) -> None:
        from pymavlink.dialects.v20 import ardupilotmega as mavlink

        self.listeners: list = []
        self.sent: list = []
        self.message_factory = mavlink.MAVLink(None)
        self.last_heartbeat: float | None = None

    def add_message_listener(self, name: str, fn) -> None:  # type: ignore[no-untyped-def]
        self.listeners.append((name, fn))

    def remove_message_listener(self, name: str, fn) -> None:  # type: ignore[no-untyped-def]
        self.listeners.remove((name, fn))

    def send_mavlink(self, msg) -> None:  # type: ignore[no-untyped-def]
        self.sent.append(msg)
