"""A live TCP link whose host has no route ("No route to host", EHOSTUNREACH) or whose network cannot be reached
("Network is unreachable", ENETUNREACH), common when the vehicle or router is on another network, is said as
such with what to check, not as a port held by another MAVLink program."""

from __future__ import annotations

import errno
import logging
import os
import socket
import time

import pytest

from onboard.telemetry.live import LiveMavlink


@pytest.mark.timeout(60)
@pytest.mark.parametrize("code", [errno.EHOSTUNREACH, errno.ENETUNREACH])
def test_a_live_tcp_link_with_no_route_is_said_as_unreachable(code: int, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    # Before: '... ([Errno 113] No route to host; 1 tries so far) ... A port in use is usually held by another
    # MAVLink program (mavproxy, mavlink-router, a second skyinspect)', which an unreachable host is not.
    def no_route(*_a: object, **_kw: object) -> socket.socket:
        raise OSError(code, os.strerror(code))  # what the kernel says with no route to the host or network

    monkeypatch.setattr(socket, "create_connection", no_route)
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        live = LiveMavlink("tcp:192.168.77.2:5760", connect_timeout_s=0.5, backoff_s=0.01, max_backoff_s=0.02)
        live.start()
        try:
            deadline = time.monotonic() + 20.0
            while live._open_failures < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            live.stop()
    said = [r.getMessage() for r in caplog.records if "cannot open link" in r.getMessage()]
    assert live._open_failures >= 2 and len(said) == 1, said
    assert "192.168.77.2" in said[0] and os.strerror(code) in said[0], said[0]
    assert "another MAVLink program" not in said[0], said[0]
    assert "cannot reach" in said[0] and "route" in said[0] and "network" in said[0], said[0]
