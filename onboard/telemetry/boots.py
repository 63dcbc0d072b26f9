"""An autopilot rebooted mid-log: which boot each record belongs to, and each boot's own UTC − boot.

A reboot starts the boot clock (``time_boot_ms``) again, so UTC − boot jumps by the earlier boot's length.
Taken as the vehicle's UTC set again (``clock_jumps``), one offset, the last boot's, timed every sample: a
first boot's samples fell that much late, among the next boot's, and its frames were left untagged ('before
the first GLOBAL_POSITION_INT'). Each boot's samples are timed by that boot's SYSTEM_TIME; a boot without
one has no UTC and its samples are left out (its frames untagged), never timed by another boot's.
"""

from __future__ import annotations

import numpy as np

from onboard.telemetry.clock_jumps import CLOCK_RUN, clock_offsets

# A boot stamp that falls back by more than this is a reboot (arrival_clock's bound: by less, two streams
# reordered on a slow link); the next CLOCK_RUN - 1 stamps must stay back too (a lone stray stamp is none)
REBOOT_BACK_S = 5.0
_STAMPED = ("GLOBAL_POSITION_INT", "ATTITUDE", "SYSTEM_TIME")

Samples = list[tuple[float, float, float, float]]  # SYSTEM_TIME: (arrival, UTC, boot, arrival on ``unstepped``)
Arrivals = tuple[np.ndarray, np.ndarray]


def boot_numbers(msgs: list[tuple[float, object]], autopilot: int) -> np.ndarray:
    """The boot (0, 1, ...) of each record in ``msgs``, by the autopilot's position, attitude and SYSTEM_TIME
    boot stamps in the log's order; a record of another component goes with the autopilot's stamp before it."""
    at, stamp = [], []
    for i, (_, m) in enumerate(msgs):
        if m.get_type() in _STAMPED and m.get_srcComponent() == autopilot:  # type: ignore[attr-defined]
            at.append(i)
            stamp.append(m.time_boot_ms * 1e-3)  # type: ignore[attr-defined]
    out = np.zeros(len(msgs), dtype=np.int64)
    s = np.asarray(stamp, dtype=np.float64)
    if len(s) < 2:
        return out
    # only where a stamp falls below one of the CLOCK_RUN before it can it fall below their median (a numpy pass:
    # a stamp at a time in Python was an eighth of building the buffer)
    back = np.full(len(s), -np.inf)
    for k in range(1, CLOCK_RUN + 1):
        back[k:] = np.maximum(back[k:], s[:-k])
    start = 0  # the current boot's first stamp
    for j in np.flatnonzero(s < back - REBOOT_BACK_S).tolist():
        recent = s[max(start, j - CLOCK_RUN):j]  # the current boot's last stamps: their median shrugs off a stray one
        if j <= start or not len(recent):
            continue
        top = float(np.median(recent))
        if np.all(s[j:j + CLOCK_RUN] < top - REBOOT_BACK_S):
            out[at[j]:] += 1
            start = j
    return out


def offsets_by_boot(samples: list[Samples], source: str) -> tuple[
        list[float | None], float | None, Arrivals, Arrivals | None]:
    """``clock_offsets`` of each boot's SYSTEM_TIME ``samples``: each boot's UTC − boot (None without any), and the
    records' clock → UTC and the arrival offsets of all boots together, each sample's UTC by its own boot's."""
    found = [clock_offsets(s, source) if s else None for s in samples]
    done = [f for f in found if f is not None]
    if not done:
        return [None] * len(samples), *clock_offsets([], source)[1:]  # type: ignore[return-value]
    log_s = np.concatenate([f[2][0] for f in done])
    order = np.argsort(log_s, kind="stable")
    off = np.concatenate([f[2][1] for f in done])[order]
    by_key = None
    if any(f[3] is not None for f in done):
        keys = [f[3] if f[3] is not None else f[2] for f in done]
        key_s = np.concatenate([k[0] for k in keys])
        key_order = np.argsort(key_s, kind="stable")
        by_key = key_s[key_order], np.concatenate([k[1] for k in keys])[key_order]
    return ([f[0] if f is not None else None for f in found], float(np.median(off)), (log_s[order], off), by_key)


def spans(stamped: np.ndarray, utc_of_boot: list[float | None]) -> np.ndarray:
    """Rows (boot, first and last record time, first and last UTC: NaN without one) of each boot, from the
    autopilot's position and attitude stamps (``stamped``: ``arrival_clock.stamps`` with the boots): where a time on
    either clock belongs (``nearest``)."""
    rows = []
    for b, utc_minus_boot in enumerate(utc_of_boot):
        t, boot_s = stamped[stamped[:, 2] == b, :2].T
        if len(t):
            utc = np.nan if utc_minus_boot is None else utc_minus_boot
            rows.append((b, t.min(), t.max(), boot_s.min() + utc, boot_s.max() + utc))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 5)


def nearest(spans_: np.ndarray, at_s: float, on_utc: bool) -> int:
    """The boot whose span (``spans``: by the records' clock, or by UTC with ``on_utc``: the boots with one) holds
    ``at_s``, else the nearest; the latest where spans overlap (a records' clock stepped back). -1: none."""
    lo, hi = (spans_[:, 3], spans_[:, 4]) if on_utc else (spans_[:, 1], spans_[:, 2])
    away = np.maximum(lo - at_s, 0.0) + np.maximum(at_s - hi, 0.0)
    if not np.isfinite(away).any():
        return -1
    best = np.flatnonzero(away == np.nanmin(away))
    return int(spans_[best[-1], 0])
