"""A sorted time series with the bracketing look-ups pose interpolation needs."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Bracket:
    """Samples i0 ≤ t ≤ i1 and how far t lies between them (0 at i0, 1 at i1)."""

    i0: int
    i1: int
    frac: float


class Series:
    """Times (s, ascending, unique) and one row of values per time."""

    def __init__(self, name: str, times_s: list[float] | np.ndarray, values: list[object] | np.ndarray) -> None:
        times = np.asarray(times_s, dtype=np.float64)
        order = np.argsort(times, kind="stable")
        times = times[order]
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
