"""A live TCP link nobody answers yet (SITL or mavlink-router's TCP server not started, the wrong port):
retried by the link's own back-off and said once, without pymavlink's own retries printing to stdout."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from onboard.telemetry.link_spec import pymavlink_connect
from onboard.telemetry.live import LiveMavlink


def _closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_tcp_connection_is_one_quiet_try(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: pymavlink tried 3 times a second apart, printing '[Errno 111] Connection refused sleeping' to
    # the operator's console each time (the link retries all flight: one line a second), and the link's
    # back-off and once-a-minute warning never governed the retries.
    with pytest.raises(ConnectionRefusedError):
        pymavlink_connect(f"tcp:127.0.0.1:{_closed_port()}", 255, 191)
    assert capsys.readouterr().out == ""


def test_a_refused_tcp_link_is_said_with_what_to_check(capsys, caplog) -> None:
    # Before: '... A port in use is usually held by another MAVLink program', which a refused connection is not.
    live = LiveMavlink(f"tcp:127.0.0.1:{_closed_port()}", backoff_s=0.005, max_backoff_s=0.01)
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        live.start()
        try:
            deadline = time.monotonic() + 30.0
            while live._open_failures < 3 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            live.stop()
    said = [r.getMessage() for r in caplog.records if "cannot open link" in r.getMessage()]
    assert live._open_failures >= 3 and len(said) == 1, said
    assert "refused" in said[0] and "nothing accepts connections" in said[0].lower() and "another MAVLink" not in said[0]
    assert "sleeping" not in capsys.readouterr().out
