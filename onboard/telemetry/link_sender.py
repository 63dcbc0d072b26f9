"""The live link's sending side (split from ``live``): one sender thread owns every write to the link.

TIMESYNC requests and answers, the companion's heartbeat and alerts from the recording thread all go
through ``LinkSender._send_loop``, so the receiver never waits on a full serial buffer and two threads
never interleave frames; ``send`` queues (bounded; False when the link is down or the queue is full).
``LiveMavlink`` (``onboard.telemetry.live``) owns the state these methods use.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.telemetry import timesync
from onboard.telemetry.link_peers import CompanionHeartbeat, VehicleLock
from onboard.telemetry.timesync import TimesyncRequester

log = logging.getLogger("onboard.telemetry.live")  # the link's messages, under the name they always had

# Alerts go out as a component of the vehicle's system, as our heartbeat does: QGroundControl's Vehicle
# drops every message whose system id is not its vehicle's (Vehicle::_mavlinkMessageReceived), so
# STATUSTEXT and NAMED_VALUE_INT sent as system 255 never reached the operator's console. TIMESYNC
# keeps our own ids: an echo of a request sent as the vehicle's component would be answered by us.
AS_VEHICLE_COMPONENT = ("STATUSTEXT", "NAMED_VALUE_INT", "NAMED_VALUE_FLOAT")


class LinkSender:
    """What ``LiveMavlink`` sends, and the thread that writes it (a mixin on the link's own state)."""

    url: str
    link_up: bool
    send_dropped: int
    timesync_answered: int
    timesync: TimesyncRequester
    peers: VehicleLock
    _heartbeat: CompanionHeartbeat
    _conn: object | None
    _clock: Callable[[], float]
    _stop: threading.Event
    _outbox: queue.Queue[mavlink.MAVLink_message | tuple[mavlink.MAVLink_message, float]]

    def _request_timesync(self, now_s: float) -> None:
        """Send a TIMESYNC request when one is due (ts1 = ``now_s``, the clock that stamps arrivals)."""
        if self.link_up and self.timesync.due(now_s):
            self.send(self.timesync.request(now_s))

    def _answer_timesync(self, request: mavlink.MAVLink_message, arrival_s: float) -> None:
        """Queue the answer; the sender stamps it when it writes (never blocks the receiver)."""
        try:
            self._outbox.put_nowait((request, arrival_s))
        except queue.Full:
            self.send_dropped += 1

    def _send_loop(self) -> None:
        next_beat = 0.0
        while not self._stop.is_set():
            if self._conn is not None and time.monotonic() >= next_beat:
                self._beat()
                next_beat = time.monotonic() + 1.0
            wait_s = min(self.timesync.seconds_until_due(self._clock()) if self.link_up else 0.1, 0.1)
            try:
                item = self._outbox.get(timeout=wait_s)
            except queue.Empty:
                item = None
            if item is not None:
                self._write_item(item)
            now = self._clock()
            if self.link_up and self.timesync.due(now):
                self._write(self.timesync.request(now))  # ts1 taken just before the write
        while True:  # on stop: what was queued before it (a last alert) still goes out
            try:
                self._write_item(self._outbox.get_nowait())
            except queue.Empty:
                return

    def _beat(self) -> None:
        """Make us heard once a second from the moment the link opens (``link_peers.CompanionHeartbeat``)."""
        system = self.peers.system
        if system is None:  # not yet as the vehicle's component: an unregistered TIMESYNC request
            self._write(mavlink.MAVLink_timesync_message(0, time.time_ns()), even_if_silent=True)
            return
        try:
            self._conn.write(self._heartbeat.pack(system))  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - a closed socket: the receiver reconnects
            log.debug("%s: heartbeat not sent (%s)", self.url, exc)

    def _write_item(self, item: mavlink.MAVLink_message | tuple[mavlink.MAVLink_message, float]) -> None:
        if not isinstance(item, tuple):
            self._write(item)
            return
        request, arrival_s = item
        tc1_s = 0.5 * (arrival_s + self._clock())  # midpoint of arrival and write: see live's module doc
        if self._write(timesync.reply(request, round(tc1_s * 1e9))):
            self.timesync_answered += 1

    def _write(self, msg: mavlink.MAVLink_message, even_if_silent: bool = False) -> bool:
        conn = self._conn
        if conn is None or not (self.link_up or even_if_silent):
            self.send_dropped += 1
            return False
        try:
            if msg.get_type() in AS_VEHICLE_COMPONENT and self.peers.system is not None:
                conn.write(self._heartbeat.pack(self.peers.system, msg))  # type: ignore[attr-defined]
            else:
                conn.mav.send(msg)  # type: ignore[attr-defined]
            return True
        except Exception as exc:  # noqa: BLE001 - a UDP peer not yet known, a closed socket
            log.debug("%s: send failed (%s)", self.url, exc)
            self.send_dropped += 1
            return False

    def send(self, msg: mavlink.MAVLink_message) -> bool:
        """Queue one message for the vehicle/GCS; False (never an exception) while the link is down
        or the queue is full. The sender thread writes it."""
        if self._conn is None or not self.link_up:
            return False
        try:
            self._outbox.put_nowait(msg)
            return True
        except queue.Full:
            self.send_dropped += 1
            return False
