"""A live TCP link nobody answers yet (SITL or mavlink-router's TCP server not started, the wrong port) is
retried by the link's own back-off and said once, without pymavlink's own retries printing to stdout; one
whose other end closes is lost and reopened at once, without pymavlink printing 'EOF on TCP socket'; one that
accepts and closes at once is retried with a growing back-off."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
from onboard_helpers import BackoffWaits
from pymavlink.dialects.v20 import ardupilotmega as mavlink

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


class ClosingTcpVehicle(threading.Thread):
    """A TCP server (SITL, mavlink-router) streaming position and attitude at 20 Hz to each connection; the
    first connection is closed the polite way (everything read, then FIN) after ``close_after_s``."""

    def __init__(self, close_after_s: float) -> None:
        super().__init__(daemon=True)
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(2)
        self.srv.settimeout(0.2)
        self.port = self.srv.getsockname()[1]
        self.close_after_s, self.connections = close_after_s, 0
        self.stop = threading.Event()

    def run(self) -> None:
        enc = mavlink.MAVLink(None, srcSystem=1, srcComponent=1)
        while not self.stop.is_set():
            try:
                conn, _ = self.srv.accept()
            except socket.timeout:
                continue
            self.connections += 1
            conn.setblocking(False)
            start = time.monotonic()
            while not self.stop.is_set():
                ms = int(time.monotonic() * 1000)
                try:
                    while conn.recv(65536):  # read what the companion sends, as a real server does
                        pass
                except BlockingIOError:
                    pass
                except OSError:
                    break
                if self.connections == 1 and time.monotonic() - start > self.close_after_s:
                    conn.shutdown(socket.SHUT_WR)  # FIN: the server went away cleanly
                    self.stop.wait(1.0)
                    break
                for m in (mavlink.MAVLink_global_position_int_message(ms, 470000000, 80000000, 500000, 20000, 0, 0,
                                                                      0, 0),
                          mavlink.MAVLink_attitude_message(ms, 0.0, 0.0, 1.5, 0, 0, 0)):
                    try:
                        conn.sendall(m.pack(enc))
                    except OSError:
                        pass
                time.sleep(0.05)
            conn.close()
        self.srv.close()


def test_a_tcp_link_the_other_end_closes_is_lost_and_reopened_at_once(capsys, caplog) -> None:
    # Before: pymavlink swallowed the end of the stream and printed 'EOF on TCP socket' at every read, ~98,000
    # lines in the 1 s until the link's silence timeout (2 s by default: twice that), spinning a core; the
    # link was only called lost by that timeout.
    vehicle = ClosingTcpVehicle(close_after_s=0.5)
    vehicle.start()
    live = LiveMavlink(f"tcp:127.0.0.1:{vehicle.port}", link_timeout_s=60.0, backoff_s=0.05)
    try:
        with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
            live.start()
            deadline = time.monotonic() + 20.0  # only a guard: the 60-s silence timeout never fires here
            while live.reconnects < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        live.stop()
        vehicle.stop.set()
        vehicle.join(5)
    out = capsys.readouterr().out
    assert "EOF on TCP socket" not in out, f"{out.count(chr(10))} lines printed"
    assert live.reconnects == 1 and vehicle.connections >= 2
    assert any("closed by the other end" in r.getMessage() for r in caplog.records)


def test_a_tcp_server_that_accepts_and_closes_at_once_is_backed_off(caplog) -> None:
    # A server that accepts each connection and closes it at once (a mavlink-router endpoint refusing a
    # client, a half-dead SITL). Before: each successful connect reset the back-off, so every reconnect
    # waited the first 0.25 s and warned (20 reconnects and 20 warnings in 5 s, ~14,000 an hour).
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    stop, accepted = threading.Event(), []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except socket.timeout:
                continue
            accepted.append(time.monotonic())
            conn.close()

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    live = LiveMavlink(f"tcp:127.0.0.1:{srv.getsockname()[1]}", link_timeout_s=60.0, backoff_s=0.01,
                       max_backoff_s=0.08)
    live._stop = waits = BackoffWaits()
    try:
        with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
            live.start()
            deadline = time.monotonic() + 20.0  # only a guard
            while len(waits.waits) < 6 and time.monotonic() < deadline:
                time.sleep(0.01)
    finally:
        live.stop()
        stop.set()
        server.join(5)
        srv.close()
    assert waits.waits[:6] == pytest.approx([0.01, 0.02, 0.04, 0.08, 0.08, 0.08]), waits.waits
    assert live.reconnects == 0 and not live.link_up  # no telemetry ever flowed
    said = [r.getMessage() for r in caplog.records if "link error" in r.getMessage()]
    assert live.connects >= 6 and len(said) == 1, said  # once, not at each reconnect


def test_a_refused_tcp_connection_is_retried_on_the_oldest_pymavlink_allowed(monkeypatch, capsys) -> None:
    # pyproject allows pymavlink>=2.4.40, whose mavtcp.__init__ sets no reconnect_delay (2.4.50's does): BoundedTcp's
    # retry read it and upload's refused port (3 tries) said "cannot open ('BoundedTcp' object has no attribute
    # 'reconnect_delay')" after its first try.
    from pymavlink import mavutil

    from onboard.telemetry.link_spec import open_link, parse_link

    def init_2_4_40(self, device, autoreconnect=False, source_system=255, source_component=0, retries=6,  # type: ignore[no-untyped-def]
                    use_native=False) -> None:
        host, port = device.split(":")  # pymavlink 2.4.40's mavtcp.__init__, line for line but its bad-port exit
        self.destination_addr = (host, int(port))
        self.autoreconnect = autoreconnect
        self.retries = retries
        self.do_connect()
        mavutil.mavfile.__init__(self, self.port.fileno(), "tcp:" + device, source_system=source_system,
                                 source_component=source_component, use_native=use_native)

    monkeypatch.setattr(mavutil.mavtcp, "__init__", init_2_4_40)
    started = time.monotonic()
    with pytest.raises(ConnectionRefusedError):
        open_link(parse_link(f"tcp:127.0.0.1:{_closed_port()}"), 255, 190, retries=2, connect_timeout_s=5.0)
    assert time.monotonic() - started >= 0.9  # the second try came, a second after the first
    assert capsys.readouterr().out == ""
