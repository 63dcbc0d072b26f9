"""A vehicle clock set again mid-log: which SYSTEM_TIME samples to time by.

ArduPilot sets its UTC from a GCS's SYSTEM_TIME before the GPS has time, then from the GPS; a PX4 board
may start from its RTC. The offsets (UTC − boot) of SYSTEM_TIME then step. All samples' median followed
the step only once the new clock's samples outnumbered the old: 40 s of a clock 5 s fast kept a live
link's samples 5 s off (25 m at 5 m/s) for 40 s after the GPS fix. The records' own clock (a live
companion's host clock) may be stepped too: ``unstepped`` runs it forward, for what is timed by arrival.
"""

from __future__ import annotations

import logging
import statistics

import numpy as np

log = logging.getLogger("onboard.telemetry.buffer")  # the buffer's warnings: once per live link (link_log.OncePerLink)

# Offsets steadier than this are one clock (the stored real logs step by 0.1 s at most); a run of at
# least CLOCK_RUN such samples after a bigger step is the clock set again, a lone odd sample is not.
CLOCK_JUMP_S = 0.5
CLOCK_RUN = 3


def after_last_jump(offsets: list[float]) -> int:
    """Index where the last clock starts: the last run of at least ``CLOCK_RUN`` offsets agreeing within
    ``CLOCK_JUMP_S`` of their neighbours, and the runs before it that agree with it across odd samples
    (0: no jump, or no run long enough to trust yet). One odd sample mid-flight split one clock in two:
    half its samples were dropped and the log said the clock had jumped."""
    runs, start = [], 0
    for i in range(1, len(offsets) + 1):
        if i == len(offsets) or abs(offsets[i] - offsets[i - 1]) > CLOCK_JUMP_S:
            runs.append((start, i))
            start = i
    trusted = [(a, b) for a, b in runs if b - a >= CLOCK_RUN]
    if not trusted:
        return 0
    first = trusted[-1][0]
    for a, b in reversed(trusted[:-1]):
        if abs(offsets[first] - offsets[b - 1]) > CLOCK_JUMP_S:
            break  # another clock: the jump
        first = a
    return first


def clock_offsets(samples: list[tuple[float, float, float, float]], source: str) -> tuple[
        float | None, float | None, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray] | None]:
    """SYSTEM_TIME ``samples`` (arrival on the records' clock, vehicle UTC, vehicle boot time, arrival on
    ``unstepped``) → boot → UTC, records' clock → UTC and the arrival offsets (``arrival_offsets``) by the
    records' clock and by ``unstepped`` (None where that is the records' clock), all from one search for the
    clock's last jump."""
    if not samples:
        return None, None, arrival_offsets([], 0, None), None
    boot = [utc - boot_s for _, utc, boot_s, _ in samples]
    start = after_last_jump(boot)  # a clock set again (GCS time, then GPS time): the samples after it
    if start:
        log.warning("%s: SYSTEM_TIME: the vehicle's UTC jumped by %.1f s (clock set again, e.g. from the GCS, "
                    "then the GPS); timing by the %d samples after the jump", source, boot[start] - boot[start - 1],
                    len(boot) - start)
    boot_to_utc_s = statistics.median(boot[start:])
    stepped = any(key != t for t, _, _, key in samples)
    return (boot_to_utc_s, statistics.median([utc - t for t, utc, _, _ in samples[start:]]),
            arrival_offsets([(t, utc, b) for t, utc, b, _ in samples], start, boot_to_utc_s),
            arrival_offsets([(key, utc, b) for _, utc, b, key in samples], start, boot_to_utc_s) if stepped else None)


def steps_back(times: np.ndarray) -> np.ndarray:
    """Positions of the records that arrived more than ``CLOCK_JUMP_S`` 'before' the one before them: the
    records' clock (a companion's host clock: NTP) was stepped back there."""
    return np.flatnonzero(np.diff(times) < -CLOCK_JUMP_S) + 1


def unstepped(times: np.ndarray) -> np.ndarray:
    """The records' clock with its steps back taken out: from each of ``steps_back`` on, all are moved on by
    that step, so that it runs forward and the records near a time on it are those that arrived near it. A
    host clock stepped back 20 s reads the same 20 s twice: a MOUNT_STATUS timed by its arrival after the
    step took the offset of the arrivals before it, 20 s off."""
    lift, at = np.zeros_like(times), steps_back(times)
    lift[at] = times[at - 1] - times[at]
    return times + np.cumsum(lift)


def arrival_offsets(samples: list[tuple[float, float, float]], start: int,
                    boot_to_utc_s: float | None) -> tuple[np.ndarray, np.ndarray]:
    """SYSTEM_TIME ``samples`` (arrival time on the records' clock, vehicle UTC, vehicle boot time) →
    their arrival times, sorted, and vehicle UTC − arrival time of each. The vehicle's UTC before its
    clock's last jump (``start``, from ``after_last_jump`` of their UTC − boot) is its boot time +
    ``boot_to_utc_s`` (the clock after the jump): those samples' own UTC (GCS time, 5 s off until the
    GPS set it) timed the frames near them 5 s off."""
    pairs = sorted((t, (utc if i >= start or boot_to_utc_s is None else boot + boot_to_utc_s) - t)
                   for i, (t, utc, boot) in enumerate(samples))
    arr = np.asarray(pairs, dtype=np.float64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


class NearOffsets:
    """UTC − arrival near a time on the records' clock: the median over the ``k`` SYSTEM_TIME arrivals nearest
    it (all of them when fewer), each run's median worked out once, since a buffer asks for every sample it
    times by arrival. ``log_s`` sorted."""

    def __init__(self, log_s: np.ndarray, offsets: np.ndarray, k: int = 21) -> None:
        from numpy.lib.stride_tricks import sliding_window_view

        self.log_s, self.k = log_s, min(k, len(offsets))
        self.medians = np.median(sliding_window_view(offsets, self.k), axis=1) if len(offsets) else offsets

    def at(self, at_s: float) -> float | None:
        if not len(self.log_s):
            return None
        i = int(np.searchsorted(self.log_s, at_s))
        return float(self.medians[max(0, min(i - self.k // 2, len(self.log_s) - self.k))])
