"""A pymavlink 'vehicle' on 127.0.0.1 for the live tests (not a simulator: straight flight, fixed attitude).

Its boot clock is the host clock minus ``boot_host_s`` (so host − boot = ``boot_host_s`` exactly);
its GNSS UTC (SYSTEM_TIME) is the host clock plus ``utc_error_s``, i.e. a companion whose clock is
``utc_error_s`` behind the vehicle's UTC. It answers TIMESYNC requests like ArduPilot: ``tc1`` = its
boot time in ns (µs resolution) taken when the request arrived, ``ts1`` mirrored. ``camera_clock_s``
adds a second component (a camera, compid 100) that answers the same requests with its own clock
(boot + that many seconds): the companion must not take that as the autopilot's offset.

Like ArduPilot/PX4 it also asks the companion: a TIMESYNC request (``ts1`` = its boot ns + sysid)
``timesync_hz`` times a second; ``requests_sent`` maps each ts1 to the host time just before the write,
``replies`` holds the answers to them (with the host time they arrived) and ``stray_replies`` any
TIMESYNC reply that answers no request of its own (the companion answering itself or a reply).
``echo_requests`` sends every request it receives straight back, byte for byte, as a router or a
broadcast link would: the companion must not answer its own request.
"""

from __future__ import annotations

import math
import select
import socket
import threading
import time
from dataclasses import dataclass

from pymavlink.dialects.v20 import ardupilotmega as mavlink

M_PER_DEG_LAT = 111_195.0
SPEED_N_MPS = 5.0


@dataclass(frozen=True)
class TimesyncAnswer:
    """A reply the vehicle got to one of its own requests (host clock, s)."""

    tc1_ns: int
    ts1_ns: int
    sent_host_s: float  # the request's write
    arrived_host_s: float  # the reply's arrival (taken once the datagram is waiting)
    src: tuple[int, int]
    target: tuple[int, int] | None  # None where the dialect has no target fields


class PtyEnd:
    """The vehicle's end of a serial line: the master side of a pseudo-terminal (``os.openpty``), whose
    slave path (``/dev/pts/N``) the companion opens as its serial device. Raw mode, so the line
    discipline neither echoes nor rewrites bytes before the companion's pyserial sets its own."""

    def __init__(self) -> None:
        import os
        import tty

        self.port, self.slave_fd = os.openpty()  # ``port``: what the vehicle's select() waits on
        tty.setraw(self.slave_fd)
        os.set_blocking(self.port, False)
        self.path = os.ttyname(self.slave_fd)

    def write(self, data: bytes) -> None:
        import os

        try:
            os.write(self.port, data)
        except BlockingIOError:  # nobody reads the line (not yet open): a UART drops the bytes too
            pass

    def recv(self) -> bytes:
        import os

        try:
            return os.read(self.port, 4096)
        except OSError:  # nothing waiting, or EIO once nothing holds the slave open
            return b""

    def close(self) -> None:
        pass  # closed by ``release`` once the test has read the line's settings

    def release(self) -> None:
        import os

        for fd in (self.port, self.slave_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackVehicle(threading.Thread):
    """Streams position/attitude/GPS/SYSTEM_TIME at 20 Hz and CAMERA_FEEDBACK at 2 Hz, goes silent
    during ``silent`` (s after start), answers TIMESYNC, sends its own TIMESYNC request every second
    and collects what it receives."""

    def __init__(self, port: int, silent: tuple[float, float] = (0.0, 0.0), duration_s: float = 6.0, *,
                 utc_error_s: float = 0.0, camera_clock_s: float | None = None, timesync_hz: float = 1.0,
                 echo_requests: bool = False, link: object | None = None, heartbeat: bool = False) -> None:
        super().__init__(daemon=True)
        from pymavlink import mavutil

        # ``link``: another wire than UDP (``PtyEnd``: the vehicle's end of a pseudo-terminal serial line)
        self.conn = link if link is not None else mavutil.mavlink_connection(f"udpout:127.0.0.1:{port}")
        self.enc = mavlink.MAVLink(None, srcSystem=1, srcComponent=1)  # MAVLink 2 encoder of our own
        self.reply_enc = mavlink.MAVLink(None, srcSystem=1, srcComponent=1)  # used by the answering thread
        self.camera_enc = mavlink.MAVLink(None, srcSystem=1, srcComponent=100)
        self.parser = mavlink.MAVLink(None)
        self.silent, self.duration_s = silent, duration_s
        self.utc_error_s, self.camera_clock_s = utc_error_s, camera_clock_s
        self.received: list = []
        self.timesync_answered = 0
        self.request_every = max(1, round(20 / timesync_hz)) if timesync_hz > 0 else 0
        self.echo_requests = echo_requests
        # an ArduCopter HEARTBEAT at 1 Hz with the telemetry, and one parameter for PARAM_REQUEST_LIST: what
        # dronekit.connect's initialize waits for
        self.heartbeat = heartbeat
        self.requests_sent: dict[int, float] = {}
        self.replies: list[TimesyncAnswer] = []
        self.stray_replies: list = []
        self.boot_host_s = time.time() - 100.0  # host clock − vehicle boot clock
        self.boot0_s = 100.0  # boot time at which the flight's track starts
        self.stop_flag = threading.Event()
        self._silent_until = -math.inf  # monotonic end of a silence begun by go_silent
        self._answering = threading.Thread(target=self._answer, daemon=True)

    def go_silent(self, seconds: float) -> None:
        """Stop streaming telemetry for ``seconds`` from now (TIMESYNC answers go on): a silence tied to
        what the test has seen (a frame recorded), where ``silent`` counts from the vehicle's start and a
        slow start-up on a busy machine (frames written, link opened) moved the camera past it."""
        self._silent_until = time.monotonic() + seconds

    # --- the vehicle's truth -------------------------------------------------------------------------
    def boot_s(self, host_s: float) -> float:
        return host_s - self.boot_host_s

    def lat_at_boot(self, boot_s: float) -> float:
        return 47.0 + SPEED_N_MPS * (boot_s - self.boot0_s) / M_PER_DEG_LAT

    def lat_at_host(self, host_s: float) -> float:
        return self.lat_at_boot(self.boot_s(host_s))

    # --- threads -------------------------------------------------------------------------------------
    def run(self) -> None:
        self.boot0_s = self.boot_s(time.time())
        self._answering.start()
        start = time.monotonic()
        k = 0
        while not self.stop_flag.is_set() and time.monotonic() - start < self.duration_s:
            el = time.monotonic() - start
            now = time.time()
            ms = int(self.boot_s(now) * 1000)
            if not (self.silent[0] <= el < self.silent[1]) and time.monotonic() >= self._silent_until:
                lat = self.lat_at_boot(ms / 1000.0)  # the position at exactly the stamped time
                msgs = [mavlink.MAVLink_global_position_int_message(ms, round(lat * 1e7), 80_000_000, 500_000, 20_000,
                                                                    0, 0, 0, 0),
                        mavlink.MAVLink_attitude_message(ms, 0.02, -0.03, math.radians(90.0), 0, 0, 0),
                        mavlink.MAVLink_gps_raw_int_message(ms * 1000, 6, round(lat * 1e7), 80_000_000,
                                                            500_000, 80, 120, 0, 0, 15, 0, 20, 30, 0, 0, 0)]
                utc_us = int((self.boot_host_s + ms / 1000.0 + self.utc_error_s) * 1e6)
                if k % 5 == 0:
                    msgs.append(mavlink.MAVLink_system_time_message(utc_us, ms))
                if k % 10 == 0:
                    msgs.append(mavlink.MAVLink_camera_feedback_message(
                        utc_us, 1, 0, k // 10 + 1, round(lat * 1e7), 80_000_000, 500.0, 20.0, 1.0, -2.0, 90.0, 0.0, 0))
                if self.heartbeat and k % 20 == 0:  # quadrotor, ArduPilot, custom mode 0 (STABILIZE), standby
                    msgs.append(mavlink.MAVLink_heartbeat_message(2, 3, 1, 0, 3, 3))
                if self.request_every and k % self.request_every == 0:  # ArduPilot asks the GCS too:
                    msgs.append(mavlink.MAVLink_timesync_message(0, ms * 1_000_000 + 1))  # ts1 = boot ns + sysid
                for m in msgs:
                    buf = m.pack(self.enc)
                    if m.get_type() == "TIMESYNC":
                        self.requests_sent[m.ts1] = time.time()
                    self.conn.write(buf)
            k += 1
            time.sleep(0.05)
        self.stop_flag.set()
        self._answering.join(2.0)
        self.conn.close()

    def _answer(self) -> None:
        """Receive everything; answer each TIMESYNC request at once, stamped on arrival."""
        while not self.stop_flag.is_set():
            ready, _, _ = select.select([self.conn.port], [], [], 0.05)
            if not ready:
                continue
            arrived_host_s = time.time()
            arrived_boot_ns = int(self.boot_s(arrived_host_s) * 1e6) * 1000  # µs resolution, like micros64()
            data = self.conn.recv()
            if not data:
                continue
            for m in self.parser.parse_buffer(data) or []:
                self.received.append(m)
                if m.get_type() == "PARAM_REQUEST_LIST" and self.heartbeat:
                    self.conn.write(mavlink.MAVLink_param_value_message(b"SYSID_THISMAV", 1.0, 2, 1, 0)
                                    .pack(self.reply_enc))
                if m.get_type() == "TIMESYNC" and m.tc1 != 0:
                    self._record_reply(m, arrived_host_s)
                elif m.get_type() == "TIMESYNC" and self.echo_requests:
                    self.conn.write(m.get_msgbuf())  # the companion's own request, back to it unchanged
                if m.get_type() == "TIMESYNC" and m.tc1 == 0:
                    self.conn.write(mavlink.MAVLink_timesync_message(arrived_boot_ns, m.ts1).pack(self.reply_enc))
                    self.timesync_answered += 1
                    if self.camera_clock_s is not None:
                        camera_ns = arrived_boot_ns + int(self.camera_clock_s * 1e9)
                        self.conn.write(mavlink.MAVLink_timesync_message(camera_ns, m.ts1).pack(self.camera_enc))

    def _record_reply(self, m: mavlink.MAVLink_message, arrived_host_s: float) -> None:
        sent = self.requests_sent.get(m.ts1)
        if sent is None:
            self.stray_replies.append(m)
            return
        target = (m.target_system, m.target_component) if hasattr(m, "target_system") else None
        self.replies.append(TimesyncAnswer(m.tc1, m.ts1, sent, arrived_host_s,
                                           (m.get_srcSystem(), m.get_srcComponent()), target))
