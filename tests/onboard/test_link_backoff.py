"""The live link's reconnect back-off: it grows while links die soon after opening, starts again once a
link has carried telemetry for ``healthy_s``, and a link dropped for silence is reopened after the first step."""

from __future__ import annotations

import time

import pytest
from onboard_helpers import BackoffWaits
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.telemetry.live import LiveMavlink


def _position() -> mavlink.MAVLink_message:
    enc = mavlink.MAVLink(None, srcSystem=1, srcComponent=1)
    ms = int(time.monotonic() * 1000) % 2**32
    raw = mavlink.MAVLink_global_position_int_message(ms, 470000000, 80000000, 500000, 20000, 0, 0, 0, 0).pack(enc)
    return mavlink.MAVLink(None).parse_buffer(raw)[0]


class _Conn:
    """One opened link: telemetry for ``stream_s`` (at 100 Hz), then ``end``: 'error' raises as a TCP
    reset does, 'silent' reads nothing."""

    def __init__(self, stream_s: float, end: str) -> None:
        self.stream_s, self.end, self.opened = stream_s, end, time.monotonic()

    def recv_match(self, blocking: bool = True, timeout: float = 0.1) -> mavlink.MAVLink_message | None:
        time.sleep(0.01)
        if time.monotonic() - self.opened < self.stream_s:
            return _position()
        if self.end == "error":
            raise ConnectionResetError("closed by the other end")
        return None

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def test_the_back_off_grows_until_a_link_stays_healthy_and_silence_reopens_promptly() -> None:
    script = [(0.0, "error"), (0.0, "error"), (0.05, "error"),  # dies soon after opening, even with telemetry
              (0.0, "error"),
              (0.5, "error"),  # healthy for healthy_s (0.3 s): the back-off starts again
              (0.0, "error"), (0.0, "error"),
              (0.0, "silent")]  # silence: reopened after the first step, not the grown back-off
    conns = iter(script)

    def connect(url: str, system: int, component: int) -> _Conn:
        stream_s, end = next(conns, (0.0, "silent"))
        return _Conn(stream_s, end)

    live = LiveMavlink("tcp:127.0.0.1:5760", connect=connect, link_timeout_s=0.2, backoff_s=0.01, max_backoff_s=0.64)
    live.healthy_s = 0.3
    live._stop = waits = BackoffWaits()
    live.start()
    try:
        deadline = time.monotonic() + 20.0  # only a guard
        while len(waits.waits) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        live.stop()
    assert waits.waits[:8] == pytest.approx([0.01, 0.02, 0.04, 0.08, 0.01, 0.02, 0.04, 0.01]), waits.waits
