"""How an onboard run ends: stop requests from signals, and the record's meta ``ended`` that says how.

On the aircraft the runtime is stopped by Ctrl-C or by a service manager's SIGTERM. Either must end
it the same clean way (queued frames recorded, the live time base stored, MQTT flushed), and the
record must say afterwards how the flight ended. ``ended`` is written when the run starts as "did
not finish", so a SIGKILL or a power cut, which leave no chance to write anything, still reads as such.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

DID_NOT_FINISH = ("did not finish (killed, crashed or lost power): frames up to the last committed one are kept")


class StopRequest(threading.Event):
    """A stop event that remembers why it was first set (``"SIGTERM"``, ``"SIGINT"``, ...)."""

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self.set()


@contextmanager
def stop_on_signals(stop: StopRequest, signals: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)
                    ) -> Iterator[StopRequest]:
    """The first SIGINT/SIGTERM asks the run to stop cleanly; a second one raises KeyboardInterrupt (an
    operator who presses Ctrl-C twice means it). Without this SIGTERM killed the process on the spot:
    no summary, queued frames and the live time base lost. Handlers are only installed from the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    received: list[str] = []

    def handler(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if received:
            raise KeyboardInterrupt
        received.append(name)
        log.warning("%s: stopping; recording the frames in hand (send it again to abandon them)", name)
        stop.request(name)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield stop
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def how_it_ended(stop: threading.Event, pipeline_ended_by: str | None) -> str:
    """Why the pipeline returned: a signal or stop request, the duration, an interrupt, or the frames ran out."""
    reason = getattr(stop, "reason", None)
    if reason:
        return f"stopped by {reason}"
    if pipeline_ended_by:
        return pipeline_ended_by
    return "stopped on request" if stop.is_set() else "the frames ended"


def ended_meta(how: str, recorded: int | None = None) -> dict[str, object]:
    return {"how": how, "utc_s": time.time(), "frames_recorded": recorded}


def set_meta_safely(writer: object, key: str, value: object) -> None:
    """A meta row written at the end must never cost the flight: on a full disk it was a traceback
    instead of the summary, after every frame had been committed."""
    try:
        writer.set_meta(key, value)  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001
        log.warning("%s: could not store meta %s: %s", getattr(writer, "folder", "record"), key, exc)
