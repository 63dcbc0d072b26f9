"""Which clock replayed frames were stamped on, and how their times reach the telemetry's time base.

A frame's capture time (from its file name, EXIF, or a video's start time) is on one of two clocks:

- ``utc``: GNSS/UTC, e.g. a camera synced to the vehicle's GPS time. That is the clock of the
  telemetry's ``system_time`` base, so no mapping is needed.
- ``log``: the clock of the computer that wrote the .tlog (the ground station, or the companion that
  also saved the images: cuav-style names, a companion's EXIF). Every .tlog record carries a time on
  that clock, and TIMESYNC round trips in the log relate it to the vehicle's boot clock
  (``onboard.telemetry.timesync``), so a frame maps log clock → vehicle boot → UTC.
  Without usable TIMESYNC replies, log clock → boot by the lower envelope of the position and attitude
  arrivals (``onboard.telemetry.arrival_clock``: the least-delayed messages), then boot → UTC by SYSTEM_TIME;
  where no one line holds (a stepped or replayed log) by SYSTEM_TIME arrival times, which lag by the link
  latency (frames then get the pose from that much earlier) and say so in a warning.

``auto`` (the default) keeps what replay has always done: frames are taken to be on the telemetry's
clock, and ``onboard.replay`` switches the telemetry to the .tlog clock when no frame falls inside
the vehicle's UTC span. A sub-second difference between the two clocks cannot be detected from the
data that way (the SITL log in tests/data: 467 ms, 0.47 m per m/s of speed), so say ``log`` when
you know.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from onboard.telemetry.buffer import CameraEvent, TelemetryBuffer
from onboard.telemetry.series import utc_iso
from onboard.telemetry.timesync import ClockSync
from skyinspect.errors import InputError, describe

log = logging.getLogger(__name__)

FRAME_CLOCKS = ("auto", "utc", "log")
# A frame that is a photo has that photo's EXIF time (the DJI reader moves photos of one second apart
# by 1 ms): further off, it is a frame of another camera, whose clock may be off by anything.
_SAME_CLOCK_S = 0.5
_HOW = "pass --frame-clock utc (GNSS/UTC camera time) or log (the clock of the computer that wrote the .tlog)"


@dataclass(frozen=True)
class FrameClock:
    """Maps a frame time on ``clock`` to the telemetry's ``time_base`` by ``method``:
    ``same`` (already on it), ``timesync`` (through the vehicle's boot clock), ``arrival_clock`` (through the boot
    clock and the arrivals' lower envelope: ``TelemetryBuffer.log_clock``, UTC onto the .tlog clock as the samples
    are, or the .tlog clock onto UTC) or
    ``system_time_arrival`` (SYSTEM_TIME arrival offset: late by the link latency)."""

    clock: str  # "utc" or "log"
    time_base: str  # the telemetry's: "system_time" (UTC) or "tlog" (the records' clock)
    method: str
    sync: ClockSync | None = None
    boot_to_utc_s: float | None = None
    log_to_utc_s: float | None = None  # the whole log's median (the record's meta)
    buffer: TelemetryBuffer | None = field(default=None, repr=False, compare=False)  # its arrivals near a time

    def to_telemetry_s(self, frame_s: float) -> float:
        if self.method == "same":
            return frame_s
        if self.method == "arrival_clock" and self.clock == "log":  # the .tlog clock → boot → UTC
            return self.buffer.log_clock().boot_at(frame_s) + self.boot_to_utc_s  # type: ignore[union-attr,operator]
        if self.method == "arrival_clock":  # UTC → boot → the .tlog clock
            return self.buffer.arrival_clock.at(frame_s - self.boot_to_utc_s)  # type: ignore[union-attr,operator]
        if self.clock == "log":  # → UTC
            if self.method == "timesync":
                return self.sync.to_boot_s(frame_s) + self._utc_minus_boot_s(frame_s, on_utc=False)  # type: ignore[union-attr]
            return frame_s + self._utc_minus_log_s(frame_s, on_utc=False)
        if self.method == "timesync":  # UTC → boot → the log clock (the offset varies by ppm: one guess is enough)
            boot_s = frame_s - self._utc_minus_boot_s(frame_s, on_utc=True)
            # the stretch of the log clock the frame falls in, by the SYSTEM_TIME arrivals near it (by the first
            # stretch's offset, a frame after a reboot or a logging clock's step took another stretch's)
            near = self.buffer.tlog_to_utc_near(frame_s, on_utc=True) if self.buffer is not None else None
            guess_s = frame_s - near if near is not None else boot_s + self.sync.offsets_s[0]  # type: ignore[union-attr]
            return boot_s + self.sync.offset_at(guess_s)  # type: ignore[union-attr]
        return frame_s - self._utc_minus_log_s(frame_s, on_utc=True)

    def _utc_minus_boot_s(self, at_s: float, on_utc: bool) -> float:
        """The vehicle's UTC − boot clock of the boot running at the frame (a rebooted vehicle: each boot's own;
        NaN in a boot without SYSTEM_TIME: its frames untagged, 'no capture time on the telemetry's clock')."""
        near = self.buffer.utc_minus_boot_near(at_s, on_utc)  # type: ignore[union-attr]  # timesync: has one
        return near if near is not None else float("nan")

    def _utc_minus_log_s(self, at_s: float, on_utc: bool) -> float:
        """The SYSTEM_TIME arrival offset near the frame (the logging clock may step mid-log), else the log's."""
        near = self.buffer.tlog_to_utc_near(at_s, on_utc) if self.buffer is not None else None
        return near if near is not None else self.log_to_utc_s  # type: ignore[return-value]

    def describe(self) -> dict[str, object]:
        """For the flight record's meta (``frame_clock``)."""
        info: dict[str, object] = {"clock": self.clock, "time_base": self.time_base, "method": self.method}
        if self.method == "timesync" and self.sync is not None:
            info["log_minus_boot_s"] = self.sync.describe()["offset_s"]
        if self.method == "system_time_arrival":
            info["utc_minus_log_s"] = self.log_to_utc_s
        if self.method == "arrival_clock":
            info["boot_to_utc_s"] = self.boot_to_utc_s
            if self.clock == "log" and self.buffer is not None:  # (the samples' meta holds it on the .tlog clock)
                info["arrival_clock"] = self.buffer.log_clock().describe()  # type: ignore[union-attr]
        return info


def map_frame_clock(buffer: TelemetryBuffer, clock: str, source: str | Path = "<frames>") -> FrameClock:
    """How frames stamped on ``clock`` ("auto", "utc" or "log") map onto ``buffer``'s time base."""
    if clock not in FRAME_CLOCKS:
        raise InputError(describe(source, f"frame clock must be one of {FRAME_CLOCKS}, got {clock!r}", _HOW))
    base = buffer.time_base
    if clock == "auto":  # frames on whatever clock the telemetry is timed by (replay picks it)
        return FrameClock("utc" if base == "system_time" else "log", base, "same")
    if (clock == "utc") == (base == "system_time"):
        return FrameClock(clock, base, "same")
    if buffer.boot_to_utc_s is None:  # UTC frames, telemetry without SYSTEM_TIME
        raise InputError(describe(source, "frames are stamped in UTC but the telemetry has no SYSTEM_TIME "
                                  "(GNSS time) to relate UTC to the vehicle's clock",
                                  "Log SYSTEM_TIME, or pass --frame-clock log if the frames were stamped "
                                  "by the computer that wrote the .tlog"))
    sync, extra = buffer.clock_sync, {"boot_to_utc_s": buffer.boot_to_utc_s, "log_to_utc_s": buffer.tlog_to_utc_s}
    if sync is not None:
        return FrameClock(clock, base, "timesync", sync, **extra, buffer=buffer)
    if clock == "utc" and buffer.arrival_clock is not None:  # the samples' clock: no link delay in either
        return FrameClock(clock, base, "arrival_clock", None, **extra, buffer=buffer)
    if clock == "utc":  # telemetry timed by arrival on the log clock: the arrival offset lags alike, no bias
        return FrameClock(clock, base, "system_time_arrival", None, **extra, buffer=buffer)
    info = buffer.describe_time_base().get("timesync")
    why = ("its TIMESYNC replies were refused as inconsistent (see the warning above)" if info
           else "it holds no TIMESYNC replies from the vehicle to the logging computer's requests")
    # the least-delayed arrivals, where one line holds: the SYSTEM_TIME arrivals' median held the median delay
    envelope = buffer.log_clock() is not None
    how = ("the lower envelope of the position and attitude arrival times, which lag by the link's least delay"
           if envelope else "SYSTEM_TIME arrival times, which lag by the link latency")
    log.warning("%s: frames are on the logging computer's clock but %s; relating that clock to UTC instead by %s "
                "(frames get the pose from that much earlier; add it with --latency-s). To map exactly, record the "
                ".tlog with a ground station or companion that sends TIMESYNC requests", buffer.source, why, how)
    return FrameClock(clock, base, "arrival_clock" if envelope else "system_time_arrival", None, **extra, buffer=buffer)


def frames_inside(buffer: TelemetryBuffer, times_s: list[float], clock: FrameClock) -> int:
    """How many frame times (+ the buffer's latency) fall inside the telemetry once mapped."""
    lo, hi = buffer.span_utc_s
    return sum(lo <= clock.to_telemetry_s(t) + buffer.latency_s <= hi for t in times_s)


def outside_note(buffer: TelemetryBuffer, times_s: list[float], clock: FrameClock) -> str | None:
    """What to tell the user when no frame time falls inside the telemetry (every frame will be
    recorded untagged), else None: the spans, how far apart, and the fix."""
    if not times_s or frames_inside(buffer, times_s, clock):
        return None
    when = sorted(clock.to_telemetry_s(t) + buffer.latency_s for t in times_s)
    first, last = when[0], when[-1]
    lo, hi = buffer.span_utc_s
    spans = [("UTC" if buffer.time_base == "system_time" else "the .tlog writer's clock", lo, hi)]
    utc_minus_log_s = buffer.tlog_to_utc_s
    if buffer.time_base == "system_time" and clock.method == "same" and utc_minus_log_s is not None \
            and abs(utc_minus_log_s) > 1.0:  # replay also tries the .tlog clock (auto): say that span too
        # where the records lie, not the UTC span moved by the log's median: a replayed log's (the real ArduPlane
        # 2016 .tlog: 128 s of records for 589 s of boot time) were said to span 589 s, from 5 min too early
        spans.append(("the .tlog writer's clock", *buffer.records_span_s))
    # the nearer span is what the frames were most likely meant to fall in
    name, lo, hi = min(spans, key=lambda s: abs((s[1] + s[2]) / 2 - (first + last) / 2))
    apart = (f"the frames start {first - hi:.0f} s after the log ends" if first > hi
             else f"the frames end {lo - last:.0f} s before the log starts" if last < lo
             else f"the frames start {lo - first:.0f} s before the log starts and end {last - hi:.0f} s after it ends"
             if first < lo and last > hi else "the frames overlap it")  # only the other clock's span can
    hours = round(((lo + hi) / 2 - (first + last) / 2) / 3600)
    # a whole number of hours apart is a clock zone, not a drift: the usual camera set to local time
    cause = (f"About {abs(hours)} h apart: a camera clock on local time rather than UTC? Pass --latency-s "
             f"{hours * 3600 + buffer.latency_s:.0f} to shift the frames by {hours} h" if hours
             else "A camera clock set wrong, or frames from another flight? Pass --latency-s with the offset "
                  "to shift them")
    logs = "; ".join(f"{utc_iso(a)} .. {utc_iso(b)} on {n}" for n, a, b in spans)
    return (f"all {len(when)} frames' capture times fall outside the telemetry, so every frame is recorded "
            f"untagged: frames {utc_iso(first)} .. {utc_iso(last)} ({clock.clock} clock), the log's positions {logs}; "
            f"{apart}{'' if len(spans) == 1 else ' (' + name + ')'}. {cause}, --frame-clock utc or log if they "
            "were stamped by the other clock, or give the telemetry log of this flight")


def _minus_photos(buffer: TelemetryBuffer, events: dict[int, CameraEvent], times_s: list[float | None],
                  clock: FrameClock) -> tuple[list[float], list[float]]:
    """The frames' times on the telemetry's clock (latency added), and frame n's minus CAMERA_FEEDBACK img_idx
    n's for each n the log has (pair_by_time and numbers_contradict_times judge the frames by both)."""
    when = [clock.to_telemetry_s(t) + buffer.latency_s for t in times_s]  # type: ignore[arg-type]
    return when, [when[n - 1] - events[n].time_utc_s for n in range(1, len(when) + 1) if n in events]


def pair_by_time(buffer: TelemetryBuffer, events: dict[int, CameraEvent], times_s: list[float | None],
                 clock: FrameClock, same_clock: bool = False) -> dict[int, CameraEvent] | None:
    """Frame n (1-based) → the CAMERA_FEEDBACK nearest its own time, when every frame has a time and each
    lies within half the shortest interval between photos of a different one; else None. Pairing by
    number (frame n = img_idx n) gave every frame after a photo missing from the folder the pose of
    another photo; frames timed on another clock (a camera's local time) match nothing and keep it.
    ``same_clock``: the telemetry is the photos' own metadata (a DJI folder), so frames each at a photo's
    own time are those photos, and a constant offset between their numbers and times is a photo missing,
    not a camera clock: a timer's photos are evenly spaced, and the first one deleted shifted every frame
    by exactly one interval."""
    if not events or any(t is None for t in times_s):
        return None
    shots = sorted(events.values(), key=lambda e: e.time_utc_s)
    at = [e.time_utc_s for e in shots]
    gaps = [b - a for a, b in zip(at, at[1:]) if b > a]
    tolerance_s = 0.5 * min(gaps) if gaps else 0.5
    when, by_number = _minus_photos(buffer, events, times_s, clock)
    limit_s = tolerance_s
    if len(by_number) == len(when) and max(by_number) - min(by_number) <= tolerance_s:
        # the numbers agree with the times but for a constant offset (the camera's clock): keep them, unless
        # the frames are the photos, each at its own photo's time (a frame on another clock is not)
        if not same_clock or max(map(abs, by_number)) <= tolerance_s:
            return None
        limit_s = min(tolerance_s, _SAME_CLOCK_S) + abs(buffer.latency_s)
    paired: dict[int, CameraEvent] = {}
    for n, t in enumerate(when, start=1):
        nearest = min(shots, key=lambda e: abs(e.time_utc_s - t))
        if abs(nearest.time_utc_s - t) > limit_s or nearest in paired.values():
            return None
        paired[n] = nearest
    return paired


# Frame n's own time minus photo n's may drift this far around its median (a camera clock's offset is one
# constant; EXIF times in whole seconds and a photo or two deleted move it by a few intervals) before the
# numbers are taken to be contradicted by the times: seconds, or this many photo intervals if more.
CONTRADICTION_S = 5.0
CONTRADICTION_INTERVALS = 3.0


def numbers_contradict_times(buffer: TelemetryBuffer, events: dict[int, CameraEvent], times_s: list[float | None],
                             clock: FrameClock) -> str | None:
    """Why the frames are not the log's photos, or None: every frame carries its own time inside the
    telemetry, and frame n's time minus photo n's varies far more than a camera clock's constant offset.
    Pairing by number (frame n = img_idx n) then put frames of a second camera or a video on the poses of
    other photos: 30 frames every 0.5 s on the SITL facade log's first lane took photos 1-30's, 10.8 m
    off at the median (25.5 m at most, lanes 2 and 3), their own times replaced by up to 42.9 s."""
    if not events or any(t is None for t in times_s):
        return None
    when, by_number = _minus_photos(buffer, events, times_s, clock)
    lo, hi = buffer.span_utc_s
    if not all(lo <= t <= hi for t in when):
        return None  # frames on another clock (a camera's local time): their numbers are all there is
    by_number.sort()
    if len(by_number) < 2:
        return None
    at = sorted(e.time_utc_s for e in events.values())
    gaps = sorted(b - a for a, b in zip(at, at[1:]) if b > a)
    interval_s = gaps[len(gaps) // 2] if gaps else 0.0
    median = by_number[len(by_number) // 2]
    spread_s = max(abs(r - median) for r in by_number)
    if spread_s <= max(CONTRADICTION_S, CONTRADICTION_INTERVALS * interval_s):
        return None
    return (f"the {len(when)} frames carry their own times inside the telemetry, and frame n's time minus "
            f"CAMERA_FEEDBACK img_idx n's runs from {by_number[0]:+.1f} to {by_number[-1]:+.1f} s (photos "
            f"{interval_s:.1f} s apart): they are not the log's photos (a second camera, video frames)")
