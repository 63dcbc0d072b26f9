"""A sorted time series with the bracketing look-ups pose interpolation needs.

Its times, in the order the log holds them, may step back: the clock they are on was set back (a logging
computer's clock stepped by NTP, a vehicle UTC set again) or the vehicle rebooted (its boot clock starts
again). Sorted as one, the samples before and after such a step were interleaved and a time the log
holds twice was interpolated between the two: a pose from neither, without a word. The samples are cut
into *runs* that each go on steadily in the log's order; where a later run starts before an earlier one
ends, the times both hold (and a gap's worth either side: where a clock stood when it stepped is not
known) are not bracketed at all, since which of the two a frame's time meant cannot be told.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

# A step back by more than this is a clock's step; less is a packet reordered or repeated (sorted in)
STEP_BACK_S = 0.5


@dataclass(frozen=True)
class Bracket:
    """Samples i0 ≤ t ≤ i1 and how far t lies between them (0 at i0, 1 at i1)."""

    i0: int
    i1: int
    frac: float


@dataclass(frozen=True)
class StepBack:
    """Where a series' times step back: the last time before the step and the first after it (on the
    series' clock), the step (that fall plus one sample interval) and the times both sides hold."""

    before_s: float
    after_s: float
    step_s: float
    overlap_s: tuple[float, float]


class Series:
    """Times (s, ascending, unique) and one row of values per time."""

    def __init__(self, name: str, times_s: list[float] | np.ndarray, values: list[object] | np.ndarray) -> None:
        raw = np.asarray(times_s, dtype=np.float64)
        self.steps_back = _steps_back(raw)
        order = np.argsort(raw, kind="stable")
        times = raw[order]
        vals = [values[int(i)] for i in order] if isinstance(values, list) else np.asarray(values)[order]
        # Equal times (a message repeated on two links, or re-sent): keep the last one received.
        keep = np.ones(len(times), dtype=bool)
        if len(times) > 1:
            keep[:-1] = times[1:] != times[:-1]
        self.name = name
        self.times_s = times[keep]
        self.values = [v for v, k in zip(vals, keep) if k] if isinstance(vals, list) else vals[keep]
        self._times_list = self.times_s.tolist()

    def __len__(self) -> int:
        return len(self.times_s)

    @property
    def span_s(self) -> tuple[float, float]:
        return float(self.times_s[0]), float(self.times_s[-1])

    def bracket(self, t: float, gap_threshold_s: float) -> Bracket | str:
        """The two samples around ``t``, or the reason why ``t`` cannot be interpolated."""
        if len(self) == 0:
            return f"no {self.name} messages"
        t0, t1 = self.span_s
        if t < t0:
            return f"{t0 - t:.3f} s before the first {self.name}"
        if t > t1:
            return f"{t - t1:.3f} s after the last {self.name}"
        for step in self.steps_back:  # a gap either side: the neighbours a bracket may take
            if step.overlap_s[0] - gap_threshold_s <= t <= step.overlap_s[1] + gap_threshold_s:
                return (f"{self.name}'s clock steps back {step.step_s:.1f} s at {clock_text(step.before_s)}: "
                        f"the log holds this time on both sides of the step")
        i1 = bisect.bisect_left(self._times_list, t)
        if self._times_list[i1] == t:
            return Bracket(i1, i1, 0.0)
        i0 = i1 - 1
        gap = self._times_list[i1] - self._times_list[i0]
        if gap > gap_threshold_s:
            return f"telemetry gap {gap:.2f} s in {self.name} (threshold {gap_threshold_s:g} s)"
        return Bracket(i0, i1, (t - self._times_list[i0]) / gap)

    def nearest(self, t: float) -> tuple[int, float]:
        """Index of the sample nearest ``t`` and its time offset (sample − t) in s."""
        i = bisect.bisect_left(self._times_list, t)
        candidates = [j for j in (i - 1, i) if 0 <= j < len(self)]
        j = min(candidates, key=lambda k: abs(self._times_list[k] - t))
        return j, self._times_list[j] - t


def _steps_back(raw: np.ndarray) -> list[StepBack]:
    """The steps back of ``raw`` (times in the log's order), module doc: runs split where a time falls back
    by more than STEP_BACK_S or jumps on by more than three sample intervals (a gap, or a stray sample:
    one timed from the wrong side of a host clock's step sits 30 s off, then its neighbours go on), and
    each run that starts before an earlier one ends."""
    if len(raw) < 2:
        return []
    diffs = np.diff(raw)
    forward = diffs[diffs > 0]
    period = float(np.median(forward)) if len(forward) else 0.0
    cuts = np.flatnonzero((diffs < -STEP_BACK_S) | (diffs > max(STEP_BACK_S, 3 * period))) + 1
    starts, ends = [0, *cuts.tolist()], [*cuts.tolist(), len(raw)]
    firsts = [float(raw[a:b].min()) for a, b in zip(starts, ends)]
    lasts = [float(raw[a:b].max()) for a, b in zip(starts, ends)]
    steps, latest = [], -np.inf  # the latest time of the runs before: most runs start after it
    for k, (a, first) in enumerate(zip(starts, firsts)):
        if k and first < latest - STEP_BACK_S:
            held = [(max(first, f), min(lasts[k], last)) for f, last in zip(firsts[:k], lasts[:k])
                    if f < lasts[k] and first < last - STEP_BACK_S]
            if held:
                overlap = (min(lo for lo, _ in held), max(hi for _, hi in held))
                steps.append(StepBack(float(raw[a - 1]), float(raw[a]), float(raw[a - 1] - raw[a]) + period,
                                      overlap))
        latest = max(latest, lasts[k])
    return steps


def steps_back_of(*series: Series | None) -> list[tuple[float, str, str]]:
    """(step s, when, the streams it shows in) for each step back of these series, one for a step that
    several show (the vehicle's streams all step at a reboot): what to warn of."""
    found: list[tuple[StepBack, list[str]]] = []
    for one in (s for s in series if s is not None):
        for step in one.steps_back:
            same = next((names for k, names in found if abs(k.before_s - step.before_s) < 1.0
                         and abs(k.step_s - step.step_s) < 1.0), None)
            if same is None:
                found.append((step, [one.name]))
            else:
                same.append(one.name)
    return [(step.step_s, clock_text(step.before_s), ", ".join(names)) for step, names in found]


def clock_text(t: float) -> str:
    """A time on a clock for a message: UTC ISO where it reads as Unix time, else seconds."""
    return utc_iso(t) if t > 1e9 else f"{t:.3f} s"


def utc_iso(t_s: float) -> str:
    """Unix time ``t_s`` as UTC ISO 8601 to the millisecond, 'Z' for UTC (also frame_clock's messages)."""
    return datetime.fromtimestamp(t_s, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
