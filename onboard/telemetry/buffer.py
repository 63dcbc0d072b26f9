"""Vehicle state over a flight, from MAVLink messages, and the camera pose at any capture time.

Time bases (``onboard.telemetry.sample_clock``). Every sample gets a UTC time in seconds:
- ``system_time`` (default when the log has SYSTEM_TIME with a GPS-derived clock): messages stamped
  with the vehicle's boot time (``time_boot_ms``) are mapped to UTC with the median of
  ``time_unix_usec − time_boot_ms`` over all SYSTEM_TIME messages; the median shrugs off the odd
  sample sent while the GPS clock was still settling. After a reboot, each boot's own (``boots``).
- ``tlog``: the clock of the records' own timestamps (the computer that wrote the .tlog, or the
  companion's host clock on a live link). Used, with a warning, when SYSTEM_TIME is missing; also
  the right choice when the frames were stamped by the same computer that wrote the .tlog
  (cuav-style companions) and the vehicle's UTC disagrees. Boot-stamped samples are placed on that
  clock by TIMESYNC round trips when the records hold replies to requests stamped on it
  (``onboard.telemetry.timesync``: midpoint estimate, short round trips, drift followed), else by
  their arrival times (which add the link latency and its jitter).

TIMESYNC also maps a time on the receiver's clock (a live frame stamped by the companion) to the
vehicle's boot clock and, through SYSTEM_TIME, to UTC (``from_receiver_clock``), so live frames need no
chrony-synced host clock; and it is checked against the data: an offset under which position or
attitude messages would arrive before the vehicle stamped them is refused with a warning.

Interpolation: positions linearly in a local NED frame (``skyinspect.geodesy.LocalFrame``) and back
to WGS84; vehicle and gimbal attitude by quaternion slerp; accuracy and fix from the nearest
GPS_RAW_INT. A time outside the data, or between samples further apart than ``gap_threshold_s``,
gives ``Pose.untagged`` with the reason — a frame is never silently dropped or mis-tagged.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from onboard.telemetry import timesync
from onboard.telemetry.arrival_clock import ArrivalClock
from onboard.telemetry.camera_events import CameraEvent, captured_event, feedback_event
from onboard.telemetry.message_fields import gimbal_device_frame, gps_quality, yaw_360
from onboard.telemetry.mount import FixedMount
from onboard.telemetry.rotations import euler_to_quaternion, normalise, quaternion_to_euler, slerp, wrap_180
from onboard.telemetry.sample_clock import TIME_BASES, SampleClock
from onboard.telemetry.series import Bracket, Series, steps_back_of
from onboard.telemetry.tlog import read_tlog
from skyinspect.errors import TelemetryError, describe
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import GimbalFrame, Pose

log = logging.getLogger(__name__)

# the float angle fields of the messages read below (the others are integers, never NaN)
_ANGLES = {"ATTITUDE": ("roll", "pitch", "yaw"), "ATTITUDE_QUATERNION": ("q1", "q2", "q3", "q4"),
           "MOUNT_ORIENTATION": ("roll", "pitch", "yaw")}
_GIMBAL_SOURCES = ("GIMBAL_DEVICE_ATTITUDE_STATUS", "MOUNT_ORIENTATION", "MOUNT_STATUS")


@dataclass(frozen=True)
class _Gimbal:
    q: np.ndarray
    frame: GimbalFrame


class TelemetryBuffer:
    """Time series of one vehicle's position, attitude, GNSS quality, gimbal and camera triggers."""

    def __init__(self, messages: list[tuple[float, mavlink.MAVLink_message]], source: str | Path = "<messages>",
                 latency_s: float = 0.0, gap_threshold_s: float = 1.0, time_base: str = "auto",
                 fixed_mount: FixedMount | None = None) -> None:
        if time_base not in TIME_BASES:
            raise TelemetryError(describe(source, f"time_base must be one of {TIME_BASES}, got {time_base!r}"))
        if not (gap_threshold_s > 0 and math.isfinite(gap_threshold_s)):
            raise TelemetryError(describe(source, f"gap threshold must be a positive number of seconds, "
                                          f"got {gap_threshold_s}"))
        if not math.isfinite(latency_s):
            raise TelemetryError(describe(source, f"camera latency must be finite, got {latency_s}"))
        self.source = str(source)
        self.latency_s = float(latency_s)
        self.gap_threshold_s = float(gap_threshold_s)
        self.fixed_mount = fixed_mount  # the operator's word beats the log's gimbal (onboard.telemetry.mount)
        self.system_id = self._vehicle_system(messages)
        msgs = [(t, m) for t, m in messages if m.get_srcSystem() == self.system_id]
        self._clock = SampleClock(msgs, self.source, self.system_id, time_base)
        self._build(msgs, self._clock.keys, self._clock.boot_ids)

    @classmethod
    def from_tlog(cls, path: Path, latency_s: float = 0.0, gap_threshold_s: float = 1.0,
                  time_base: str = "auto") -> TelemetryBuffer:
        messages, _ = read_tlog(Path(path))
        return cls(messages, path, latency_s, gap_threshold_s, time_base)

    # --- construction -------------------------------------------------------------------------
    def _vehicle_system(self, messages: list[tuple[float, mavlink.MAVLink_message]]) -> int:
        # The vehicle is the system that reports its position most; a ground station or a second
        # vehicle on the same link must not be mixed in.
        systems = Counter(m.get_srcSystem() for _, m in messages if m.get_type() == "GLOBAL_POSITION_INT")
        if not systems:
            found = ", ".join(f"{k} {v}" for k, v in Counter(m.get_type() for _, m in messages).most_common(8))
            raise TelemetryError(describe(self.source, f"no GLOBAL_POSITION_INT messages; expected the vehicle's "
                                          f"position stream (found: {found or 'nothing'})",
                                          "Request GLOBAL_POSITION_INT (SET_MESSAGE_INTERVAL or SRn_POSITION)"))
        return systems.most_common(1)[0][0]

    def _build(self, msgs: list[tuple[float, mavlink.MAVLink_message]], keys: np.ndarray, boot_ids: np.ndarray) -> None:
        pos_t, pos_v, pos_rec = [], [], []
        att_t, att_q, attq_t, attq_q = [], [], [], []
        gps_t, gps_v = [], []
        gim: dict[str, tuple[list[float], list[_Gimbal]]] = {k: ([], []) for k in _GIMBAL_SOURCES}
        events: list[CameraEvent] = []
        captured: list[tuple[float, mavlink.MAVLink_message, int]] = []
        dropped: Counter[str] = Counter()  # samples with NaN angles: one had refused the whole replay
        untimed = self._clock.untimed_boots  # rebooted, no SYSTEM_TIME in that boot: no UTC (said by the clock)
        for (t, m), key, b in zip(msgs, keys, boot_ids.tolist()):
            if b in untimed:
                continue
            kind = m.get_type()
            if kind in _ANGLES and not all(math.isfinite(getattr(m, f)) for f in _ANGLES[kind]):
                dropped[kind] += 1
                continue
            if kind == "GLOBAL_POSITION_INT":
                if m.lat == 0 and m.lon == 0:  # no position yet (before the first fix)
                    continue
                pos_t.append(self._clock.boot(t, m.time_boot_ms * 1e-3, b))
                pos_rec.append(t)
                pos_v.append((m.lat * 1e-7, m.lon * 1e-7, m.alt * 1e-3, m.relative_alt * 1e-3))
            elif kind == "ATTITUDE":
                att_t.append(self._clock.boot(t, m.time_boot_ms * 1e-3, b))
                att_q.append(euler_to_quaternion(*(math.degrees(a) for a in (m.roll, m.pitch, m.yaw))))
            elif kind == "ATTITUDE_QUATERNION":
                if not math.hypot(m.q1, m.q2, m.q3, m.q4) > 0:  # all zero: no attitude, as a NaN one
                    dropped[kind] += 1
                    continue
                attq_t.append(self._clock.boot(t, m.time_boot_ms * 1e-3, b))
                attq_q.append(np.array([m.q1, m.q2, m.q3, m.q4]))
            elif kind == "GPS_RAW_INT":
                # ArduPilot stamps it with its last fix's time, frozen while the fix is lost: no fix, by arrival
                gps_t.append(self._clock.usec(t, m.time_usec if m.fix_type >= mavlink.GPS_FIX_TYPE_2D_FIX else 0, key, b))
                gps_v.append(gps_quality(m))
            elif kind == "GIMBAL_DEVICE_ATTITUDE_STATUS":
                q = np.asarray(m.q, dtype=np.float64)
                if np.all(np.isfinite(q)) and np.linalg.norm(q) > 0:
                    gim[kind][0].append(self._clock.boot(t, m.time_boot_ms * 1e-3
                                                        + self._clock.gimbal_shift(m.get_srcComponent(), b), b))
                    gim[kind][1].append(_Gimbal(normalise(q), gimbal_device_frame(m.flags)))
            elif kind == "MOUNT_ORIENTATION":
                # roll/pitch earth-stabilised, yaw relative to the vehicle's nose
                gim[kind][0].append(self._clock.boot(t, m.time_boot_ms * 1e-3
                                                    + self._clock.gimbal_shift(m.get_srcComponent(), b), b))
                gim[kind][1].append(_Gimbal(euler_to_quaternion(m.roll, m.pitch, m.yaw), GimbalFrame.VEHICLE_YAW))
            elif kind == "MOUNT_STATUS":
                # ArduPilot: a = pitch, b = roll, c = yaw (body frame), centidegrees; no timestamp
                gim[kind][0].append(self._clock.usec(t, 0, key, b))
                gim[kind][1].append(_Gimbal(euler_to_quaternion(m.pointing_b / 100, m.pointing_a / 100,
                                                                m.pointing_c / 100), GimbalFrame.VEHICLE_YAW))
            elif kind == "CAMERA_FEEDBACK":
                events.append(feedback_event(m, self._clock.usec(t, m.time_usec, key, b), t))
            elif kind == "CAMERA_IMAGE_CAPTURED":  # PX4's photos (camera_events); unread, its flights had none
                captured.append((t, m, b))
        if dropped:
            log.warning("%s: dropped %s with NaN or infinite angles (a corrupt log row, or an estimate not yet "
                        "ready); frames near them take the neighbouring samples", self.source,
                        ", ".join(f"{n} {k} message(s)" for k, n in sorted(dropped.items())))
        if not pos_t:
            raise TelemetryError(describe(self.source, "GLOBAL_POSITION_INT messages all have lat = lon = 0 "
                                          "(no GNSS fix during the log)", "Replay a log recorded with a position fix"))
        if not att_t and not attq_t:
            raise TelemetryError(describe(self.source, "no ATTITUDE or ATTITUDE_QUATERNION messages; expected "
                                          "the vehicle attitude stream", "Request ATTITUDE (SRn_EXTRA1)"))
        pos = np.asarray(pos_v, dtype=np.float64)
        self.records_span_s = (float(min(pos_rec)), float(max(pos_rec)))  # the positions' on the records' clock
        self.local_frame = LocalFrame(float(pos[0, 0]), float(pos[0, 1]), float(pos[0, 2]))
        ned = self.local_frame.to_ned(pos[:, 0], pos[:, 1], pos[:, 2])
        self._pos = Series("GLOBAL_POSITION_INT", pos_t, np.column_stack([ned, pos[:, 3]]))
        # ATTITUDE is what CAMERA_FEEDBACK and most GCSs use; the quaternion stream is the fallback.
        self._att = Series("ATTITUDE", att_t, np.asarray(att_q)) if att_t else \
            Series("ATTITUDE_QUATERNION", attq_t, np.asarray(attq_q))
        self._gps = Series("GPS_RAW_INT", gps_t, gps_v) if gps_t else None
        self.gimbal_source = next((k for k in _GIMBAL_SOURCES if gim[k][0]), None)
        self._gim = Series(self.gimbal_source, *gim[self.gimbal_source]) if self.gimbal_source else None
        clock = "the .tlog clock" if self.time_base == "tlog" and self.clock_sync is None else "the vehicle's clock"
        for step_s, at, names in steps_back_of(self._pos, self._att, self._gim, self._gps):
            log.warning("%s: the samples' times step back %.1f s at %s (%s, timed by %s): the vehicle rebooted, or "
                        "that clock was set back. Frames are tagged only where the log holds their time once; those "
                        "at a time it holds on both sides of the step are left untagged", self.source, step_s, at,
                        names, clock)
        if not events:  # ArduPilot may send both for one photo: CAMERA_FEEDBACK is the one it always sends
            home_t, home_m = np.asarray(pos_t), pos[:, 2] - pos[:, 3]
            for t, m, b in captured:
                when = (self._clock.usec(t, m.time_utc, boot_id=b) if m.time_utc
                        else self._clock.boot(t, m.time_boot_ms * 1e-3, b))
                events.append(captured_event(m, when, t, float(home_m[np.argmin(np.abs(home_t - when))])))
        self._events = sorted(events, key=lambda e: (e.img_idx, e.tlog_time_s))

    # --- queries ------------------------------------------------------------------------------
    @property
    def span_utc_s(self) -> tuple[float, float]:
        """First and last position time."""
        return self._pos.span_s

    def camera_events(self) -> list[CameraEvent]:
        """CAMERA_FEEDBACK events in img_idx order."""
        return list(self._events)

    def pose_at(self, time_utc_s: float) -> Pose:
        """Pose at a frame's capture time (``latency_s`` is added first)."""
        t = float(time_utc_s) + self.latency_s
        if not math.isfinite(t):  # NaN brackets nothing but passed every comparison: a NaN pose marked 'ok'
            return Pose.untagged(t, "no capture time on the telemetry's clock")
        pos = self._pos.bracket(t, self.gap_threshold_s)
        if isinstance(pos, str):
            return Pose.untagged(t, pos)
        att = self._att.bracket(t, self.gap_threshold_s)
        if isinstance(att, str):
            return Pose.untagged(t, att)
        gimbal = self._gimbal_at(t)
        if isinstance(gimbal, str):
            return Pose.untagged(t, gimbal)
        v0, v1 = self._pos.values[pos.i0], self._pos.values[pos.i1]
        v = v0 + pos.frac * (v1 - v0)
        lat, lon, alt = self.local_frame.to_geodetic(v[:3])
        roll, pitch, yaw = quaternion_to_euler(self._slerp(self._att, att))
        return Pose(t, float(lat), float(lon), float(alt), float(v[3]), roll, pitch, yaw_360(yaw), *gimbal,
                    **self._gps_at(t), source="interpolated")

    def pose_for_event(self, event: CameraEvent) -> Pose:
        """The pose CAMERA_FEEDBACK reported for a photo, with gimbal and accuracy at its time."""
        t = event.time_utc_s
        if event.lat_deg == 0.0 and event.lon_deg == 0.0:
            return Pose.untagged(t, f"CAMERA_FEEDBACK img_idx {event.img_idx} has no position (lat = lon = 0)")
        bad = [name for name, v in (("alt_msl", event.alt_msl_m), ("roll", event.roll_deg), ("pitch", event.pitch_deg),
                                    ("yaw", event.yaw_deg)) if not math.isfinite(v)]
        if bad:  # it had been recorded tagged, its NaN left to the ground station to refuse
            return Pose.untagged(t, f"CAMERA_FEEDBACK img_idx {event.img_idx} has no {', '.join(bad)} (NaN)")
        gimbal = self._gimbal_at(t)
        if isinstance(gimbal, str):
            return Pose.untagged(t, gimbal)
        return Pose(t, event.lat_deg, event.lon_deg, event.alt_msl_m, event.alt_rel_m, event.roll_deg,
                    event.pitch_deg, event.yaw_deg, *gimbal, **self._gps_at(t), source="camera_feedback")

    def slow_streams(self) -> list[tuple[str, float]]:
        """(message, median period s) of position/attitude streams about as slow as the gap threshold, where
        jitter alone untags frames (1 Hz against 1 s: 154 of 300 frames 'telemetry gap 1.01 s')."""
        slow = []
        for series in (self._pos, self._att):
            period_s = float(np.median(np.diff(series.times_s))) if len(series) > 2 else 0.0
            if period_s > 0.8 * self.gap_threshold_s:
                slow.append((series.name, period_s))
        return slow

    @property
    def time_base(self) -> str:
        """"system_time" (the vehicle's UTC) or "tlog" (the records' clock): ``sample_clock.SampleClock``."""
        return self._clock.time_base

    @property
    def clock_sync(self) -> timesync.ClockSync | None:
        """The records' clock → the vehicle's boot clock by TIMESYNC; None without (consistent) replies."""
        return self._clock.clock_sync

    @property
    def arrival_clock(self) -> ArrivalClock | None:
        """The boot clock on the records' clock by the arrivals' lower envelope, where the samples are timed by it."""
        return self._clock.arrival_clock

    def log_clock(self) -> ArrivalClock | None:
        """The boot clock on the records' clock by the arrivals' lower envelope (``arrival_clock``), also where the
        samples are on UTC: for frames named on the records' clock without TIMESYNC. None with TIMESYNC, or where
        no one line holds (a stepped or replayed log)."""
        return self._clock.log_clock()

    @property
    def boot_to_utc_s(self) -> float | None:
        """Vehicle UTC − vehicle boot clock (median over SYSTEM_TIME; after a reboot the latest boot's with one, each
        boot's in ``utc_minus_boot_near``); None without SYSTEM_TIME."""
        return self._clock.boot_to_utc_s

    @property
    def tlog_to_utc_s(self) -> float | None:
        """Vehicle UTC − the records' clock, from SYSTEM_TIME arrival times (so it holds the link latency)."""
        return self._clock.tlog_to_utc_s

    def utc_minus_boot_near(self, at_s: float, on_utc: bool = False) -> float | None:
        """Vehicle UTC − boot clock of the boot the log ran at ``at_s`` (a time on the records' clock, or with
        ``on_utc`` the vehicle's UTC): after a reboot each boot has its own (``onboard.telemetry.boots``), None for a
        boot without SYSTEM_TIME; else ``boot_to_utc_s``."""
        return self._clock.utc_minus_boot_near(at_s, on_utc)

    def tlog_to_utc_near(self, at_s: float, on_utc: bool = False) -> float | None:
        """Vehicle UTC − the records' clock near ``at_s`` (a time on the records' clock, or with ``on_utc``
        the vehicle's UTC): the median over the SYSTEM_TIME arrivals nearest it. That clock can be
        stepped (NTP) or run at another rate mid-log, where one median for the whole log
        (``tlog_to_utc_s``) put the frames on one side of the step off by the step. None without any."""
        return self._clock.tlog_to_utc_near(at_s, on_utc)

    def from_receiver_clock(self, receiver_s: float) -> float:
        """A time on the receiver's clock (what timed the records: the .tlog writer, the live
        companion's host clock) in this buffer's time base. With SYSTEM_TIME and TIMESYNC: receiver →
        vehicle boot → UTC; with SYSTEM_TIME alone the receiver's clock is taken to be UTC (chrony)."""
        return self._clock.from_receiver_clock(receiver_s)

    def describe_time_base(self) -> dict[str, object]:
        """How sample times were made (stored in the flight record's meta)."""
        clock = self._clock.describe()
        return {"time_base": clock["time_base"], "boot_to_utc_s": clock["boot_to_utc_s"],
                "tlog_to_utc_s": clock["tlog_to_utc_s"],
                "gimbal_source": "fixed mount (command line)" if self.fixed_mount else self.gimbal_source,
                "attitude_source": self._att.name, "system_id": self.system_id,
                "timesync": clock["timesync"], "arrival_clock": clock["arrival_clock"],
                **({"boot_to_utc_s_by_boot": self._clock.utc_of_boot,
                    "arrival_clock_by_boot": clock["arrival_clock_by_boot"]} if len(self._clock.utc_of_boot) > 1 else {})}

    def geoid_separation(self) -> dict[str, object] | None:
        """The receiver's geoid separation N = ellipsoidal - MSL height (m) over the flight (median,
        range, sample count), from GPS_RAW_INT.alt_ellipsoid - alt; None when it never gave one.
        Stored in the record (meta ``geoid_separation``): findings.geojson's heights need it."""
        n = np.array([g.geoid_separation_m for g in self._gps.values] if self._gps is not None else [])
        n = n[np.isfinite(n)]
        if not len(n):
            return None
        return {"n_m": round(float(np.median(n)), 4), "min_m": round(float(n.min()), 4),
                "max_m": round(float(n.max()), 4), "samples": int(len(n)),
                "source": "GPS_RAW_INT alt_ellipsoid - alt (the receiver's geoid)"}

    # --- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _slerp(series: Series, b: Bracket) -> np.ndarray:
        q0, q1 = series.values[b.i0], series.values[b.i1]
        return slerp(np.asarray(q0), np.asarray(q1), b.frac)

    def _gimbal_at(self, t: float) -> tuple[float, float, float, GimbalFrame] | str:
        if self.fixed_mount is not None:
            return self.fixed_mount.gimbal()
        if self._gim is None:  # no gimbal telemetry: a fixed, forward-looking mount (Pose's default)
            return 0.0, 0.0, 0.0, GimbalFrame.VEHICLE_YAW
        b = self._gim.bracket(t, self.gap_threshold_s)
        if isinstance(b, str):
            return b
        g0, g1 = self._gim.values[b.i0], self._gim.values[b.i1]
        if g0.frame is not g1.frame:  # the reference changed between samples: no meaningful blend
            g = g0 if b.frac < 0.5 else g1
            q, frame = g.q, g.frame
        else:
            q, frame = slerp(g0.q, g1.q, b.frac), g0.frame
        roll, pitch, yaw = quaternion_to_euler(q)
        return roll, pitch, (yaw_360(yaw) if frame is GimbalFrame.EARTH else wrap_180(yaw)), frame

    def _gps_at(self, t: float) -> dict[str, float | int]:
        """Accuracy and fix of the nearest GPS_RAW_INT (unknown if none within 2 gap thresholds)."""
        if self._gps is not None:
            i, dt = self._gps.nearest(t)
            if abs(dt) <= 2.0 * self.gap_threshold_s:
                g = self._gps.values[i]
                return {"h_acc_m": g.h_acc_m, "v_acc_m": g.v_acc_m, "fix_type": g.fix_type}
        return {"h_acc_m": float("nan"), "v_acc_m": float("nan"), "fix_type": 0}

