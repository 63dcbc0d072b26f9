"""Fly a planned mission in the simulator: plan → simulate → onboard → process, end to end.

``flight_from_plan(plan, config)`` executes the plan's mission items the way the autopilot does
(ArduPilot semantics; PX4's waypoint yaw is honoured too) and returns a ``PlannedFlight``: the same
interface as ``flight.FlightPlan`` (segments, captures, ``pose_at``, ``velocity_ned``,
``attitude_deg``), so the simulator's renderer and tlog writer consume it unchanged.

Item semantics used:
- NAV_TAKEOFF: vertical climb at home to the item's altitude (relative to home).
- NAV_WAYPOINT: straight leg at the current ground speed (vertical part at the site's climb speed,
  whichever takes longer), then a hold of param 1 seconds.
- CONDITION_YAW: turn in place to param 1 (absolute) at param 2 deg/s.
- DO_MOUNT_CONTROL / DO_GIMBAL_MANAGER_PITCHYAW: gimbal pitch = param 1 (earth-stabilised).
- DO_CHANGE_SPEED: ground speed = param 2.
- DO_SET_CAM_TRIGG_DIST: param 1 > 0 → a photo every param 1 metres of path (param 3 = 1: the first
  one at once); 0 → off.  DO_DIGICAM_CONTROL: one photo now.
- DO_SET_ROI_LOCATION (orbit rings; ArduPilot plans: DO_SET_ROI at the point): from then on the vehicle yaws towards the ROI during each leg
  (heading linear in time along the leg, exact on arrival) and the gimbal pitches at it;
  DO_SET_ROI_NONE (ArduPilot plans: DO_SET_ROI at 0, 0, 0) frees the camera (heading and gimbal stay where
  they are).
- NAV_RETURN_TO_LAUNCH: back over home at the current height, descend to the ground; flight ends.

The flight is flown in a *target*'s local frame, and photos whose optical axis does not meet the
target from outside within ``max_incidence_deg`` are dropped before rendering
(``PlannedFlight.dropped_photos`` counts them). The default target is the simulator's one
west-facing pier face (so a box pier's other three faces are dropped); ``cylinder_scene.RoundPier``
is a round pier / tower (ring and helix orbits, see cylinder_sim.py).

The vehicle's roll/pitch wobble and yaw jitter are the simulator's (same seed, same model), added
around the planned heading; the gimbal is earth-stabilised at the planned pitch.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from skyinspect.errors import InputError
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import Pose

from missions.planning import mission as mi
from missions.planning.planner import Plan
from missions.simulator.config import SimConfig
from missions.simulator.flight import POST_ROLL_S, Capture, FlightPlan, Segment
from missions.simulator.scene import FACING_HEADING_DEG, face_frame

DEFAULT_CLIMB_M_S = 1.0


class FlightTarget(Protocol):
    """What a planned flight is flown at: its local frame, and which photos see it."""

    def frame(self) -> LocalFrame: ...

    def looks_at(self, position_ned: np.ndarray, axis_ned: np.ndarray, max_incidence_deg: float) -> bool: ...

    def describe(self) -> str: ...


class FaceTarget:
    """The simulator's west-facing pier face (the plane east = 0 of ``face_frame()``)."""

    def frame(self) -> LocalFrame:
        return face_frame()

    def looks_at(self, position_ned: np.ndarray, axis_ned: np.ndarray, max_incidence_deg: float) -> bool:
        # face: plane east = 0 of the face frame, front (outward normal) to the west
        return bool(position_ned[1] < 0 and axis_ned[1] >= math.cos(math.radians(max_incidence_deg)))

    def describe(self) -> str:
        f = face_frame()
        return f"the simulator's pier face (west face at {f.lat0_deg:.6f}, {f.lon0_deg:.6f}); plan against that face"


@dataclass(frozen=True, eq=False)
class PlannedFlight(FlightPlan):
    """A FlightPlan whose heading and gimbal pitch follow the mission items."""

    yaw_knots: tuple[tuple[float, float], ...] = ()  # (t_s, heading deg, unwrapped), piecewise linear
    gimbal_knots: tuple[tuple[float, float], ...] = ()  # (t_s, pitch deg), steps
    dropped_photos: int = 0
    photo_items: tuple[int, ...] = ()  # mission item number (1-based) that triggered each kept capture

    def planned_yaw_deg(self, t_s: float) -> float:
        ts = [k[0] for k in self.yaw_knots]
        return float(np.interp(t_s, ts, [k[1] for k in self.yaw_knots]))

    def gimbal_pitch_at(self, t_s: float) -> float:
        pitch = self.gimbal_knots[0][1] if self.gimbal_knots else self.config.gimbal_pitch_deg
        for t, p in self.gimbal_knots:
            if t <= t_s + 1e-9:
                pitch = p
        return pitch

    def attitude_deg(self, t_s: float) -> tuple[float, float, float]:
        roll, pitch, yaw = super().attitude_deg(t_s)
        jitter = (yaw - FACING_HEADING_DEG + 180.0) % 360.0 - 180.0
        return roll, pitch, (self.planned_yaw_deg(t_s) + jitter) % 360.0

    def pose_at(self, t_s: float, frame: LocalFrame, quantise: bool = True) -> Pose:
        pose = super().pose_at(t_s, frame, quantise)
        g = self.gimbal_pitch_at(t_s)
        return dataclasses.replace(pose, gimbal_pitch_deg=float(np.float32(g)) if quantise else g)


def _axis_ned(yaw_deg: float, pitch_deg: float) -> np.ndarray:
    y, p = math.radians(yaw_deg), math.radians(pitch_deg)
    return np.array([math.cos(p) * math.cos(y), math.cos(p) * math.sin(y), -math.sin(p)])


def flight_from_plan(plan: Plan, config: SimConfig, max_incidence_deg: float = 45.0,
                     target: FlightTarget | None = None) -> PlannedFlight:
    """Execute ``plan.items`` in ``target``'s frame (default: the simulator's pier face; see module doc)."""
    looked_at: FlightTarget = target or FaceTarget()
    sim = looked_at.frame()
    home_lat, home_lon, home_alt = plan.home_lat_lon_alt
    climb = getattr(plan.asset.site, "climb_speed_m_s", DEFAULT_CLIMB_M_S) or DEFAULT_CLIMB_M_S

    def ned(lat: float, lon: float, alt_rel: float) -> np.ndarray:
        return np.asarray(sim.to_ned(lat, lon, home_alt + alt_rel), dtype=np.float64).reshape(3)

    home = ned(home_lat, home_lon, 0.0)
    pos = home.copy()
    t = 0.0
    speed = plan.design.speed_m_s
    yaw = float(FACING_HEADING_DEG)
    gimbal = 0.0
    segs: list[Segment] = []
    yaw_knots: list[tuple[float, float]] = [(0.0, yaw)]
    gimbal_knots: list[tuple[float, float]] = [(0.0, gimbal)]
    photos: list[tuple[float, int, int, float, float, np.ndarray]] = []  # t, lane, item no, yaw, pitch, pos
    trig_spacing = 0.0
    trig_dist = 0.0  # path length flown since the last distance-triggered photo
    lane = 0
    roi: np.ndarray | None = None  # DO_SET_ROI_LOCATION point (NED) while the camera tracks it

    def seg(dt: float, p1: np.ndarray) -> None:
        nonlocal t, pos
        segs.append(Segment(t, t + dt, tuple(float(x) for x in pos), tuple(float(x) for x in p1)))  # type: ignore[arg-type]
        t += dt
        pos = np.asarray(p1, dtype=np.float64)

    def photo(item_no: int, at_t: float, at_pos: np.ndarray) -> None:
        photos.append((at_t, max(lane, 1), item_no, yaw, gimbal, at_pos.copy()))

    def fly_to(target: np.ndarray, item_no: int) -> None:
        nonlocal trig_dist
        d = target - pos
        horiz, vert = float(np.hypot(d[0], d[1])), abs(float(d[2]))
        dt = max(horiz / speed if speed > 0 else 0.0, vert / climb)
        length = float(np.linalg.norm(d))
        if dt <= 1e-9 or length <= 1e-9:
            return
        p0, t0 = pos.copy(), t
        if trig_spacing > 0:
            s = trig_spacing - trig_dist  # path distance of the next photo along this leg
            while s <= length + 1e-6:
                photo(item_no, t0 + dt * s / length, p0 + d * (s / length))
                s += trig_spacing
            trig_dist = length - (s - trig_spacing)
        seg(dt, target)

    def hold(dt: float) -> None:
        if dt > 0:
            seg(dt, pos)

    def face_roi(since_t: float) -> None:
        """Heading and gimbal at the ROI from ``pos``; the turn spread over [since_t, t]."""
        nonlocal yaw, gimbal
        assert roi is not None
        d = roi - pos
        horiz = float(np.hypot(d[0], d[1]))
        if horiz > 1e-6:
            target_yaw = yaw + ((math.degrees(math.atan2(d[1], d[0])) - yaw + 180.0) % 360.0 - 180.0)
            if abs(target_yaw - yaw) > 1e-9:
                t0 = max(since_t, yaw_knots[-1][0])
                yaw_knots.append((t0, yaw))
                yaw = target_yaw
                yaw_knots.append((max(t, t0 + 1e-3), yaw))
        gimbal = math.degrees(math.atan2(-float(d[2]), horiz))
        gimbal_knots.append((max(t, since_t + 1e-3), gimbal))  # a photo taken at since_t keeps the old pitch

    for no, item in enumerate(plan.items, start=1):
        p = item.params
        c = item.command
        if c == mi.NAV_TAKEOFF:
            fly_to(np.array([pos[0], pos[1], home[2] - p[6]]), no)
        elif c == mi.NAV_WAYPOINT:
            t_leg = t
            fly_to(ned(p[4], p[5], p[6]), no)
            if roi is not None:
                face_roi(t_leg)
            if plan.autopilot == "px4" and not math.isnan(p[3]):
                yaw_knots.append((t, yaw))
                yaw = yaw + ((p[3] - yaw + 180.0) % 360.0 - 180.0)
                yaw_knots.append((t + 1e-3, yaw))
            hold(p[0])
        elif c == mi.CONDITION_YAW:
            target = yaw + ((p[0] - yaw + 180.0) % 360.0 - 180.0)
            rate = p[1] if p[1] > 0 else mi.YAW_RATE_DEG_S
            dt = abs(target - yaw) / rate
            yaw_knots.append((t, yaw))
            hold(dt)
            yaw = target
            yaw_knots.append((t + (0.0 if dt > 0 else 1e-3), yaw))
            lane += 1
        elif c in (mi.DO_MOUNT_CONTROL, mi.DO_GIMBAL_MANAGER_PITCHYAW):
            gimbal = float(p[0])
            gimbal_knots.append((t, gimbal))
        elif c == mi.DO_CHANGE_SPEED:
            if p[1] > 0:
                speed = float(p[1])
        elif c == mi.DO_SET_CAM_TRIGG_DIST:
            trig_spacing = float(p[0])
            trig_dist = 0.0
            if trig_spacing > 0:
                lane += 1
                if p[2] >= 1:
                    photo(no, t, pos)
        elif c == mi.DO_DIGICAM_CONTROL:
            photo(no, t, pos)
        elif c == mi.DO_SET_ROI_LOCATION or (c == mi.DO_SET_ROI and (p[4], p[5], p[6]) != (0, 0, 0)):
            roi = ned(p[4], p[5], p[6])
            lane += 1
            face_roi(t)
        elif c in (mi.DO_SET_ROI_NONE, mi.DO_SET_ROI):
            roi = None
        elif c in (mi.NAV_RETURN_TO_LAUNCH, mi.NAV_LAND):
            trig_spacing = 0.0
            fly_to(np.array([home[0], home[1], pos[2]]) if c == mi.NAV_RETURN_TO_LAUNCH else pos, no)
            fly_to(np.array([pos[0], pos[1], home[2]]), no)
            break
        # anything else: no effect on the simulated flight
    if not segs:
        raise InputError("plan: the mission items contain no movement")
    hold(POST_ROLL_S)
    yaw_knots.append((t + 1.0, yaw))

    kept, dropped = [], 0
    for ph in photos:
        t_s, ln, no, y, g, p_ned = ph
        if looked_at.looks_at(p_ned, _axis_ned(y, g), max_incidence_deg):
            kept.append(ph)
        else:
            dropped += 1
    if not kept:
        raise InputError(f"plan: none of its {len(photos)} photos looks at {looked_at.describe()}")
    captures = tuple(Capture(i, ph[0], ph[1]) for i, ph in enumerate(kept, start=1))
    lanes = sorted({round(-ph[5][2], 4) for ph in kept})
    stations = sorted({round(ph[5][0], 4) for ph in kept})
    return PlannedFlight(config, tuple(lanes), tuple(stations), tuple(segs), captures,
                         tuple(yaw_knots), tuple(gimbal_knots), dropped, tuple(ph[2] for ph in kept))


def sim_config_for_plan(plan: Plan, base: SimConfig | None = None) -> SimConfig:
    """``base`` (scene: region, defects, seed, degradations) with the plan's camera, standoff, speed
    and shutter. The simulated lens keeps ``base``'s k1/k2 (a real lens is not the ideal pinhole)."""
    base = base or SimConfig.small()
    cam, d = plan.camera, plan.design
    return dataclasses.replace(base, width_px=cam.width_px, height_px=cam.height_px,
                               fx_px=cam.fx_px(d.focal_length_mm), standoff_m=d.standoff_m,
                               speed_m_s=d.speed_m_s, exposure_s=d.exposure_s,
                               climb_speed_m_s=getattr(plan.asset.site, "climb_speed_m_s", base.climb_speed_m_s),
                               name=f"{base.name}-plan")


def simulate_plan(plan: Plan, out_dir: Path, config: SimConfig | None = None, progress: bool = False,
                  max_incidence_deg: float = 45.0):  # type: ignore[no-untyped-def]
    """Like ``simulate.simulate`` (frames, truth masks, flight.tlog, truth.geojson, surface.json,
    camera.yaml, scene.json), but flown along the plan's mission items. ``config``: the scene
    (region, defects, seed); its camera/standoff/speed are replaced by the plan's. Returns SimResult."""
    from missions.simulator.simulate import simulate

    cfg = sim_config_for_plan(plan, config)
    flight = flight_from_plan(plan, cfg, max_incidence_deg)
    result = simulate(Path(out_dir), cfg, progress=progress, flight=flight)
    scene_path = Path(out_dir) / "scene.json"
    scene = json.loads(scene_path.read_text())
    scene["flown_plan"] = {"asset": plan.asset.name, "autopilot": plan.autopilot, "items": len(plan.items),
                           "planned_photos": plan.photo_count, "photos_flown": len(flight.captures),
                           "photos_dropped_not_facing_face": flight.dropped_photos,
                           "photo_item_numbers": list(flight.photo_items), "design": plan.design.describe(),
                           "home_lat_lon_alt": list(plan.home_lat_lon_alt)}
    scene_path.write_text(json.dumps(scene, indent=1) + "\n")
    return result
