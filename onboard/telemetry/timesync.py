"""MAVLink TIMESYNC: the offset between a receiving computer's clock and the vehicle's boot clock.

TIMESYNC (message 111; ``tc1``, ``ts1``: int64 nanoseconds). A requester sends ``tc1 = 0`` and
``ts1`` = its own clock; the responder mirrors ``ts1`` and puts its own clock in ``tc1``. ArduPilot
answers with its boot time (``micros64() × 1000``, taken as close as possible to when the request
arrived) and PX4 with ``hrt_absolute_time() × 1000`` — both the clock of ``time_boot_ms`` in every
other message. A reply that arrives at receiver time ``r`` gives

    offset = (ts1 + r) / 2 − tc1      receiver clock − vehicle boot clock
    round trip = r − ts1

which is exact when both legs take equally long; an asymmetry shifts it by at most round trip / 2.
Filtering: round trips in chunks of ``CHUNK`` consecutive replies, in each the quarter with the
shortest round trip (at least 3), their median offset; between chunks the offset is interpolated
linearly, so a crystal drifting against the receiver's clock is followed (≈ 49 ppm, i.e. 10 ms over
the 205 s of the SITL log in tests/data). Where the receiver's own clock was stepped (chrony's makestep),
the offsets jump and stay: each stretch between steps is estimated on its own (``segments``).

The receiver's clock is whatever timed the records: a .tlog's timestamps (the logging computer) or
the companion's host clock on a live link (``LiveMavlink`` sends the requests with
``TimesyncRequester``). Replies are used only when ``ts1`` is on that clock (the request left no
more than ``max_rtt_s`` before the reply arrived), they come from the component that reports the
vehicle's position (a camera or gimbal may answer with its own clock), and — see ``check`` — no
position or attitude message would then have arrived before the vehicle stamped it.

Answering: ArduPilot and PX4 also send requests of their own to a companion and estimate its clock
from the replies. ``is_request_for`` picks the requests we owe an answer (not our own echoed back,
not replies, addressed to us or broadcast) and ``reply`` builds the answer (``ts1`` mirrored, target
= the requester where the dialect has the fields).
"""

from __future__ import annotations

import math
import statistics
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.telemetry.clock_jumps import CLOCK_JUMP_S, CLOCK_RUN, after_last_jump, steps_back

CHUNK = 20  # round trips per estimate (20 s at the live request rate of 1 Hz)
MIN_ROUND_TRIPS = 3
MAX_RTT_S = 1.0
# A message "arriving before it was stamped" by more than this (1st percentile) means the offset is
# not the receiver's: a wrong clock in ts1, or a responder that is not the autopilot.
CAUSALITY_TOLERANCE_S = 0.05


@dataclass(frozen=True)
class RoundTrip:
    """One TIMESYNC request and its reply, in seconds."""

    sent_s: float  # receiver clock when the request left (ts1)
    received_s: float  # receiver clock when the reply arrived
    remote_s: float  # vehicle boot clock in the reply (tc1)
    record: int = -1  # the reply's position in the records (their arrival order)

    @property
    def rtt_s(self) -> float:
        return self.received_s - self.sent_s

    @property
    def offset_s(self) -> float:
        """Receiver clock − vehicle boot clock (midpoint estimate)."""
        return 0.5 * (self.sent_s + self.received_s) - self.remote_s


@dataclass(frozen=True)
class ClockSync:
    """Receiver clock − vehicle boot clock, piecewise linear in the receiver's time; a new piece (segment)
    where the receiver's clock was stepped (``starts_s``: the receiver time from which each applies)."""

    times_s: tuple[float, ...]  # receiver time of each chunk's estimate
    offsets_s: tuple[float, ...]
    rtt_s: float  # median round trip of the replies used
    round_trips: int  # replies found (all chunks)
    used: int  # replies the estimates rest on (the short-round-trip quarter of each chunk)
    starts_s: tuple[float, ...] = (-math.inf,)  # per segment: from this receiver time on (the newest wins)
    first_chunk: tuple[int, ...] = (0,)  # per segment: its first chunk in times_s
    last_step_record: int = 0  # the first reply after the receiver clock's last step: its position in the records
    unknown_from_s: float = math.inf  # stepped here, too few replies on the new clock yet: no mapping from here on

    def known(self, receiver_s: float) -> bool:
        """False for a receiver time on a clock just stepped, before enough replies on it have come."""
        return receiver_s < self.unknown_from_s

    def _chunks(self, k: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
        end = self.first_chunk[k + 1] if k + 1 < len(self.first_chunk) else len(self.times_s)
        return self.times_s[self.first_chunk[k]:end], self.offsets_s[self.first_chunk[k]:end]

    def offsets_at(self, receiver_s: np.ndarray) -> np.ndarray:
        """The offset at each receiver time (held constant outside a segment's measured span)."""
        t = np.asarray(receiver_s, dtype=np.float64)
        out, done = np.empty_like(t), np.zeros(t.shape, dtype=bool)
        for k in reversed(range(len(self.starts_s))):  # a clock stepped back: its newest reading wins
            here = ~done & (t >= self.starts_s[k]) if k else ~done
            times, offsets = self._chunks(k)
            out[here] = np.interp(t[here], times, offsets)
            done |= here
        return out

    def offset_at(self, receiver_s: float) -> float:
        """The offset at a receiver time (held constant outside the measured span)."""
        return float(self.offsets_at(np.array([receiver_s]))[0])

    def to_boot_s(self, receiver_s: float) -> float:
        return receiver_s - self.offset_at(receiver_s)

    @property
    def drift_ppm(self) -> float:
        """Rate of the vehicle clock against the receiver's, end to end of the last segment (0 with one chunk)."""
        times, offsets = self._chunks(len(self.starts_s) - 1)
        span = times[-1] - times[0]
        return (offsets[0] - offsets[-1]) / span * 1e6 if span > 0 else 0.0

    def describe(self) -> dict[str, float | int]:
        return {"offset_s": statistics.median(self._chunks(len(self.starts_s) - 1)[1]), "rtt_s": self.rtt_s,
                "round_trips": self.round_trips, "used": self.used, "chunks": len(self.times_s),
                "drift_ppm": round(self.drift_ppm, 2), "receiver_clock_steps": len(self.starts_s) - 1}


def round_trips(records: Iterable[tuple[float, mavlink.MAVLink_message]], system_id: int,
                component_id: int | None = None, max_rtt_s: float = MAX_RTT_S) -> list[RoundTrip]:
    """Replies from the vehicle to requests stamped on the records' own clock, in the records' order."""
    trips = []
    for i, (t, m) in enumerate(records):
        if m.get_type() != "TIMESYNC" or m.tc1 <= 0 or m.get_srcSystem() != system_id:
            continue
        if component_id is not None and m.get_srcComponent() != component_id:
            continue
        trip = RoundTrip(m.ts1 * 1e-9, float(t), m.tc1 * 1e-9, i)
        if 0.0 <= trip.rtt_s <= max_rtt_s:  # else ts1 is another clock (the vehicle's own, another GCS's)
            trips.append(trip)
    return trips  # in record order, which is arrival order: sorted by time, a clock stepped back interleaved


def estimate(trips: list[RoundTrip], chunk: int = CHUNK, best_fraction: float = 0.25,
             min_round_trips: int = MIN_ROUND_TRIPS, back_steps: list[tuple[int, float]] = ()) -> ClockSync | None:
    """Short-round-trip medians per chunk of ``chunk`` replies, per segment between steps of the receiver's
    clock (``segments``); None with fewer than ``min_round_trips``. ``back_steps`` (``backward_steps``): where
    the records show the clock stepped back, which a segment then starts from (or no mapping, before one)."""
    parts = [p for p in segments(trips) if len(p) >= min_round_trips]
    if not parts:
        return None
    tail = _stepped_tail(parts[-1], min_round_trips)
    if tail:  # the last replies are on a clock stepped since: not enough of them to map it, nor of the old clock
        parts[-1] = parts[-1][:-len(tail)]
    times, offsets, rtts, starts, first_chunk = [], [], [], [], []
    for k, part in enumerate(parts):
        if k:  # where the receiver clock's step between this part and the one before starts
            prev, first = parts[k - 1][-1], part[0]
            starts.append(_step_start(prev, first, [a for i, a in back_steps if prev.record < i <= first.record]))
        else:
            starts.append(-math.inf)
        first_chunk.append(len(times))
        t, o, r = _chunk_estimates(part, chunk, best_fraction, min_round_trips)
        times += t
        offsets += o
        rtts += r
    # steps after the last reply used, the first of each kind: replies on a stepped clock, too few to map it
    # (the tail); a step back seen in the arrivals (the new clock's stamps overlap the old one's)
    last = parts[-1][-1]
    pending = [(max(tail[0].record, 0), _step_start(last, tail[0]))] if tail else []
    pending += [(i, a) for i, a in back_steps if i > last.record][:1]
    last_step = min((i for i, _ in pending), default=max(parts[-1][0].record, 0) if len(parts) > 1 else 0)
    unknown_from_s = min((a for _, a in pending), default=math.inf)
    return ClockSync(tuple(times), tuple(offsets), statistics.median(rtts), len(trips), len(rtts), tuple(starts),
                     tuple(first_chunk), last_step, unknown_from_s)


def _step_start(before: RoundTrip, after: RoundTrip, back_s: list[float] = ()) -> float:
    """Where a receiver clock stepped between two replies starts: halfway across a step forward (readings on
    either side told apart); after a step back at the later reply, or where the arrivals stepped back
    (``back_s``) if earlier (the readings before overlap it)."""
    if after.received_s > before.received_s:
        return 0.5 * (before.received_s + after.received_s)
    return min([after.received_s, *back_s])


def backward_steps(times: np.ndarray) -> list[tuple[int, float]]:
    """(position, time) of each record (by its time, ``times``) where the records' clock stepped back
    (``clock_jumps.steps_back``). Its new readings overlap the old ones, and the replies on it come up to a
    second later: a frame stamped meanwhile was mapped by the old clock, a step's time off."""
    return [(int(i), float(times[i])) for i in steps_back(times)]


def _stepped_tail(part: list[RoundTrip], min_round_trips: int) -> list[RoundTrip]:
    """The last replies of ``part`` if its clock was stepped before them: fewer than ``CLOCK_RUN`` (else they
    are a segment of their own), each off the others' median by more than ``CLOCK_JUMP_S`` and its own
    uncertainty (half its round trip). Mapped by the old clock meanwhile, frames taken in the 2-3 s after
    a step back were tagged where the vehicle had been a step's time earlier, or TIMESYNC was refused."""
    if len(part) <= min_round_trips:
        return []
    settled = statistics.median(r.offset_s for r in part[:len(part) - CLOCK_RUN + 1])
    n = 0
    while n < CLOCK_RUN - 1 and len(part) - n - 1 >= min_round_trips:
        trip = part[-1 - n]
        if abs(trip.offset_s - settled) <= CLOCK_JUMP_S + 0.5 * trip.rtt_s:
            break
        n += 1
    return part[len(part) - n:]


def segments(trips: list[RoundTrip]) -> list[list[RoundTrip]]:
    """Round trips split where the receiver's clock was stepped (chrony's makestep, a companion booted on
    a stale clock): the offsets jump by more than ``CLOCK_JUMP_S`` and stay there (``after_last_jump``).
    One estimate across a 30 s step, interpolated, timed frames on either side up to 150 m off (5 m/s)."""
    offsets = [r.offset_s for r in trips]
    cuts, end = [], len(trips)
    while end > 0:
        start = after_last_jump(offsets[:end])
        cuts.insert(0, start)
        if start == 0:
            break
        end = start
    bounds = cuts + [len(trips)]
    return [trips[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def _chunk_estimates(trips: list[RoundTrip], chunk: int, best_fraction: float,
                     min_round_trips: int) -> tuple[list[float], list[float], list[float]]:
    bounds = list(range(0, len(trips), chunk))
    if len(bounds) > 1 and len(trips) - bounds[-1] < chunk // 2:
        bounds.pop()  # a short last chunk joins the one before
    times, offsets, rtts = [], [], []
    for i, start in enumerate(bounds):
        part = trips[start:bounds[i + 1] if i + 1 < len(bounds) else len(trips)]
        keep = max(min(min_round_trips, len(part)), round(len(part) * best_fraction))
        best = sorted(part, key=lambda r: r.rtt_s)[:keep]
        times.append(statistics.median(r.received_s for r in best))
        offsets.append(statistics.median(r.offset_s for r in best))
        rtts += [r.rtt_s for r in best]
    return times, offsets, rtts


def check(sync: ClockSync, stamped: list[tuple[float, float]],
          tolerance_s: float = CAUSALITY_TOLERANCE_S) -> tuple[bool, float]:
    """(consistent, median link latency s) from (arrival on the receiver clock, vehicle boot stamp)
    pairs: with the right offset every message arrives after it was stamped. One-sided: an offset
    too small by less than the real link latency passes."""
    arrival, boot = np.asarray(stamped, dtype=np.float64).reshape(-1, 2).T
    known = arrival < sync.unknown_from_s  # a clock just stepped is not mapped yet: nothing to check there
    arrival, boot = arrival[known], boot[known]
    if not len(arrival):
        return True, float("nan")
    latency = arrival - boot - sync.offsets_at(arrival)
    return bool(np.percentile(latency, 1) >= -tolerance_s), float(np.median(latency))


class TimesyncRequester:
    """Paces TIMESYNC requests on a live link and recognises the replies to them.

    ``burst`` requests ``burst_interval_s`` apart at first (an estimate within a second), then one
    every ``interval_s``. Only replies that mirror a ``ts1`` we sent (the last ``keep``) are ours:
    other requesters' replies and the vehicle's own requests are not. pymavlink's dialect has no
    target fields in TIMESYNC, so requests are broadcast; several components may answer one, and
    ``round_trips`` keeps the autopilot's."""

    def __init__(self, interval_s: float = 1.0, burst: int = 8, burst_interval_s: float = 0.1,
                 keep: int = 64) -> None:
        self.interval_s, self.burst, self.burst_interval_s, self.keep = interval_s, burst, burst_interval_s, keep
        self._pending: OrderedDict[int, float] = OrderedDict()
        self._last_s = float("-inf")
        self.requests = 0

    @property
    def enabled(self) -> bool:
        return self.interval_s > 0

    def due(self, now_s: float) -> bool:
        wait = self.burst_interval_s if self.requests < self.burst else self.interval_s
        # a clock stepped back (now before the last request) is due too: else none went out until it caught up
        return self.enabled and (now_s < self._last_s or now_s - self._last_s >= wait - 1e-3)  # 1 ms jitter: on time

    def request(self, now_s: float) -> mavlink.MAVLink_message:
        ts1 = int(round(now_s * 1e9))
        self._pending[ts1] = now_s
        while len(self._pending) > self.keep:
            self._pending.popitem(last=False)
        self._last_s = now_s
        self.requests += 1
        return mavlink.MAVLink_timesync_message(0, ts1)

    def seconds_until_due(self, now_s: float) -> float:
        """How long a sender may sleep before the next request (inf when requests are off)."""
        if not self.enabled:
            return float("inf")
        wait = self.burst_interval_s if self.requests < self.burst else self.interval_s
        return 0.0 if now_s < self._last_s else max(0.0, self._last_s + wait - 1e-3 - now_s)

    def sent(self, ts1_ns: int) -> bool:
        """True if ``ts1_ns`` is one of the last ``keep`` requests we sent."""
        return ts1_ns in self._pending

    def is_reply_to_us(self, msg: mavlink.MAVLink_message) -> bool:
        return msg.get_type() == "TIMESYNC" and msg.tc1 > 0 and self.sent(msg.ts1)


# Newer MAVLink (common.xml) adds target_system/target_component extensions to TIMESYNC; pymavlink's
# bundled dialect may predate them, so every use is guarded.
HAS_TARGETS = "target_system" in mavlink.MAVLink_timesync_message.fieldnames


def is_request_for(msg: mavlink.MAVLink_message, own_ids: tuple[int, int],
                   requester: TimesyncRequester | None = None) -> bool:
    """A TIMESYNC request (``tc1 == 0``) that we should answer: not sent by ``own_ids`` (a router or a
    broadcast link echoing our request back), not carrying a ``ts1`` we sent, and addressed to us
    or broadcast (target 0) where the message has target fields."""
    if msg.get_type() != "TIMESYNC" or msg.tc1 != 0:
        return False
    if (msg.get_srcSystem(), msg.get_srcComponent()) == tuple(own_ids):
        return False
    if requester is not None and requester.sent(msg.ts1):
        return False
    target_system, target_component = getattr(msg, "target_system", 0), getattr(msg, "target_component", 0)
    return target_system in (0, own_ids[0]) and target_component in (0, own_ids[1])


def reply(request: mavlink.MAVLink_message, tc1_ns: int) -> mavlink.MAVLink_message:
    """The answer to ``request``: ``tc1`` = our clock in ns, ``ts1`` mirrored, target = the requester."""
    fields: dict[str, int] = {"tc1": int(tc1_ns), "ts1": int(request.ts1)}
    if HAS_TARGETS:
        fields.update(target_system=request.get_srcSystem(), target_component=request.get_srcComponent())
    return mavlink.MAVLink_timesync_message(**fields)
