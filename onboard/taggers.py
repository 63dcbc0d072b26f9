"""How the onboard runtime gives each frame its pose (split from ``onboard.runtime``): ``ReplayTagger``
from a log (CAMERA_FEEDBACK, else the frame's own time), ``LiveTagger`` from a live link, re-tagging
frames that later telemetry (or the link's clock mapping) can still place.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from onboard.frames import Frame
from onboard.pipeline import Tagger
from onboard.telemetry.buffer import CameraEvent, TelemetryBuffer
from onboard.telemetry.live import LiveMavlink
from onboard.telemetry.mount import FixedMount
from skyinspect.pose import Pose

CLOCK_SETTLING = "clock mapping to the vehicle not known yet (TIMESYNC, SYSTEM_TIME)"


def _awaits_telemetry(status: str) -> bool:
    """An untagged pose that later telemetry (or the link's clock mapping) can still tag."""
    return "after the last" in status or status.endswith(CLOCK_SETTLING)


class ReplayTagger(Tagger):
    def __init__(self, buffer: TelemetryBuffer, events: dict[int, CameraEvent] | None,
                 to_telemetry_s: Callable[[float], float] | None = None,
                 untagged_why: dict[int, str] | None = None) -> None:
        self.buffer, self.events = buffer, events or {}
        self.to_telemetry_s = to_telemetry_s or (lambda t: t)  # the frames' clock → the telemetry's
        self.untagged_why = untagged_why or {}  # frame index → why it has no event (a DJI photo without a pose)

    def __call__(self, frame: Frame) -> Pose:
        if self.events:
            event = self.events.get(frame.index)
            if event is None:
                return Pose.untagged(frame.capture_time_utc_s or math.nan,
                                     self.untagged_why.get(frame.index, f"no CAMERA_FEEDBACK for img_idx {frame.index}"))
            return self.buffer.pose_for_event(event)
        if frame.capture_time_utc_s is None:
            return Pose.untagged(math.nan, "frame has no capture time")
        return self.buffer.pose_at(self.to_telemetry_s(frame.capture_time_utc_s))


class LiveTagger(Tagger):
    """Tag from a live link; frames newer than the telemetry wait up to ``wait_s``, else are recorded
    untagged and re-tagged once later telemetry brackets them (kept ``retag_window_s``). A frame's
    host-clock stamp is mapped to the telemetry's time base by the buffer (TIMESYNC → vehicle boot
    → SYSTEM_TIME UTC when the vehicle answers TIMESYNC)."""

    def __init__(self, live: LiveMavlink, latency_s: float = 0.0, gap_threshold_s: float = 1.0,
                 time_base: str = "auto", wait_s: float = 0.5, retag_window_s: float = 30.0,
                 feedback_tolerance_s: float = 0.05, stop: threading.Event | None = None,
                 fixed_mount: FixedMount | None = None) -> None:
        self.live, self.latency_s, self.gap_threshold_s, self.time_base = live, latency_s, gap_threshold_s, time_base
        self.wait_s, self.retag_window_s, self.feedback_tolerance_s = wait_s, retag_window_s, feedback_tolerance_s
        self.stop = stop or threading.Event()
        self.fixed_mount = fixed_mount
        self.pending: dict[int, float] = {}

    def _buffer(self) -> TelemetryBuffer | None:
        return self.live.buffer(self.latency_s, self.gap_threshold_s, self.time_base, self.fixed_mount)

    def _pose(self, buffer: TelemetryBuffer | None, host_t: float) -> Pose:
        if buffer is None:
            return Pose.untagged(host_t, "no telemetry yet (position and attitude)")
        if (buffer.clock_sync is None or buffer.boot_to_utc_s is None) and self._settling():
            # Tagged now, a host stamp would be read as UTC (or the arrival clock): a companion 30 s off
            # the vehicle's UTC left its first frames 'before the first' sample or timed 30 s off. They
            # wait for the mapping instead and are re-tagged by it.
            return Pose.untagged(host_t, CLOCK_SETTLING)
        t = buffer.from_receiver_clock(host_t)
        if not math.isfinite(t):  # the host clock was just stepped: mapped once replies on the new clock have come
            return Pose.untagged(host_t, CLOCK_SETTLING)
        events = [e for e in buffer.camera_events() if abs(e.time_utc_s - (t + self.latency_s)) <= self.feedback_tolerance_s]
        if events:
            return buffer.pose_for_event(min(events, key=lambda e: abs(e.time_utc_s - t - self.latency_s)))
        return buffer.pose_at(t)

    def _settling(self) -> bool:
        return bool(getattr(self.live, "clock_settling", lambda: False)())

    def __call__(self, frame: Frame) -> Pose:
        t = frame.capture_time_utc_s if frame.capture_time_utc_s is not None else time.time()
        # Wait until wait_s after the frame's *capture*, not after now: a frame that already spent
        # that long in the queues gets no more, else during a link loss every frame cost wait_s of
        # recording time and the camera queue dropped frames (6 s loss at 10 fps: 40 of 90 lost).
        deadline = time.monotonic() + min(max(t + self.wait_s - time.time(), 0.0), self.wait_s)
        while True:
            buffer = self._buffer()
            pose = self._pose(buffer, t)
            late = buffer is None or _awaits_telemetry(pose.status)
            if pose.is_tagged or not late or time.monotonic() >= deadline or self.stop.is_set():
                break
            time.sleep(0.02)
        if not pose.is_tagged and (late or "gap" in pose.status):
            self.pending[frame.index] = t
        return pose

    def retag(self) -> list[tuple[int, Pose]]:
        if not self.pending:
            return []
        buffer = self._buffer()
        done: list[tuple[int, Pose]] = []
        now = time.time()  # frames' stamps are host clock; the newest *pending* frame never aged them once
        for index, t in list(self.pending.items()):  # tagging resumed, so hole frames were kept all flight
            pose = self._pose(buffer, t)
            if pose.is_tagged or now - t > self.retag_window_s or not (_awaits_telemetry(pose.status)
                                                                       or "gap" in pose.status):
                # given up untagged, it is written too: its record said 'clock mapping ... not known yet'
                # for good once the mapping put it before the first sample
                done.append((index, pose))
                del self.pending[index]
        return done
