"""Flight plan and trajectory: a serpentine scan of the textured region, lanes bottom to top.

The vehicle flies horizontal lanes at ``standoff_m`` west of the face with heading 090 (camera
facing the face); lane 1 goes south→north, lane 2 north→south, ... The trajectory is piecewise
linear in position (hold, traverse, hold, climb), so positions interpolated linearly between
10 Hz telemetry samples are exact within a segment. Roll/pitch wobble and yaw jitter are smooth
deterministic sums of sines; the gimbal is earth-stabilised in roll/pitch (GimbalFrame.VEHICLE_YAW,
as ArduPilot's self-stabilising gimbals report it), so the camera stays level and only yaw jitter
reaches it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from skyinspect.geodesy import LocalFrame
from skyinspect.pose import GimbalFrame, Pose

from missions.simulator.config import SimConfig
from missions.simulator.gnss import gnss_error_ned  # noqa: F401  (the logged error; imported from here before)
from missions.simulator.scene import FACING_HEADING_DEG, HOME_AMSL_M

PRE_ROLL_S = 3.0  # telemetry before the first lane starts (hover)
POST_ROLL_S = 2.0


@dataclass(frozen=True)
class Segment:
    t0_s: float  # seconds since flight start
    t1_s: float
    p0_ned: tuple[float, float, float]
    p1_ned: tuple[float, float, float]


@dataclass(frozen=True)
class Capture:
    index: int  # 1-based, = image file number = CAMERA_FEEDBACK.img_idx
    t_s: float  # seconds since flight start
    lane: int  # 1-based


def _stations(lo_m: float, length_m: float, footprint_m: float, overlap: float) -> np.ndarray:
    """Evenly spaced footprint centres covering [lo, lo + length] with at least ``overlap``."""
    if length_m <= footprint_m:
        return np.array([lo_m + length_m / 2.0])
    n = int(math.ceil((length_m - footprint_m) / (footprint_m * (1.0 - overlap)) - 1e-9)) + 1
    return np.linspace(lo_m + footprint_m / 2.0, lo_m + length_m - footprint_m / 2.0, n)


@dataclass(frozen=True, eq=False)
class FlightPlan:
    config: SimConfig
    lane_heights_m: tuple[float, ...]  # face v of each lane (camera height above the base)
    stations_u_m: tuple[float, ...]  # face u of the capture stations (south→north)
    segments: tuple[Segment, ...]
    captures: tuple[Capture, ...]

    @property
    def duration_s(self) -> float:
        return self.segments[-1].t1_s

    @property
    def east_m(self) -> float:
        return -self.config.standoff_m

    def position_ned(self, t_s: float) -> np.ndarray:
        for seg in self.segments:
            if t_s <= seg.t1_s:
                break
        span = seg.t1_s - seg.t0_s
        a = 0.0 if span <= 0 else min(1.0, max(0.0, (t_s - seg.t0_s) / span))
        return (1 - a) * np.asarray(seg.p0_ned) + a * np.asarray(seg.p1_ned)

    def velocity_ned(self, t_s: float) -> np.ndarray:
        for seg in self.segments:
            if t_s < seg.t1_s:
                break
        span = seg.t1_s - seg.t0_s
        return np.zeros(3) if span <= 0 else (np.asarray(seg.p1_ned) - np.asarray(seg.p0_ned)) / span

    def attitude_deg(self, t_s: float) -> tuple[float, float, float]:
        """Vehicle (roll, pitch, yaw) in degrees, yaw in [0, 360)."""
        c = self.config
        rng = np.random.default_rng([c.seed, 2])
        ph = rng.uniform(0, 2 * math.pi, 6)
        fr = rng.uniform(0.9, 1.1, 6)
        a = c.wobble_roll_pitch_deg
        roll = a * (0.65 * math.sin(2 * math.pi * 0.31 * fr[0] * t_s + ph[0])
                    + 0.35 * math.sin(2 * math.pi * 1.13 * fr[1] * t_s + ph[1]))
        pitch = a * (0.6 * math.sin(2 * math.pi * 0.23 * fr[2] * t_s + ph[2])
                     + 0.4 * math.sin(2 * math.pi * 0.87 * fr[3] * t_s + ph[3]))
        yaw = FACING_HEADING_DEG + c.yaw_jitter_deg * (0.7 * math.sin(2 * math.pi * 0.17 * fr[4] * t_s + ph[4])
                                                        + 0.3 * math.sin(2 * math.pi * 0.71 * fr[5] * t_s + ph[5]))
        return roll, pitch, yaw % 360.0

    def pose_at(self, t_s: float, frame: LocalFrame, quantise: bool = True) -> Pose:
        """The camera pose at a flight time. ``quantise`` rounds position to what MAVLink carries
        (1e-7 deg, 1 mm) and angles to float32, so the tlog and the rendered frames agree exactly."""
        c = self.config
        lat, lon, h = frame.to_geodetic(self.position_ned(t_s))
        roll, pitch, yaw = self.attitude_deg(t_s)
        if quantise:
            lat, lon, h = round(lat * 1e7) / 1e7, round(lon * 1e7) / 1e7, round(h * 1000) / 1000
            roll, pitch, yaw = (float(np.float32(x)) for x in (roll, pitch, yaw))
        return Pose(time_utc_s=c.start_utc_s + t_s, lat_deg=float(lat), lon_deg=float(lon), alt_msl_m=float(h),
                    alt_rel_m=float(h) - HOME_AMSL_M, roll_deg=roll, pitch_deg=pitch, yaw_deg=yaw,
                    gimbal_roll_deg=0.0, gimbal_pitch_deg=c.gimbal_pitch_deg, gimbal_yaw_deg=0.0,
                    gimbal_frame=GimbalFrame.VEHICLE_YAW,  # the stated accuracy: the simulated error's sigma
                    h_acc_m=c.gnss_error_m if c.gnss_error_m > 0 else (0.014 if c.rtk else 0.8),
                    v_acc_m=1.5 * c.gnss_error_m if c.gnss_error_m > 0 else (0.02 if c.rtk else 1.2),
                    fix_type=6 if c.rtk else 3, source="simulator")


def plan_flight(config: SimConfig) -> FlightPlan:
    fw, fh = config.footprint_m
    us = _stations(config.region_u0_m, config.region_width_m, fw, config.forward_overlap)
    vs = _stations(config.region_v0_m, config.region_height_m, fh, config.side_overlap)
    e = -config.standoff_m
    segs: list[Segment] = []
    caps: list[Capture] = []
    t = 0.0

    def add(dt: float, p0: tuple[float, float, float], p1: tuple[float, float, float]) -> None:
        nonlocal t
        segs.append(Segment(t, t + dt, p0, p1))
        t += dt

    first = (float(us[0]), e, -float(vs[0]))
    add(PRE_ROLL_S, first, first)
    for lane, v in enumerate(vs, start=1):
        order = us if lane % 2 == 1 else us[::-1]
        start, end = (float(order[0]), e, -float(v)), (float(order[-1]), e, -float(v))
        add(config.hold_start_s, start, start)
        t_lane = t
        for u in order:
            caps.append(Capture(len(caps) + 1, t_lane + abs(float(u) - float(order[0])) / config.speed_m_s, lane))
        add(abs(end[0] - start[0]) / config.speed_m_s, start, end)
        add(config.hold_end_s, end, end)
        if lane < len(vs):
            nxt = (end[0], e, -float(vs[lane]))
            add(abs(float(vs[lane]) - float(v)) / config.climb_speed_m_s, end, nxt)
    add(POST_ROLL_S, segs[-1].p1_ned, segs[-1].p1_ned)
    return FlightPlan(config, tuple(float(v) for v in vs), tuple(float(u) for u in us), tuple(segs), tuple(caps))

