"""The pipeline's thread plumbing (onboard/pipeline.py): the bounded queue between its stages and the
per-thread priority of its helper threads."""

from __future__ import annotations

import threading
from collections import deque


def lower_thread_priority(nice: int) -> bool:
    """Raise the calling thread's nice value by ``nice`` (capped at 19); Linux sets it per thread.
    False where the platform has no per-thread priority or refuses it."""
    import os
    import sys

    if nice <= 0 or not sys.platform.startswith("linux"):
        return False
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(os.getpriority(os.PRIO_PROCESS, tid) + nice, 19))
    except OSError:
        return False
    return True


class FrameQueue:
    """Bounded FIFO; ``drop_oldest`` makes ``put`` discard the oldest item instead of waiting."""

    def __init__(self, maxsize: int, drop_oldest: bool) -> None:
        if maxsize < 1:
            raise ValueError(f"queue size must be >= 1, got {maxsize}")
        self.maxsize, self.drop_oldest = maxsize, drop_oldest
        self._items: deque = deque()
        self._cond = threading.Condition()
        self._closed = False
        self.dropped = 0
        self.high_water = 0

    def put(self, item: object, stop: threading.Event | None = None) -> bool:
        with self._cond:
            while len(self._items) >= self.maxsize:
                if self.drop_oldest:
                    self._items.popleft()
                    self.dropped += 1
                    break
                if stop is not None and stop.is_set():
                    return False
                self._cond.wait(0.05)
            self._items.append(item)
            self.high_water = max(self.high_water, len(self._items))
            self._cond.notify_all()
            return True

    def get(self, timeout_s: float = 0.1) -> tuple[bool, object]:
        """(True, item), or (False, None) on timeout; raises ``EOFError`` once closed and empty."""
        with self._cond:
            if not self._items:
                if self._closed:
                    raise EOFError
                self._cond.wait(timeout_s)
                if not self._items:
                    if self._closed:
                        raise EOFError
                    return False, None
            item = self._items.popleft()
            self._cond.notify_all()
            return True, item

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
