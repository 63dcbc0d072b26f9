"""`upload --connect tcp:HOST:PORT` to a host with no route ("No route to host", EHOSTUNREACH) or on a network
that cannot be reached ("Network is unreachable", ENETUNREACH), common when the vehicle is on another network,
says what that is and what to check, not 'Use udpout:HOST:PORT' of a string already in that form."""

from __future__ import annotations

import errno
import os
import socket

import pytest

from skyinspect.errors import TelemetryError

from missions.planning.upload import connect


@pytest.mark.timeout(30)
@pytest.mark.parametrize("code", [errno.EHOSTUNREACH, errno.ENETUNREACH])
def test_a_tcp_connect_with_no_route_says_the_host_cannot_be_reached(code: int,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: '--connect tcp:192.168.77.2:5760: cannot open ([Errno 113] No route to host). Use udpout:HOST:PORT,
    # tcp:HOST:PORT or a serial device'.
    def no_route(*_a: object, **_kw: object) -> socket.socket:
        raise OSError(code, os.strerror(code))  # what the kernel says with no route to the host or network

    monkeypatch.setattr(socket, "create_connection", no_route)
    with pytest.raises(TelemetryError) as err:
        connect("tcp:192.168.77.2:5760", timeout_s=0.5)
    said = str(err.value)
    assert "--connect tcp:192.168.77.2:5760" in said and os.strerror(code) in said, said
    assert "Use udpout" not in said and "cannot reach" in said and "route" in said and "network" in said, said
