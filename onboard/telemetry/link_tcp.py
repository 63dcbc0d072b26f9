"""pymavlink's TCP client link with a bounded, quiet connect that raises once the other end closes (``onboard
--mavlink tcp:`` and ``upload --connect tcp:``).

pymavlink's ``mavtcp`` connects a blocking socket without a timeout: to a host that never answers (off, on another
network, a firewall dropping the port) each try waited for the kernel's SYN retries, ~130 s with Linux's
tcp_syn_retries 6, and its retries printed '... sleeping' to stdout. Here the whole connect, retries included,
ends by ``connect_timeout_s`` and prints nothing; the caller says what failed.

A link whose other end closes raises (ConnectionResetError) at the next read or write, so the live link reopens it
at once and an upload stops with the step it was at: pymavlink (autoreconnect off) printed 'EOF on TCP socket' at
every read of a closed stream, ~100,000 lines a second, until the link's silence timeout called it lost (onboard)
or the mission protocol's retries ran out (upload: 410,036 lines).
"""

from __future__ import annotations

import socket
import time

from pymavlink import mavutil

from onboard.telemetry.link_spec import CONNECT_TIMEOUT_S


class BoundedTcp(mavutil.mavtcp):
    """``mavtcp`` whose connect gives up after ``connect_timeout_s`` (TimeoutError saying so) and whose closed
    stream raises instead of printing."""

    reconnect_delay = 1.0  # s between tries: pymavlink 2.4.50 sets it in __init__, 2.4.40 (pyproject allows it) not

    def __init__(self, device: str, *, connect_timeout_s: float = CONNECT_TIMEOUT_S, **kwargs: object) -> None:
        self.connect_timeout_s = connect_timeout_s
        super().__init__(device, **kwargs)  # type: ignore[arg-type]

    def do_connect(self) -> None:
        deadline = time.monotonic() + self.connect_timeout_s
        tries = max(int(self.retries), 1)  # as pymavlink: 0 is one try
        for k in range(tries):
            try:
                port = socket.create_connection(self.destination_addr,
                                                timeout=max(deadline - time.monotonic(), 0.001))
                break
            except TimeoutError as exc:
                raise TimeoutError(f"no answer to the TCP connection within {self.connect_timeout_s:g} s") from exc
            except socket.gaierror:
                raise  # a name that does not resolve will not on the next try either
            except OSError:
                if k == tries - 1 or deadline - time.monotonic() <= self.reconnect_delay:
                    raise
                time.sleep(self.reconnect_delay)  # a server just starting (SITL) listens within a second or two
        port.setblocking(False)
        mavutil.set_close_on_exec(port.fileno())
        port.setsockopt(socket.SOL_TCP, socket.TCP_NODELAY, 1)
        self.port = port

    def handle_eof(self) -> None:
        raise ConnectionResetError("closed by the other end")  # the log line names the link

    def handle_disconnect(self) -> None:
        raise ConnectionResetError("reset by the other end")
