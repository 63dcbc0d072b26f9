"""A camera read that does not return (a Jetson CSI pipeline after a sensor error, a V4L2 driver that wedged)
is said while the flight goes on, and its end too."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np

from onboard.capture import CameraSource


class HangingCapture:
    """A VideoCapture stand-in: ``good`` frames, then one ``grab()`` that blocks until ``release_grab`` is set."""

    def __init__(self, good: int) -> None:
        self.good, self.grabs = good, 0
        self.release_grab = threading.Event()

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return True

    def grab(self) -> bool:
        self.grabs += 1
        if self.grabs == self.good + 1:
            self.release_grab.wait(30.0)
        return True

    def retrieve(self) -> tuple[bool, np.ndarray]:
        return True, np.zeros((4, 4, 3), np.uint8)

    def release(self) -> None:
        self.release_grab.set()


def _wait_for(caplog, text: str, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s  # a guard only: the warning is due after read_timeout_s (0.2 s)
    while time.monotonic() < deadline:
        if any(text in r.getMessage() for r in caplog.records):
            return True
        time.sleep(0.02)
    return False


def test_a_camera_read_that_hangs_is_said_and_so_is_its_return(monkeypatch, caplog) -> None:
    # Before: nothing was said: a grab() that never returned left the capture thread waiting for the rest of
    # the flight, the record got no frames and the operator had no sign of it until the run was stopped.
    cap = HangingCapture(good=2)
    monkeypatch.setattr(CameraSource, "_open", lambda self: cap)
    source = CameraSource("0", read_timeout_s=0.2)
    seen: list[int] = []

    def consume() -> None:
        for frame in source:
            seen.append(frame.index)
            if len(seen) >= 4:
                return

    reader = threading.Thread(target=consume, daemon=True)
    with caplog.at_level(logging.WARNING, logger="onboard.capture"):
        reader.start()
        try:
            hung = _wait_for(caplog, "has not returned")
            cap.release_grab.set()  # the driver answers again
            back = _wait_for(caplog, "returned again")
            reader.join(10.0)
        finally:
            source.stop()
            cap.release_grab.set()
    said = [r.getMessage() for r in caplog.records if "camera read" in r.getMessage()]
    assert hung and back, said
    assert len(said) == 2 and seen == [1, 2, 3, 4]
