"""A vehicle clock set again mid-log: which SYSTEM_TIME samples to time by.

ArduPilot sets its UTC from a GCS's SYSTEM_TIME before the GPS has time, then from the GPS; a PX4 board
may start from its RTC. The offsets (UTC − boot) of SYSTEM_TIME then step. All samples' median followed
the step only once the new clock's samples outnumbered the old: 40 s of a clock 5 s fast kept a live
link's samples 5 s off (25 m at 5 m/s) for 40 s after the GPS fix.
"""

from __future__ import annotations

# Offsets steadier than this are one clock (the stored real logs step by 0.1 s at most); a run of at
# least CLOCK_RUN such samples after a bigger step is the clock set again, a lone odd sample is not.
CLOCK_JUMP_S = 0.5
CLOCK_RUN = 3


def after_last_jump(offsets: list[float]) -> int:
    """Index where the last run of at least ``CLOCK_RUN`` offsets agreeing within ``CLOCK_JUMP_S`` of
    their neighbours starts (0: no jump, or no run long enough to trust yet)."""
    runs, start = [], 0
    for i in range(1, len(offsets) + 1):
        if i == len(offsets) or abs(offsets[i] - offsets[i - 1]) > CLOCK_JUMP_S:
            runs.append((start, i))
            start = i
    return next((a for a, b in reversed(runs) if b - a >= CLOCK_RUN), 0)
