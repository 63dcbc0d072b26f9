"""Feed the pipeline from an operator's dronekit ``Vehicle`` (dronekit2 provides ``dronekit``).

dronekit already owns the link and decodes every MAVLink message; its documented
``vehicle.add_message_listener('*', callback)`` hands each decoded pymavlink message to
``callback(vehicle, name, message)``. We store those in the same window ``LiveMavlink`` uses, so the
``TelemetryBuffer`` merging and the pose maths are shared; TIMESYNC requests go out through
``send_mavlink`` as messages arrive, so the host → vehicle clock offset is measured here too, and the
vehicle's own TIMESYNC requests are answered from the listener (``tc1`` = the request's arrival on the
same clock). That never blocks dronekit's receive thread: ``send_mavlink`` only queues the message for
dronekit's own sender thread (``MAVConnection.out_queue``). Alerts (STATUSTEXT, NAMED_VALUE_*) do
not go through ``send_mavlink``: it packs with dronekit's own ids (255/0 by default), and QGroundControl
drops every message whose system id is not its vehicle's. They are packed as component 191 of the
vehicle's system by an encoder of our own (own sequence numbers; dronekit's stay untouched) and the
bytes handed to ``vehicle.message_factory.file`` — the writer dronekit's own ``send`` writes to, which
queues them for the same sender thread.

``dronekit`` is imported only by ``connect_vehicle``; the adapter itself needs just an object with
that API (so it is testable with a stand-in and never forces the package on replay users).
"""

from __future__ import annotations

import inspect
import logging
import math
import threading
import time
from collections.abc import Callable

from onboard.alerts import statustext_chunks
from onboard.telemetry import timesync
from onboard.telemetry.link_sender import AS_VEHICLE_COMPONENT
from onboard.telemetry.live import LiveMavlink

log = logging.getLogger(__name__)


def connect_vehicle(url: str, wait_ready: bool = True, timeout_s: float = 30.0, **kwargs: object) -> object:
    """``dronekit.connect`` with a clear error when the package is missing. ``timeout_s`` bounds the wait for
    the first HEARTBEAT and ``wait_ready``'s. In flight the link is kept through any loss: dronekit applies
    heartbeat_timeout there too and ended its link for good after that long without a HEARTBEAT ('No heartbeat in
    ... seconds, aborting'), so a vehicle back in range was never heard again; ``DronekitTelemetry`` watches the
    silence itself (``link_timeout_s``)."""
    try:
        import dronekit
    except ImportError as exc:  # pragma: no cover - depends on the install
        from skyinspect.errors import InputError

        raise InputError("dronekit is not installed; install the onboard extra (pip install "
                         "'skyinspect[onboard]', which pulls dronekit2)") from exc
    # heartbeat_timeout bounds the wait for the first HEARTBEAT (dronekit would apply it to any later silence
    # too: switched off below); timeout bounds wait_ready's wait for the attributes, 30 s whatever timeout_s said before
    vehicle = dronekit.connect(url, wait_ready=wait_ready, heartbeat_timeout=timeout_s, timeout=timeout_s, **kwargs)
    if hasattr(vehicle, "_heartbeat_error"):  # dronekit2 3.0.0 (and dronekit 2.9): 0 turns the in-flight abort off
        vehicle._heartbeat_error = 0
    else:
        log.warning("this dronekit has no _heartbeat_error: its link may end for good after %g s without a HEARTBEAT "
                    "in flight (a longer timeout_s keeps it through a longer loss)", timeout_s)
    return vehicle


class DronekitTelemetry(LiveMavlink):
    """A ``LiveMavlink`` whose messages come from a dronekit vehicle instead of its own link."""

    def __init__(self, vehicle: object, *, window_s: float = 300.0, clock: Callable[[], float] = time.time) -> None:
        super().__init__(f"dronekit:{getattr(vehicle, '_handler', 'vehicle')!s:.40}", window_s=window_s,
                         clock=clock, connect=lambda *a: vehicle)
        self.vehicle = vehicle
        self._said_dead = False  # dronekit's own link ended (see _check_dronekit_alive)
        self._text_id = 0  # the last STATUSTEXT id given to a chunked text (1-65535; 0 is a text in one piece)
        # dronekit's own source ids (its default 255/0), so that its requests echoed back are not answered
        master = getattr(vehicle, "_master", None)
        self._ids = (int(getattr(master, "source_system", self._ids[0])),
                     int(getattr(master, "source_component", self._ids[1])))

    def _on_message(self, _vehicle: object, _name: str, message: object) -> None:
        if message.get_type() != "BAD_DATA" and self.peers.from_vehicle(message):  # type: ignore[attr-defined]
            now_m = time.monotonic()
            self.last_rx_s = now_m
            if self._lost_at is not None:  # as LiveMavlink: a reconnect is telemetry flowing again
                self.reconnects += 1
                log.warning("%s: telemetry back after %.1f s", self.url, now_m - self._lost_at)
                self._lost_at = None
            self.link_up = True
        elif self.peers.system is None and self._lost_at is None:
            self.link_up = True  # someone is there (its TIMESYNC gets answered); no telemetry yet
        now = self._clock()
        self.add(now, message)  # type: ignore[arg-type]
        self._request_timesync(now)  # replies come back through this listener

    def _silence_s(self, now_m: float) -> float:
        """How long the vehicle has been silent: the listener's last message from it, or dronekit's
        documented ``vehicle.last_heartbeat`` (seconds since its last HEARTBEAT, None before the first),
        whichever is more recent."""
        heard_s = now_m - self.last_rx_s
        heartbeat_s = getattr(self.vehicle, "last_heartbeat", None)
        if isinstance(heartbeat_s, (int, float)) and math.isfinite(heartbeat_s):
            return min(heard_s, float(heartbeat_s))
        return heard_s

    def _watch(self) -> None:
        """dronekit owns the link and reconnects nothing; this only says when the vehicle went silent, so
        that TIMESYNC requests stop and the loss and the return are logged and counted as LiveMavlink's."""
        while not self._stop.wait(0.1):
            now_m = time.monotonic()
            self._check_dronekit_alive()
            if (self.link_up and self.peers.system is not None
                    and (silent_s := self._silence_s(now_m)) > self.link_timeout_s):
                log.warning("%s: no telemetry for %.1f s; link lost (dronekit keeps trying; recording continues)",
                            self.url, silent_s)
                self._lost_at = now_m - silent_s
                self.link_up = False

    def _check_dronekit_alive(self) -> None:
        """Say once when dronekit's receive thread has ended its link (its heartbeat_timeout in flight, a read
        error): the loss said till then was 'dronekit keeps trying', which it no longer does. A link closed on
        purpose (``vehicle.close()``: no error) is not said."""
        handler = getattr(self.vehicle, "_handler", None)
        error = getattr(handler, "_death_error", None)
        if self._said_dead or getattr(handler, "_alive", True) is not False or error is None:
            return
        self._said_dead = True
        log.warning("%s: dronekit ended its link (%s); telemetry cannot come back through this Vehicle and frames "
                    "are recorded untagged from now on. Open it with onboard.telemetry.dronekit_adapter.connect_vehicle, "
                    "which keeps the link through a loss (dronekit.connect's heartbeat_timeout ends it after that long "
                    "without a HEARTBEAT in flight)", self.url, error)
        if self.link_up:
            self._lost_at = time.monotonic()
            self.link_up = False

    def start(self) -> DronekitTelemetry:
        self.vehicle.add_message_listener("*", self._on_message)  # type: ignore[attr-defined]
        self.connects += 1
        self._thread = threading.Thread(target=self._watch, name="dronekit-watch", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        try:
            self.vehicle.remove_message_listener("*", self._on_message)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - a vehicle already closed
            log.debug("removing the dronekit listener failed: %s", exc)

    def _answer_timesync(self, request: object, arrival_s: float) -> None:
        """Answer at once from the listener: ``send_mavlink`` only queues (see the module doc)."""
        if self.send(timesync.reply(request, round(arrival_s * 1e9))):  # type: ignore[arg-type]
            self.timesync_answered += 1

    def send(self, msg: object) -> bool:
        """Send a pymavlink message through dronekit: alerts as the vehicle's component (module doc),
        the rest with ``vehicle.send_mavlink``."""
        writer = getattr(getattr(self.vehicle, "message_factory", None), "file", None)
        try:
            if (msg.get_type() in AS_VEHICLE_COMPONENT and self.peers.system is not None  # type: ignore[attr-defined]
                    and callable(getattr(writer, "write", None))):
                writer.write(self._heartbeat.pack(self.peers.system, msg))  # type: ignore[arg-type,union-attr]
                return True
            self.vehicle.send_mavlink(msg)  # type: ignore[attr-defined]
            return True
        except Exception as exc:  # noqa: BLE001
            log.debug("dronekit send failed: %s", exc)
            return False

    def statustext(self, text: str, severity: int = 4) -> bool:
        """A STATUSTEXT built with the vehicle's own ``message_factory``; a text over 50 bytes in MAVLink 2
        chunks (one id, chunk_seq 0, 1, ...) that the GCS reassembles: it was cut at 50 characters. MAVLink 1 has no
        chunks: cut at 50 there, as before."""
        factory = self.vehicle.message_factory  # type: ignore[attr-defined]
        if "chunk_seq" not in inspect.signature(factory.statustext_encode).parameters:  # MAVLink 1 (dronekit in
            return self.send(factory.statustext_encode(severity, text[:50].encode()))  # a shell without MAVLINK20)
        chunks = statustext_chunks(text)
        text_id = 0
        if len(chunks) > 1:
            self._text_id = self._text_id % 65535 + 1
            text_id = self._text_id
        return all([self.send(factory.statustext_encode(severity, chunk, text_id, seq))
                    for seq, chunk in enumerate(chunks)])
