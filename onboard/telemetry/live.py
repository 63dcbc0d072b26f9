"""A live MAVLink link (pymavlink opens it; our ``TelemetryBuffer`` merges it) with reconnects.

``LiveMavlink(url)`` runs one receiver thread. pymavlink's ``mavlink_connection`` opens ``udp:``/
``udpin:``/``udpout:``/``tcp:``/serial links and decodes frames; every message is stored with its
arrival time (host clock, UTC) in a sliding window. ``buffer()`` builds a ``TelemetryBuffer`` from
that window (cached until new data arrives), so a live frame is tagged by exactly the code that
tags a replayed one.

Link loss: no message for ``link_timeout_s`` (or an exception from the link) closes the connection
and reopens it with exponential back-off (``backoff_s`` … ``max_backoff_s``); recording goes on
meanwhile — frames that fall in the hole are recorded untagged with the gap as the reason.

Sending: one sender thread owns every write to the link (TIMESYNC requests and replies, alerts from
the recording thread), so the receiver never waits on a full serial buffer and two threads never
interleave frames; ``send`` queues (bounded; False when the link is down or the queue is full).
The sending side is ``onboard.telemetry.link_sender.LinkSender``.

Time: the sender sends TIMESYNC requests (``TimesyncRequester``: ts1 = host clock in ns, taken just
before the write; a burst of 8 at 10 Hz, then 1 Hz) and the receiver keeps the replies that mirror
its own ts1, so the window holds round trips between the host clock and the vehicle's boot clock;
the buffer estimates the offset from them (``onboard.telemetry.timesync``). With SYSTEM_TIME (GNSS UTC) too, a frame stamped by the host clock
maps host → boot → UTC (``TelemetryBuffer.from_receiver_clock``) and the host clock need not be
synced. Without TIMESYNC replies the host clock is taken to be UTC (chrony + GNSS/NTP on the
companion); without SYSTEM_TIME samples are timed on the host clock (``"tlog"``), by TIMESYNC where
the vehicle answers, else by arrival, which adds the link latency — compensate with ``--latency-s``.

The vehicle's own TIMESYNC requests (ArduPilot and PX4 time their companions with them) are answered
on the same host clock: ``tc1`` = the midpoint of the request's arrival and the reply's write, so the
time it waits in our queue widens the vehicle's round trip but does not bias its offset.
"""

from __future__ import annotations

import logging
import math
import queue
import socket
import threading
import time
from collections import deque
from functools import partial
from collections.abc import Callable

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.telemetry.buffer import TelemetryBuffer
from onboard.telemetry.convert import Record
from onboard.telemetry import link_log
from onboard.telemetry.link_peers import CompanionHeartbeat, VehicleLock
from onboard.telemetry.link_sender import LinkSender
from onboard.telemetry.link_spec import CONNECT_TIMEOUT_S, pymavlink_connect, unreachable_hint
from onboard.telemetry.mount import FixedMount
from onboard.telemetry import timesync
from onboard.telemetry.timesync import TimesyncRequester
from skyinspect.errors import TelemetryError

log = logging.getLogger(__name__)

# Messages whose time_boot_ms is the autopilot's boot clock: one going back by more than this is a
# reboot (reordered or duplicated packets go back by far less).
_BOOT_CLOCKED = ("GLOBAL_POSITION_INT", "ATTITUDE", "SYSTEM_TIME")
REBOOT_JUMP_S = 5.0
# Telemetry (since the link first carried it, or since a reboot) shorter than this may still be about to
# get its clock mapping: TIMESYNC's first burst (8 requests at 10 Hz) is answered and SYSTEM_TIME
# (1 Hz or more from ArduPilot and PX4) has come by then.
CLOCK_SETTLE_S = 2.0
NOT_STREAMING_S = 5.0  # a vehicle heard this long without position and attitude is said to lack them
# The reconnect back-off starts again from its first step only once a link has carried messages this
# long since it opened: a server that accepts and closes at once was retried every 0.25 s all flight.
LINK_HEALTHY_S = 5.0
_CLOCK_TYPES = ("TIMESYNC", "SYSTEM_TIME")

USED = {"GLOBAL_POSITION_INT", "GPS_RAW_INT", "ATTITUDE", "ATTITUDE_QUATERNION", "MOUNT_STATUS",
        "MOUNT_ORIENTATION", "GIMBAL_DEVICE_ATTITUDE_STATUS", "SYSTEM_TIME", "TIMESYNC", "CAMERA_FEEDBACK",
        "CAMERA_TRIGGER", "CAMERA_IMAGE_CAPTURED", "HEARTBEAT"}


class LiveMavlink(LinkSender):
    """Receive one vehicle's telemetry over a link; reconnect on loss; send alerts back."""

    def __init__(self, url: str, *, link_timeout_s: float = 2.0, backoff_s: float = 0.25,
                 max_backoff_s: float = 5.0, window_s: float = 300.0, source_system: int = 255,
                 source_component: int = mavlink.MAV_COMP_ID_ONBOARD_COMPUTER,
                 connect: Callable[[str, int, int], object] | None = None, connect_timeout_s: float = CONNECT_TIMEOUT_S,
                 clock: Callable[[], float] = time.time, timesync_interval_s: float = 1.0,
                 answer_timesync: bool = True, send_queue: int = 64, system_id: int | None = None) -> None:
        self.url = url
        self.link_timeout_s = link_timeout_s
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.window_s = window_s
        self.tag_window_s = min(60.0, window_s)  # position/attitude a buffer is built from (see _recent)
        self._ids = (source_system, source_component)
        self.peers = VehicleLock(url, self._ids, system_id)  # system_id None: the first vehicle heard
        self._heartbeat = CompanionHeartbeat(source_component)
        # a TCP connect to a host that never answers is given up after connect_timeout_s (was ~130 s, unsaid)
        self._connect = connect or partial(pymavlink_connect, connect_timeout_s=connect_timeout_s)
        self._clock = clock
        self._lock = threading.Lock()
        self._records: deque[Record] = deque()
        self._received: deque[float] = deque()  # each record's arrival on the monotonic clock (the window's bound)
        self._monotonic = time.monotonic
        self._sync: deque[tuple[float, Record]] = deque(maxlen=500)  # SYSTEM_TIME kept beyond the window (and
        # when each arrived on the monotonic clock: by the host clock, stepped back, the window's own read as older)
        self._version = 0
        self._cache: tuple[int, tuple, TelemetryBuffer | str] | None = None
        self._conn: object | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sender: threading.Thread | None = None
        # Items: a message to send as is, or (request, arrival on self._clock) to answer.
        self._outbox: queue.Queue[mavlink.MAVLink_message | tuple[mavlink.MAVLink_message, float]] = \
            queue.Queue(maxsize=send_queue)
        self.timesync = TimesyncRequester(interval_s=timesync_interval_s)
        self.answer_timesync = answer_timesync
        self.timesync_answered = 0  # replies written to the link
        self.send_dropped = 0  # messages not queued (queue full) or not written (link error)
        self.connects = 0
        self.reconnects = 0
        self.messages = 0
        self.link_up = False
        self.last_rx_s = 0.0
        self.reboots = 0
        self._lost_at: float | None = None  # monotonic time of the last message before a loss
        self._said_silent = False
        self._open_error, self._open_said_at, self._open_failures = "", -math.inf, 0
        self._error_said_at = -math.inf  # when a link error was last said (see _say_link_error)
        self._said: set[str] = set()  # the buffer's warnings already logged for this link (link_log.OncePerLink)
        self._started = time.monotonic()
        self._opened_at = -math.inf  # monotonic time the link last opened
        self.healthy_s = LINK_HEALTHY_S
        self._boot_ms: dict[tuple[int, int], int] = {}  # newest time_boot_ms per (system, component)
        self.clock_settle_s = CLOCK_SETTLE_S
        self._telemetry_since: float | None = None  # arrival of the first message (again after a reboot)

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> LiveMavlink:
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="mavlink-rx", daemon=True)
        self._sender = threading.Thread(target=self._send_loop, name="mavlink-tx", daemon=True)
        self._thread.start()
        self._sender.start()
        return self

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stop.set()
        for thread in (self._thread, self._sender):
            if thread is not None:
                thread.join(timeout_s)
        self._close()

    def __enter__(self) -> LiveMavlink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_connected(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.link_up:
                return True
            time.sleep(0.02)
        return self.link_up

    # --- receiving ------------------------------------------------------------------------------
    def _run(self) -> None:
        delay = self.backoff_s
        while not self._stop.is_set():
            if self._conn is None:
                try:
                    self._conn = self._connect(self.url, *self._ids)
                    if self._stop.is_set():  # stopped while it connected: stop() has closed nothing
                        self._close()
                        break
                    self.connects += 1
                    self.last_rx_s = self._opened_at = time.monotonic()
                    log.info("%s: link opened", self.url)
                except Exception as exc:  # noqa: BLE001 - any failure to open: back off and retry
                    self._say_open_failed(exc)
                    self._stop.wait(delay)
                    delay = min(delay * 2.0, self.max_backoff_s)
                    continue
            try:
                msg = self._conn.recv_match(blocking=True, timeout=0.1)  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001 - a serial unplug or TCP reset
                self._say_link_error(exc)
                if self.link_up:
                    self._lost_at = self.last_rx_s
                self._drop_link()
                self._stop.wait(delay)  # a server that accepts and closes at once is not retried in a tight loop
                delay = min(delay * 2.0, self.max_backoff_s)
                continue
            now = time.monotonic()
            if msg is not None and msg.get_type() != "BAD_DATA" and not self.peers.from_vehicle(msg):
                if self.peers.system is None and (msg.get_srcSystem(), msg.get_srcComponent()) != self._ids:
                    self.link_up = True  # someone is there (its TIMESYNC gets answered); no telemetry yet
                if self.link_up:
                    self.add(self._clock(), msg)
                msg = None  # a GCS's heartbeat or our own echo is not telemetry: it must not keep the link up
            if msg is None or msg.get_type() == "BAD_DATA":
                if now - self.last_rx_s > self.link_timeout_s:
                    if self.link_up and self.peers.system is not None:
                        log.warning("%s: no telemetry for %.1f s; link lost, reconnecting (recording continues)",
                                    self.url, now - self.last_rx_s)
                        self._lost_at = self.last_rx_s
                    elif self._lost_at is None and not self._said_silent:  # never heard from: say so once
                        self._said_silent = True
                        log.warning("%s: no MAVLink message received from a vehicle in %.1f s; frames are recorded "
                                    "untagged until "
                                    "telemetry arrives (check that the autopilot streams to this address and port, "
                                    "or the serial device and baud rate)", self.url, now - self._started)
                    self._drop_link()
                    # not a tight loop (each try waited link_timeout_s): a UDP link is reopened promptly
                    self._stop.wait(self.backoff_s)
                continue
            self.last_rx_s = now
            if now - self._opened_at >= self.healthy_s:
                delay = self.backoff_s
            if not self.link_up:
                self.link_up = True
                if self._lost_at is not None:  # a reconnect is telemetry flowing again, not a reopened socket
                    self.reconnects += 1
                    log.warning("%s: telemetry back after %.1f s", self.url, now - self._lost_at)
                    self._lost_at = None
            self.add(self._clock(), msg)

    def _say_link_error(self, exc: Exception) -> None:
        """Each time a link that carried telemetry fails; a link that fails again before any (a server that
        accepts and closes at once) once a minute: its words alternate between closed and reset by the
        other end, by whether our heartbeat reached it first."""
        now = time.monotonic()
        if not self.link_up and now - self._error_said_at < 60.0:
            log.debug("%s: link error (%s); reconnecting", self.url, exc)
            return
        self._error_said_at = now
        log.warning("%s: link error (%s); reconnecting", self.url, exc)

    def _say_open_failed(self, exc: Exception) -> None:
        """Once, then when the error changes or a minute has passed: at max back-off the same line came
        every 5 s for the whole flight (a port held by another program: 720 lines an hour)."""
        now, what = time.monotonic(), str(exc)
        self._open_failures += 1
        if what == self._open_error and now - self._open_said_at < 60.0:
            log.debug("%s: cannot open link (%s)", self.url, exc)
            return
        self._open_error, self._open_said_at = what, now
        if isinstance(exc, ConnectionRefusedError):
            hint = ("Nothing accepts connections at that address yet: check that SITL, mavlink-router or the "
                    "autopilot's TCP server is running and the port")
        elif isinstance(exc, socket.gaierror):
            hint = "Its host name does not resolve: check the spelling, or give the vehicle's or router's IP address"
        elif unreachable := unreachable_hint(exc):
            hint = unreachable
        elif isinstance(exc, TimeoutError):
            hint = ("Nothing answered at that address: check the host's address (the vehicle or router may be off or "
                    "on another network) and that no firewall drops the port")
        else:
            hint = ("A port in use is usually held by another MAVLink program (mavproxy, mavlink-router, a second "
                    "skyinspect)")
        log.warning("%s: cannot open link (%s; %d tries so far); retrying until it opens, frames are recorded "
                    "untagged meanwhile. %s", self.url, exc, self._open_failures, hint)

    def add(self, arrival_utc_s: float, msg: mavlink.MAVLink_message) -> None:
        """Store one message (also the entry point for dronekit's message listener)."""
        if msg.get_type() not in USED:
            return
        if msg.get_type() == "TIMESYNC" and not self.timesync.is_reply_to_us(msg):
            if self.answer_timesync and timesync.is_request_for(msg, self._ids, self.timesync):
                self._answer_timesync(msg, arrival_utc_s)
            return  # requests (answered), replies to other requesters: not round trips of ours
        if not self.peers.from_vehicle(msg):
            return
        with self._lock:
            self._check_reboot(msg)
            if self._telemetry_since is None:
                self._telemetry_since = arrival_utc_s
            self.messages += 1
            self._records.append((arrival_utc_s, msg))
            self._received.append(now := self._monotonic())
            if msg.get_type() == "SYSTEM_TIME":
                self._sync.append((now, (arrival_utc_s, msg)))
            # by the host clock and by the monotonic one: a host clock stepped back an hour left every message
            # 'newer' than the newest for an hour, and the window and each frame's buffer grew all that time
            while self._records and (self._records[0][0] < arrival_utc_s - self.window_s
                                     or self._received[0] < now - self.window_s):
                self._records.popleft()
                self._received.popleft()
            self._version += 1

    def _check_reboot(self, msg: mavlink.MAVLink_message) -> None:
        """Forget the window when the vehicle's boot clock restarts (caller holds the lock). Samples of
        both boots mapped by one boot→UTC offset (a median over mostly old SYSTEM_TIMEs) put every new
        sample minutes away from its time: frames stayed untagged, 'after the last GLOBAL_POSITION_INT',
        until new SYSTEM_TIMEs outnumbered the old (up to 500 of them kept)."""
        if msg.get_type() not in _BOOT_CLOCKED:
            return
        key = (msg.get_srcSystem(), msg.get_srcComponent())
        boot_ms, last_ms = int(msg.time_boot_ms), self._boot_ms.get(key)
        if last_ms is not None and boot_ms < last_ms - REBOOT_JUMP_S * 1000:
            log.warning("%s: vehicle %d rebooted (boot clock went back from %.1f s to %.1f s); telemetry from "
                        "before the reboot no longer tags frames", self.url, key[0], last_ms / 1000, boot_ms / 1000)
            self.reboots += 1
            self._said.clear()  # the new boot may lack SYSTEM_TIME or TIMESYNC for its own reasons
            self._records.clear()
            self._received.clear()
            self._sync.clear()
            self._boot_ms.clear()
            self._telemetry_since = None  # set again by this message
        self._boot_ms[key] = max(boot_ms, self._boot_ms.get(key, boot_ms))  # a late packet does not lower it

    def _drop_link(self) -> None:
        self.link_up = False
        self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001
                pass

    # --- queries --------------------------------------------------------------------------------
    def records(self) -> list[Record]:
        with self._lock:
            start = self._received[0] if self._received else math.inf
            return [r for received, r in self._sync if received < start] + list(self._records)

    def _recent(self) -> list[Record]:
        """The clock messages of the whole window, the rest of the last ``tag_window_s``: rebuilt about once a
        frame, the full 300 s at 20 Hz took ~57 ms of CPU a build (over half a core at 10 frames/s)."""
        recs = self.records()
        if not recs:
            return recs
        since = recs[-1][0] - self.tag_window_s
        return [r for r in recs if r[0] >= since or r[1].get_type() in _CLOCK_TYPES]

    def clock_settling(self) -> bool:
        """True while the telemetry received (of this boot) spans less than ``clock_settle_s``: a buffer
        without TIMESYNC round trips or SYSTEM_TIME yet may be about to get them, which moves every host
        stamp's time."""
        with self._lock:
            since = self._telemetry_since
            newest = self._records[-1][0] if self._records else None
        return since is not None and newest is not None and newest - since < self.clock_settle_s

    @property
    def latest_s(self) -> float:
        with self._lock:
            return self._records[-1][0] if self._records else float("-inf")

    def buffer(self, latency_s: float = 0.0, gap_threshold_s: float = 1.0, time_base: str = "auto",
               fixed_mount: FixedMount | None = None) -> TelemetryBuffer | None:
        """The telemetry so far as a buffer (None until it holds position and attitude)."""
        key = (latency_s, gap_threshold_s, time_base, fixed_mount)
        with self._lock:
            version = self._version
        if self._cache is not None and self._cache[0] == version and self._cache[1] == key:
            cached = self._cache[2]
            return cached if isinstance(cached, TelemetryBuffer) else None
        link_log.OncePerLink.building.said = self._said
        try:
            built: TelemetryBuffer | str = TelemetryBuffer(self._recent(), self.url, latency_s, gap_threshold_s,
                                                           time_base, fixed_mount)
        except TelemetryError as exc:
            built = str(exc)
        finally:
            link_log.OncePerLink.building.said = None
        self._cache = (version, key, built)
        if isinstance(built, str):
            self._say_not_streaming(built)
        else:
            link_log.say_slow_streams(self.url, built, self._said)
        return built if isinstance(built, TelemetryBuffer) else None

    def _say_not_streaming(self, why: str) -> None:
        with self._lock:
            since, newest = self._telemetry_since, (self._records[-1][0] if self._records else None)
        if since is not None and newest is not None and newest - since >= NOT_STREAMING_S:
            link_log.say_not_streaming(why, self._said)
