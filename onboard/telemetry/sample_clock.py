"""The time base of a ``TelemetryBuffer``: how each sample's stamp becomes a time (``onboard.telemetry.buffer``'s
module doc, "Time bases").

From the vehicle's messages alone, before any sample is read: the vehicle's UTC (SYSTEM_TIME,
``clock_jumps``), the records' clock (TIMESYNC, ``timesync``; else the lower envelope of the arrivals,
``arrival_clock``), which of the two the samples are timed on, and a gimbal's own boot clock. Its warnings
are the buffer's (one logger: said once per live link, ``link_log.OncePerLink``).
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.telemetry import arrival_clock, boots, timesync
from onboard.telemetry.clock_jumps import NearOffsets, clock_offsets, unstepped
from skyinspect.errors import TelemetryError, describe

log = logging.getLogger("onboard.telemetry.buffer")

TIME_BASES = ("auto", "system_time", "tlog")
# Timestamps below this many µs (≈ year 2001) are time since boot, above it Unix time (MAVLink
# lets senders use either in ``time_usec`` fields).
_UNIX_USEC_MIN = 1e15
# A SYSTEM_TIME after this (2100-01-01) is no clock: ArduPlane SITL of 2018 sent the year 2908, which became
# the record's dates. Not "after this computer's clock": a companion may boot on 1970 or an old time.
_UNIX_USEC_MAX = 4102444800e6


class SampleClock:
    """The time base of one vehicle's messages ``msgs`` (records' time, message; its system only)."""

    def __init__(self, msgs: list[tuple[float, mavlink.MAVLink_message]], source: str | Path, system_id: int,
                 time_base: str) -> None:
        self.source = str(source)
        self.system_id = system_id
        # the vehicle's autopilot: the component that sends its position most (a gimbal may stamp on its own clock)
        self.autopilot = Counter(m.get_srcComponent() for _, m in msgs
                                 if m.get_type() == "GLOBAL_POSITION_INT").most_common(1)[0][0]
        times = np.array([t for t, _ in msgs], dtype=np.float64)
        self.keys = keys = unstepped(times)  # the records' clock run forward where it was stepped back
        self.boot_ids = boots.boot_numbers(msgs, self.autopilot)  # a reboot starts the boot clock again
        samples = [(t, m.time_unix_usec * 1e-6, m.time_boot_ms * 1e-3, k, b) for (t, m), k, b
                   in zip(msgs, keys, self.boot_ids) if m.get_type() == "SYSTEM_TIME" and m.time_unix_usec > _UNIX_USEC_MIN]
        if late := [s for s in samples if s[1] * 1e6 > _UNIX_USEC_MAX]:
            log.warning("%s: %d SYSTEM_TIME messages state a UTC after 2100 (the year %d), which no clock can "
                        "be; ignored", self.source, len(late), _year(late[0][1]))
            samples = [s for s in samples if s[1] * 1e6 <= _UNIX_USEC_MAX]
        n_boots = int(self.boot_ids[-1]) + 1 if len(msgs) else 1
        if n_boots == 1:
            self.boot_to_utc_s, self.tlog_to_utc_s, self._arrivals, by_key = clock_offsets(
                [s[:4] for s in samples], self.source)
            self.utc_of_boot: list[float | None] = [self.boot_to_utc_s]
        else:
            self.utc_of_boot, self.tlog_to_utc_s, self._arrivals, by_key = boots.offsets_by_boot(
                [[s[:4] for s in samples if s[4] == b] for b in range(n_boots)], self.source)
            # the latest boot's, for what has no record to place it (live frames' host stamps)
            self.boot_to_utc_s = next((o for o in reversed(self.utc_of_boot) if o is not None), None)
        self._near, self._near_utc = NearOffsets(*self._arrivals), None  # (see tlog_to_utc_near)
        self._near_key = NearOffsets(*by_key) if by_key else self._near  # (see usec)
        self.clock_sync, self._timesync_info = self._timesync(msgs, times)
        if time_base == "system_time" and self.boot_to_utc_s is None:
            raise TelemetryError(describe(source, "time_base 'system_time' needs SYSTEM_TIME messages with "
                                          "time_unix_usec set; none found", "Use time_base='tlog'"))
        chosen = time_base == "auto"
        if chosen:
            time_base = "system_time" if self.boot_to_utc_s is not None else "tlog"
        self.time_base = time_base
        # a boot without SYSTEM_TIME has no UTC: its samples are left out, not timed by another boot's (boots)
        self.untimed_boots: frozenset[int] = frozenset()
        if n_boots > 1 and time_base == "system_time":
            self.untimed_boots = frozenset(b for b, o in enumerate(self.utc_of_boot) if o is None)
            starts = [float(msgs[int(np.argmax(self.boot_ids == b))][0]) for b in range(1, n_boots)]
            missing = (f"; boot(s) {', '.join(str(b + 1) for b in sorted(self.untimed_boots))} sent no SYSTEM_TIME "
                       f"with a UTC: their {int(np.isin(self.boot_ids, list(self.untimed_boots)).sum())} messages "
                       "are left out, and frames in their time untagged") if self.untimed_boots else ""
            log.warning("%s: the autopilot rebooted %d time(s) (its boot clock starts again at record time(s) %s); "
                        "each boot's samples are timed by its own SYSTEM_TIME%s", self.source, n_boots - 1,
                        ", ".join(f"{t:.3f} s" for t in starts), missing)
        # one envelope line per boot (a reboot restarts the boot clock: no one line); arrival_clock is the log's
        # own where it has one boot. The autopilot's stamps by boot, read once for those lines and the boots' spans
        arrival_lines = time_base == "tlog" and self.clock_sync is None
        stamped = arrival_clock.stamps(msgs, self.autopilot, self.boot_ids) if arrival_lines or n_boots > 1 else None
        self.boot_arrival: list[arrival_clock.ArrivalClock | None] = [None] * n_boots
        why_not = ""
        if arrival_lines:
            self.boot_arrival, why_not = arrival_clock.of_boots(stamped, n_boots)  # type: ignore[arg-type]
        self.arrival_clock = self.boot_arrival[0] if n_boots == 1 else None
        # frames named on the records' clock map onto UTC through the same envelope (log_clock); fitted only then
        self._msgs: list[tuple[float, mavlink.MAVLink_message]] | None = (
            msgs if time_base == "system_time" and self.clock_sync is None else None)
        self._log_clock: arrival_clock.ArrivalClock | None = None
        if chosen and time_base == "tlog":
            how = ("boot times placed on it by TIMESYNC" if self.clock_sync is not None else
                   "boot times placed on it by the lower envelope of their arrival times"
                   if any(c is not None for c in self.boot_arrival) else "by their arrival timestamps")
            log.warning("%s: no SYSTEM_TIME with a UTC clock; timing samples on the .tlog/receiving "
                        "computer's clock (%s)", self.source, how)
        if why_not:
            log.warning("%s: boot-stamped samples timed by their arrival on the .tlog clock, each late by its own "
                        "link delay: %s", self.source, why_not)
        self.gimbal_shift_s = self._gimbal_clocks(msgs)
        # where each timed boot lies, by the records' clock and by UTC (utc_minus_boot_near); with one boot, unneeded
        self._boot_spans = boots.spans(stamped, self.utc_of_boot) if n_boots > 1 else None  # type: ignore[arg-type]
        # on the .tlog clock, what an arrival time holds beyond the stamped samples' time (see usec)
        latency_s = (self._timesync_info or {}).get("link_latency_s") if self.clock_sync is not None else None
        lag_s = float(latency_s) if latency_s is not None and np.isfinite(latency_s) else 0.0
        self._unstamped_lag_s = [c.delay_p50_s if c is not None else lag_s for c in self.boot_arrival]

    def _timesync(self, msgs: list[tuple[float, mavlink.MAVLink_message]], times: np.ndarray
                  ) -> tuple[timesync.ClockSync | None, dict[str, object] | None]:
        """TIMESYNC replies from the vehicle's autopilot (the position's sender) to requests stamped
        on the records' clock; refused if messages would then arrive before they were stamped."""
        sync = timesync.estimate(timesync.round_trips(msgs, self.system_id, self.autopilot),
                                 back_steps=timesync.backward_steps(times))
        if sync is None:
            return None, None
        stamped = [(t, m.time_boot_ms * 1e-3) for t, m in msgs[sync.last_step_record:]  # since the host clock's
                   if m.get_type() in ("GLOBAL_POSITION_INT", "ATTITUDE")]  # last step (back: old readings overlap)
        consistent, latency_s = timesync.check(sync, stamped)
        info: dict[str, object] = {**sync.describe(), "link_latency_s": latency_s, "consistent": consistent}
        if self.boot_to_utc_s is not None:
            info["receiver_minus_utc_s"] = info["offset_s"] - self.boot_to_utc_s  # type: ignore[operator]
        if not consistent:
            log.warning("%s: TIMESYNC offset (%.3f s) would make telemetry arrive before it was stamped "
                        "(median latency %.3f s); ignoring TIMESYNC, timing by SYSTEM_TIME/arrival instead",
                        self.source, info["offset_s"], latency_s)
            return None, info
        return sync, info

    def boot(self, tlog_t: float, boot_s: float, boot_id: int) -> float:
        """A boot stamp ``boot_s`` of a record at ``tlog_t`` (of boot ``boot_id``, ``boot_ids``) in the time
        base."""
        if self.time_base == "tlog":
            if self.clock_sync is not None:
                return boot_s + self.clock_sync.offset_at(tlog_t)
            clock = self.boot_arrival[boot_id]
            return tlog_t if clock is None else clock.at(boot_s)
        return boot_s + self.utc_of_boot[boot_id]  # type: ignore[operator]  # (untimed_boots' are left out)

    def usec(self, tlog_t: float, usec: int, key_s: float | None = None, boot_id: int = -1) -> float:
        """A ``time_usec`` field, which MAVLink allows to be boot time or Unix time. Unset, the best we have is
        the arrival time, by the SYSTEM_TIME arrivals that came near it (``key_s``: it on ``unstepped``); on the
        arrival clock less the median delay above it, as those arrivals' median offset takes it off on UTC (by
        raw arrival it was later than the stamped samples by that delay: 49 ms on the SITL 2018 log), with
        TIMESYNC less its median link latency."""
        if usec <= 0:
            key_s = tlog_t if key_s is None else key_s
            return tlog_t - self._unstamped_lag_s[boot_id] if self.time_base == "tlog" else key_s + self._near_key.at(key_s)
        if usec < _UNIX_USEC_MIN:
            return self.boot(tlog_t, usec * 1e-6, boot_id)
        utc_minus_boot = self.utc_of_boot[boot_id]  # None in a boot without SYSTEM_TIME: never another boot's
        if self.time_base == "tlog" and self.clock_sync is not None and utc_minus_boot is not None:
            return usec * 1e-6 - utc_minus_boot + self.clock_sync.offset_at(tlog_t)  # UTC → boot → receiver
        clock = self.boot_arrival[boot_id]
        if clock is not None and utc_minus_boot is not None:  # UTC → boot → the .tlog clock,
            return clock.at(usec * 1e-6 - utc_minus_boot)  # as the boot-stamped samples are
        if self.time_base == "tlog" and self.tlog_to_utc_s is not None:
            return usec * 1e-6 - self.tlog_to_utc_s  # UTC → the logging computer's clock
        return usec * 1e-6

    def _gimbal_clocks(self, msgs: list[tuple[float, mavlink.MAVLink_message]]) -> dict[tuple[int, int], float]:
        """Seconds to add to a gimbal component's ``time_boot_ms`` to put it on the autopilot's boot clock, by
        (component, boot). A MAVLink gimbal device stamps its status with its own uptime; mapped with the
        autopilot's offset, a gimbal booted 7 s later read its attitude from 7 s earlier (14° off while tilting at
        2°/s) and the newest frames were 'after the last GIMBAL_DEVICE_ATTITUDE_STATUS'. Compared by the
        median arrival − stamp within each boot of the autopilot (its reboot does not restart the gimbal's clock:
        one median over two boots shifted the shorter boot's gimbal by the other's length); under 1 s apart they
        are taken to share the autopilot's clock."""
        lags: dict[tuple[int, int], list[float]] = {}
        for (t, m), b in zip(msgs, self.boot_ids.tolist()):
            if m.get_type() in ("GLOBAL_POSITION_INT", "GIMBAL_DEVICE_ATTITUDE_STATUS", "MOUNT_ORIENTATION"):
                lags.setdefault((m.get_srcComponent(), b), []).append(t - m.time_boot_ms * 1e-3)
        refs = {b: statistics.median(v) for (c, b), v in lags.items() if c == self.autopilot}
        shifts = {(c, b): statistics.median(v) - refs[b] for (c, b), v in lags.items()
                  if c != self.autopilot and b in refs}
        shifts = {k: d for k, d in shifts.items() if abs(d) > 1.0}
        for c in sorted({c for c, _ in shifts}):
            d = next(d for (c2, _), d in sorted(shifts.items()) if c2 == c)  # the first boot's, said once
            log.warning("%s: component %d stamps its gimbal attitude on its own clock, %.1f s %s the autopilot's; "
                        "shifted onto the autopilot's by arrival times%s", self.source, c, abs(d),
                        "behind" if d > 0 else "ahead of", " (each boot's own)" if len(refs) > 1 else "")
        return shifts

    def gimbal_shift(self, component: int, boot_id: int) -> float:
        """``_gimbal_clocks``' shift of a gimbal component's stamp in boot ``boot_id`` (0 on the autopilot's clock)."""
        return self.gimbal_shift_s.get((component, boot_id), 0.0)

    def utc_minus_boot_near(self, at_s: float, on_utc: bool = False) -> float | None:
        """``TelemetryBuffer.utc_minus_boot_near``."""
        if self._boot_spans is None or not len(self._boot_spans):
            return self.boot_to_utc_s
        b = boots.nearest(self._boot_spans, at_s, on_utc)
        return self.utc_of_boot[b] if b >= 0 else None

    def tlog_to_utc_near(self, at_s: float, on_utc: bool = False) -> float | None:
        """``TelemetryBuffer.tlog_to_utc_near``."""
        if not on_utc:
            return self._near.at(at_s)
        if self._near_utc is None:
            log_s, off = self._arrivals
            order = np.argsort(log_s + off, kind="stable")
            self._near_utc = NearOffsets((log_s + off)[order], off[order])
        return self._near_utc.at(at_s)

    def log_clock(self) -> arrival_clock.ArrivalClock | None:
        """``TelemetryBuffer.log_clock``."""
        if self.arrival_clock is not None:
            return self.arrival_clock
        if self._msgs is not None:  # fitted once; no line: the caller says what it does instead
            self._log_clock, _ = arrival_clock.of_messages(self._msgs, self.autopilot)
            self._msgs = None
        return self._log_clock

    def from_receiver_clock(self, receiver_s: float) -> float:
        """``TelemetryBuffer.from_receiver_clock``."""
        if self.time_base == "system_time" and self.clock_sync is not None:
            if not self.clock_sync.known(receiver_s):  # a host clock just stepped: NaN, said by the caller
                return float("nan")
            # the boot running then: rebooted, without its SYSTEM_TIME yet, another boot's put it in that one's time
            utc_minus_boot = self.utc_minus_boot_near(receiver_s)
            if utc_minus_boot is None:  # NaN: waits, said by the caller, as for a clock just stepped
                return float("nan")
            return self.clock_sync.to_boot_s(receiver_s) + utc_minus_boot
        return receiver_s

    def describe(self) -> dict[str, object]:
        """The time base's part of ``TelemetryBuffer.describe_time_base``."""
        return {"time_base": self.time_base, "boot_to_utc_s": self.boot_to_utc_s, "tlog_to_utc_s": self.tlog_to_utc_s,
                "timesync": self._timesync_info,
                "arrival_clock": self.arrival_clock.describe() if self.arrival_clock is not None else None,
                "arrival_clock_by_boot": [c.describe() if c is not None else None for c in self.boot_arrival]}


def _year(unix_s: float) -> int:
    return 1970 + int(unix_s // 31556952)  # mean Gregorian year: datetime stops at 9999
