"""The vehicle's boot clock on the clock that timed the .tlog records, from the arrival times alone.

Without TIMESYNC, a boot-stamped message's record time is its arrival: vehicle time + an offset + a delay
that is never negative (queueing on the link, the logger's scheduling). Timed by its arrival, each sample
carried its own delay: on the ArduPlane SITL 2018 log (cuav) the delays spread over 0.64 s (99th
percentile), and its frames, named on the logging computer's clock, moved by up to 2.06 m once timed on the
vehicle's clock. The offset is the LOWER envelope of arrival − boot (the least-delayed messages), the classic
clock-skew estimate: each window's least-delayed sample, a line fitted through the lower three quarters of
them and lowered under all of them, its slope the drift between the two crystals.

Only where that one line is a clock: the two clocks run at one rate to ``MAX_DRIFT`` and the envelope stays
within ``CLOCK_JUMP_S`` of it throughout. The ArduPlane 2016 log (cuav) was written at another pace than the
vehicle's (589 s of boot time in 128 s of records: a replayed log), and a logging clock stepped mid-log
(``series``) is no line either: those are timed by arrival, as before. A vehicle rebooted restarts its boot
clock: each boot has its own line (``of_boots``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from onboard.telemetry.clock_jumps import CLOCK_JUMP_S, steps_back

# Crystal clocks drift by tens of ppm; a thousand is no drift but another pace (a replayed log)
MAX_DRIFT = 1e-3
# The envelope is the least delay in windows of this many samples (5 s at 5 Hz of position and attitude)
WINDOW_SAMPLES = 50
MIN_WINDOWS = 4
MIN_SAMPLES = 5 * MIN_WINDOWS


@dataclass(frozen=True)
class ArrivalClock:
    """Records' clock = boot s + ``offset_s`` + ``drift`` × (boot s − ``boot_ref_s``)."""

    offset_s: float
    drift: float
    boot_ref_s: float
    delay_p50_s: float  # the samples' delays above it (what timing by arrival added)
    delay_p99_s: float

    def at(self, boot_s: float) -> float:
        return boot_s + self.offset_s + self.drift * (boot_s - self.boot_ref_s)

    def boot_at(self, records_s: float) -> float:
        """The boot time at a time on the records' clock (``at``'s inverse)."""
        return (records_s - self.offset_s + self.drift * self.boot_ref_s) / (1.0 + self.drift)

    def describe(self) -> dict[str, object]:
        return {"method": "lower envelope of arrival - boot", "offset_s": round(self.offset_s, 6),
                "drift_ppm": round(self.drift * 1e6, 1), "boot_ref_s": self.boot_ref_s,
                "delay_p50_s": round(self.delay_p50_s, 4), "delay_p99_s": round(self.delay_p99_s, 4)}


def fit(arrival_s: np.ndarray, boot_s: np.ndarray) -> tuple[ArrivalClock | None, str]:
    """The line under arrival − boot of the samples (in the log's order), or None and why it is none."""
    arrival_s, boot_s = np.asarray(arrival_s, np.float64), np.asarray(boot_s, np.float64)
    if len(boot_s) < MIN_SAMPLES or float(np.ptp(boot_s)) <= 0:
        return None, ""  # too few to say anything (a live link just opened): by arrival, unsaid
    if np.any(np.diff(boot_s) < -5.0):  # (less: messages of two streams reordered on a slow link)
        return None, "the vehicle's boot time steps back (a reboot)"
    if len(steps_back(arrival_s)):  # a line fitted across the step ran fast: it was called a replayed log. Unsaid
        return None, ""  # here: the samples' times step back with it, which the buffer warns of (series.steps_back_of)
    d = arrival_s - boot_s
    # in the log's order; at least MIN_WINDOWS, or a pace is not seen (one window over the 2016 log's 25-s test
    # excerpt, replayed 4 % fast, passed as one clock: 12.5 m off)
    chunks = np.array_split(np.arange(len(d)), max(MIN_WINDOWS, len(d) // WINDOW_SAMPLES))
    lowest = np.array([c[np.argmin(d[c])] for c in chunks])
    x, y = boot_s[lowest], d[lowest]  # each window's least-delayed sample: the envelope
    slope, y0 = _line(x, y, np.ones(len(x), dtype=bool))
    resid = y - (y0 + slope * (x - x.mean()))
    use = resid <= np.percentile(resid, 75)
    slope, y0 = _line(x, y, use)  # again without the windows a queue filled
    if abs(slope) > MAX_DRIFT:
        return None, (f"the records' clock runs at another pace than the vehicle's ({float(np.ptp(arrival_s)):.0f} s "
                      f"of records for {float(np.ptp(boot_s)):.0f} s of boot time: a replayed log?)")
    if not _measured(x, y, use, slope, y0):  # (a 12-s excerpt of the SITL 2018 log: -303 ppm, -34 on the whole)
        slope, y0 = 0.0, float(np.mean(y[use]))
    resid = y - (y0 + slope * (x - x.mean()))
    if float(np.ptp(resid)) > CLOCK_JUMP_S:
        return None, (f"the least delay in {WINDOW_SAMPLES} samples strays {float(np.ptp(resid)):.1f} s from the rest (the "
                      "records' clock stepped)")
    offset_s = float(y0 + resid.min())  # under every window's least-delayed sample
    delay = d - (offset_s + slope * (boot_s - x.mean()))
    return ArrivalClock(offset_s, float(slope), float(x.mean()), float(np.percentile(delay, 50)),
                        float(np.percentile(delay, 99))), ""


def _measured(x: np.ndarray, y: np.ndarray, use: np.ndarray, slope: float, y0: float) -> bool:
    """Whether the drift ``slope`` is told from none: outside its two-sided 95 % interval (Student's t over the
    windows ``use`` keeps). Too few windows or too short a span to measure it, a line through the envelope's
    jitter tilted the offset by milliseconds at the ends; crystals are tens of ppm apart, which is no drift
    better than a slope that uncertain."""
    n = int(use.sum())
    if n < 3:
        return False
    xs, resid = x[use], y[use] - (y0 + slope * (x[use] - x.mean()))
    spread = float(((xs - xs.mean()) ** 2).sum())
    if spread <= 0:
        return False
    from scipy.stats import t as student_t  # (here only: scipy.stats takes a while to import)

    se = float(np.sqrt((resid ** 2).sum() / (n - 2) / spread))
    return abs(slope) > float(student_t.ppf(0.975, n - 2)) * se


def _line(x: np.ndarray, y: np.ndarray, use: np.ndarray) -> tuple[float, float]:
    """(slope, value at the mean x) of the least-squares line through the points ``use`` picks."""
    if int(use.sum()) < 2 or float(np.ptp(x[use])) <= 0:
        return 0.0, float(np.min(y))
    slope, at_mean = np.polyfit(x[use] - x.mean(), y[use], 1)
    return float(slope), float(at_mean)


def stamps(msgs: list[tuple[float, object]], autopilot: int, boot_ids: np.ndarray | None = None) -> np.ndarray:
    """(arrival, boot) s of the autopilot's boot-stamped position and attitude (``autopilot``: the component that
    sends the position most; a gimbal may stamp on its own clock), in the log's order; with ``boot_ids`` (each
    record's boot) a third column, the boot."""
    ids = boot_ids.tolist() if boot_ids is not None else [0] * len(msgs)
    pairs = [(t, m.time_boot_ms * 1e-3, b) for (t, m), b in zip(msgs, ids)  # type: ignore[attr-defined]
             if m.get_type() in ("GLOBAL_POSITION_INT", "ATTITUDE") and m.get_srcComponent() == autopilot]  # type: ignore[attr-defined]
    arr = np.asarray(pairs, dtype=np.float64).reshape(-1, 3)
    return arr if boot_ids is not None else arr[:, :2]


def of_messages(msgs: list[tuple[float, object]], autopilot: int) -> tuple[ArrivalClock | None, str]:
    """``fit`` over the autopilot's boot-stamped position and attitude (``stamps``)."""
    arr = stamps(msgs, autopilot)
    return fit(arr[:, 0], arr[:, 1])


def of_boots(stamped: np.ndarray, n_boots: int) -> tuple[list[ArrivalClock | None], str]:
    """``fit`` over each boot's ``stamps`` (``stamped``: with the boots, ``boots.boot_numbers``), and why any has
    none. Across a reboot no one line holds, and every sample was timed by its own arrival (1.0 m off at 5 m/s on a
    synthetic log with 0-0.6 s link delays)."""
    found = [fit(stamped[stamped[:, 2] == b, 0], stamped[stamped[:, 2] == b, 1]) for b in range(n_boots)]
    why = "; ".join(w if n_boots == 1 else f"boot {b + 1}: {w}" for b, (_, w) in enumerate(found) if w)
    return [c for c, _ in found], why
