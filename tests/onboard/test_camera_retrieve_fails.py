"""A camera whose ``grab()`` succeeds but whose ``retrieve()`` gives no image (a V4L2 MJPEG camera sending
corrupt frames, a GStreamer appsink that lost its caps) is handled like one that stopped delivering frames."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

from onboard.capture import CameraSource


class GrabsButNoImage:
    """A VideoCapture stand-in: ``good`` frames, then ``grab()`` True and ``retrieve()`` (False, None) for ever."""

    def __init__(self, good: int) -> None:
        self.good, self.retrieves, self.released = good, 0, False

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return True

    def grab(self) -> bool:
        return True

    def retrieve(self) -> tuple[bool, np.ndarray | None]:
        self.retrieves += 1
        if self.retrieves <= self.good:
            return True, np.zeros((4, 4, 3), np.uint8)
        return False, None

    def release(self) -> None:
        self.released = True


@pytest.mark.parametrize("reconnect", [False, True])
def test_frames_that_cannot_be_retrieved_are_said_and_end_or_reopen(monkeypatch, caplog, reconnect: bool) -> None:
    # Before: each failed retrieve() was skipped with no pause and no clock: the capture thread spun a core
    # for the rest of the flight without a word and never reopened (nor ended) the camera.
    caps: list[GrabsButNoImage] = []

    def open_fake(self: CameraSource) -> GrabsButNoImage:
        caps.append(GrabsButNoImage(good=3 if not caps else 10**9))
        return caps[-1]

    monkeypatch.setattr(CameraSource, "_open", open_fake)
    source = CameraSource("0", read_timeout_s=0.2, reconnect=reconnect, backoff_s=0.05)
    guard = threading.Timer(10.0, source.stop)  # a camera never given up must not hang the suite
    guard.start()
    seen = 0
    try:
        with caplog.at_level(logging.WARNING, logger="onboard.capture"):
            for _ in source:
                seen += 1
                if seen >= 6:
                    break
    finally:
        stopped_by_guard = source._stopped  # only the guard stops it
        guard.cancel()
    assert not stopped_by_guard, "the camera giving no images was neither reopened nor given up"
    assert any("no frame that decodes for" in r.getMessage() for r in caplog.records)
    if reconnect:
        assert seen == 6 and source.reconnects == 1 and len(caps) == 2 and caps[0].released
    else:
        assert seen == 3 and len(caps) == 1
        # paced like a failed grab (0.01 s), not a busy loop: 0.2 s of failures are a few dozen tries
        assert caps[0].retrieves < 3 + 200
