"""Mission items with their meaning, and the choice of MAVLink commands for ArduPilot and PX4.

Items are numbered as QGroundControl and Mission Planner number them: item 0 is home (not in
``items``), ``items[i]`` is mission item ``i + 1``. Positions are stored as MAVLink carries them
(lat/lon to 1e-7 deg, other values as float32) so .plan, .waypoints and upload round trips are
exact. Altitudes are relative to home (MAV_FRAME_GLOBAL_RELATIVE_ALT = AGL at the site).

Command choices (docs/missions.md has the table):
- heading: ArduPilot ignores NAV_WAYPOINT's yaw on copters → MAV_CMD_CONDITION_YAW before the
  waypoint; PX4 → NAV_WAYPOINT param 4.
- gimbal pitch: MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW for both (ArduPilot 4.3+, PX4 gimbal v2), yaw 0
  in the vehicle frame, emitted before the heading; whole degrees on ArduPilot (``whole_degree_gimbal``). Not DO_MOUNT_CONTROL: ArduCopter yaws a vehicle
  whose mount has no pan axis to its param 3 (docs/missions.md, "Gimbal and heading").
- photos: straight level lanes → MAV_CMD_DO_SET_CAM_TRIGG_DIST on at the lane start (first photo
  at once) and off at its end; other passes → a hold at each station and MAV_CMD_DO_DIGICAM_CONTROL.
  A photo taken at a waypoint gets a hold (whole seconds) long enough for the camera's fastest
  trigger interval since the previous photo.
- orbits point the camera with MAV_CMD_DO_SET_ROI_LOCATION / DO_SET_ROI_NONE on PX4; on ArduPilot with
  MAV_CMD_DO_SET_ROI at the point / at 0, 0, 0 (Copter takes 195/197 in missions only from 4.7).
- speed: MAV_CMD_DO_CHANGE_SPEED (ground speed); end: back over home, MAV_CMD_NAV_RETURN_TO_LAUNCH.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from skyinspect.geodesy import LocalFrame

from missions.planning.patterns import Pass

NAV_WAYPOINT, NAV_RETURN_TO_LAUNCH, NAV_LAND, NAV_TAKEOFF = 16, 20, 21, 22
CONDITION_YAW, DO_CHANGE_SPEED, DO_SET_ROI_LOCATION, DO_SET_ROI_NONE, DO_SET_ROI = 115, 178, 195, 197, 201
MAV_ROI_NONE, MAV_ROI_LOCATION = 0, 3
DO_DIGICAM_CONTROL, DO_MOUNT_CONTROL, DO_SET_CAM_TRIGG_DIST, DO_GIMBAL_MANAGER_PITCHYAW = 203, 205, 206, 1000
FRAME_GLOBAL, FRAME_MISSION, FRAME_GLOBAL_RELATIVE_ALT = 0, 2, 3
GLOBAL_FRAMES = (0, 3, 5, 6, 10, 11)  # x/y carry latitude/longitude x 1e7 in MISSION_ITEM_INT
COMMAND_NAMES = {NAV_WAYPOINT: "NAV_WAYPOINT", NAV_RETURN_TO_LAUNCH: "NAV_RETURN_TO_LAUNCH", NAV_LAND: "NAV_LAND",
                 NAV_TAKEOFF: "NAV_TAKEOFF", CONDITION_YAW: "CONDITION_YAW", DO_CHANGE_SPEED: "DO_CHANGE_SPEED",
                 DO_SET_ROI_LOCATION: "DO_SET_ROI_LOCATION", DO_SET_ROI_NONE: "DO_SET_ROI_NONE", DO_SET_ROI: "DO_SET_ROI",
                 DO_DIGICAM_CONTROL: "DO_DIGICAM_CONTROL", DO_MOUNT_CONTROL: "DO_MOUNT_CONTROL",
                 DO_SET_CAM_TRIGG_DIST: "DO_SET_CAM_TRIGG_DIST",
                 DO_GIMBAL_MANAGER_PITCHYAW: "DO_GIMBAL_MANAGER_PITCHYAW"}
NAV_COMMANDS = (NAV_WAYPOINT, NAV_RETURN_TO_LAUNCH, NAV_LAND, NAV_TAKEOFF)
POSITION_COMMANDS = (NAV_WAYPOINT, NAV_TAKEOFF, NAV_LAND, DO_SET_ROI_LOCATION, DO_SET_ROI)  # x/y: lat/lon, z: alt
AUTOPILOTS = ("ardupilot", "px4")
# mission items an autopilot stores (ArduPilot's count includes home, item 0): ArduCopter on a 16 KB board keeps
# (9758 - 4) / 15 (StorageManager's copter layout, AP_Mission's 15-byte commands; 32 KB boards 1306, an SD card
# with BRD_SD_MISSION more); PX4 on NuttX hardware 500 (navigation.h NUM_MISSIONS_SUPPORTED since v1.13)
MAX_MISSION_ITEMS = {"ardupilot": 650, "px4": 500}
LANE_START_HOLD_S = 1.0  # settle before the first photo of a lane
STATION_HOLD_S = 1.0  # stop-and-shoot stations
YAW_RATE_DEG_S = 30.0
# ArduCopter ignores a DO_CHANGE_SPEED below this (AC_WPNav::set_speed_xy, WPNAV_WP_SPEED_MIN: 20 cm/s in
# Copter 4.1-4.6, 10 cm/s on master) and keeps the speed it had: lanes slower than it are stop-and-shoot
ARDUCOPTER_MIN_SPEED_M_S = 0.2
NAN = float("nan")


def f32(v: float) -> float:
    """A value as MAVLink's float32 carries it (NaN stays NaN)."""
    return float(np.float32(v))


def q7(deg: float) -> float:
    """Latitude/longitude as MISSION_ITEM_INT carries it (1e-7 degree)."""
    return round(deg * 1e7) / 1e7


def whole_degree_gimbal(passes: tuple[Pass, ...], max_up_deg: float) -> tuple[tuple[Pass, ...], str | None]:
    """The passes with gimbal pitches in whole degrees, as ArduPilot keeps a mission's
    DO_GIMBAL_MANAGER_PITCHYAW pitch (AP_Mission gimbal_manager_pitchyaw_Command: int8, the float
    truncated: +0.99 flew at 0); rounded to the nearest, within the gimbal's upward limit, before the
    coverage is computed. The note lists what changed (None: nothing)."""
    out, moved = [], []
    for ps in passes:
        pitch = tuple(float(min(round(g), math.floor(max_up_deg))) if g > 0 else float(round(g))
                      for g in ps.gimbal_pitch_deg)
        if any(abs(a - b) > 1e-9 for a, b in zip(pitch, ps.gimbal_pitch_deg)):
            moved.append(f"{ps.name} {ps.gimbal_pitch_deg[0]:+.2f} -> {pitch[0]:+g}")
            ps = replace(ps, gimbal_pitch_deg=pitch)
        out.append(ps)
    note = (f"gimbal pitch in whole degrees (ArduPilot keeps a mission's pitch as whole degrees): "
            f"{'; '.join(moved[:6])}{' ...' if len(moved) > 6 else ''}" if moved else None)
    return tuple(out), note


@dataclass(frozen=True)
class MissionItem:
    command: int
    frame: int
    params: tuple[float, float, float, float, float, float, float]  # p1..p4, x/lat, y/lon, z/alt
    autocontinue: bool = True
    note: str = ""

    @property
    def name(self) -> str:
        return COMMAND_NAMES.get(self.command, f"MAV_CMD {self.command}")

    @property
    def is_nav(self) -> bool:
        return self.command in NAV_COMMANDS

    @property
    def has_position(self) -> bool:
        return self.command in POSITION_COMMANDS

    def same_as(self, other: MissionItem, tol: float = 0.0) -> bool:
        """Equal command, frame, autocontinue and parameters (NaN equals NaN); notes ignored."""
        if (self.command, self.frame, bool(self.autocontinue)) != (other.command, other.frame, bool(other.autocontinue)):
            return False
        for a, b in zip(self.params, other.params):
            if math.isnan(a) and math.isnan(b):
                continue
            if math.isnan(a) or math.isnan(b) or abs(a - b) > tol:
                return False
        return True

    def describe(self, seq: int) -> str:
        return f"item {seq} ({self.name}{': ' + self.note if self.note else ''})"


def _item(command: int, p: tuple[float, ...], note: str, frame: int | None = None) -> MissionItem:
    p = tuple(p) + (0.0,) * (7 - len(p))
    lat_lon = command in POSITION_COMMANDS
    if frame is None:  # RTL has no position: PX4 refuses it in a global frame (MAV_MISSION_UNSUPPORTED)
        frame = FRAME_GLOBAL_RELATIVE_ALT if lat_lon else FRAME_MISSION
    params = tuple(f32(v) for v in p[:4]) + ((q7(p[4]), q7(p[5])) if lat_lon else (f32(p[4]), f32(p[5]))) + (f32(p[6]),)
    return MissionItem(command, frame, params, True, note)  # type: ignore[arg-type]


class ItemBuilder:
    """Turns passes into items for one autopilot, tracking heading and gimbal to avoid repeats.

    It also tracks the least time since the last photo (horizontal legs at ``speed_m_s``, holds; climbs
    and turns only add time) and lengthens the hold before a photo taken at a waypoint (a lane's first,
    a station's) so the camera's ``min_photo_interval_s`` has passed. Photos along a lane are spaced
    by the mission speed instead (``planner.trigger_speed_limit_m_s``)."""

    def __init__(self, frame: LocalFrame, autopilot: str, speed_m_s: float = math.inf,
                 min_photo_interval_s: float = 0.0, transit_speed_m_s: float | None = None) -> None:
        if autopilot not in AUTOPILOTS:
            raise ValueError(f"autopilot must be one of {AUTOPILOTS}, got {autopilot!r}")
        self.frame, self.autopilot = frame, autopilot
        self.speed_m_s, self.min_photo_interval_s = speed_m_s, min_photo_interval_s  # speed_m_s: the current one
        # photo lanes are flown at the design speed (motion blur, trigger interval); everything else,
        # stop-and-shoot stations included, at the transit speed (the site's limit)
        self.lane_speed_m_s = speed_m_s
        self.transit_speed_m_s = max(transit_speed_m_s or speed_m_s, speed_m_s)
        self._speed_set = False
        self.items: list[MissionItem] = []
        self.yaw: float | None = None
        self.pitch: float | None = None
        self.at_ned: np.ndarray | None = None  # the last waypoint
        self.since_photo_s = math.inf

    def _geo(self, p_ned: tuple[float, float, float] | np.ndarray) -> tuple[float, float, float]:
        lat, lon, _ = self.frame.to_geodetic(np.asarray(p_ned, float))
        return float(lat), float(lon), float(-p_ned[2])  # altitude relative to home = AGL

    def add(self, command: int, p: tuple[float, ...], note: str, frame: int | None = None) -> None:
        self.items.append(_item(command, p, note, frame))

    def set_speed(self, speed_m_s: float, why: str) -> None:
        """DO_CHANGE_SPEED (ground speed) when it differs from the current one; it takes effect once
        the vehicle has reached the waypoint before it."""
        if self._speed_set and abs(speed_m_s - self.speed_m_s) < 1e-9:
            return
        self.add(DO_CHANGE_SPEED, (1, speed_m_s, -1, 0), f"ground speed {speed_m_s:.3f} m/s ({why})")
        self.speed_m_s, self._speed_set = speed_m_s, True

    def heading(self, yaw_deg: float, note: str) -> None:
        yaw_deg = round(yaw_deg % 360.0, 2) % 360.0
        if self.autopilot == "ardupilot" and (self.yaw is None or abs(yaw_deg - self.yaw) > 0.01):
            self.add(CONDITION_YAW, (yaw_deg, YAW_RATE_DEG_S, 0, 0), f"heading {yaw_deg:.1f} deg ({note})")
        self.yaw = yaw_deg

    def gimbal(self, pitch_deg: float, note: str) -> None:
        pitch_deg = round(pitch_deg, 2)
        if self.pitch is not None and abs(pitch_deg - self.pitch) < 0.01:
            return
        # p1 pitch, p2 yaw 0 (vehicle frame: p5 flags without YAW_LOCK), p3/p4 rates, p7 gimbal 0 (primary/all).
        # ArduPilot takes the angles when they are valid and ignores the rates; 0, not NaN, keeps NaN out of
        # .waypoints (as in the SITL-flown fixture). PX4: NaN = no rate feed-forward.
        rate = NAN if self.autopilot == "px4" else 0.0
        self.add(DO_GIMBAL_MANAGER_PITCHYAW, (pitch_deg, 0, rate, rate, 0, 0, 0),
                 f"gimbal pitch {pitch_deg:g} deg ({note})")
        self.pitch = pitch_deg

    def waypoint(self, p_ned: tuple[float, float, float], hold_s: float, note: str, photo: bool = False) -> None:
        """``photo``: a photo is taken when the hold ends (DO_DIGICAM_CONTROL / DO_SET_CAM_TRIGG_DIST after it)."""
        p = np.asarray(p_ned, float)
        if self.at_ned is not None:
            self.since_photo_s += float(np.hypot(*(p - self.at_ned)[:2])) / self.speed_m_s
        self.at_ned = p
        wait_s = self.min_photo_interval_s - self.since_photo_s
        if photo and wait_s > hold_s:  # whole seconds: ArduPilot keeps the hold as an integer (cmd.p1 = param1)
            hold_s = float(math.ceil(wait_s - 1e-6))
        self.since_photo_s = 0.0 if photo else self.since_photo_s + hold_s
        lat, lon, alt = self._geo(p_ned)
        # ArduCopter ignores NAV_WAYPOINT yaw (0 written); PX4 takes it, NaN = keep the current heading
        yaw = (self.yaw if self.yaw is not None else NAN) if self.autopilot == "px4" else 0.0
        self.add(NAV_WAYPOINT, (hold_s, 0, 0, yaw, lat, lon, alt), note)

    def takeoff(self, alt_agl_m: float, home_lat_lon: tuple[float, float]) -> None:
        self.add(NAV_TAKEOFF, (0, 0, 0, NAN if self.autopilot == "px4" else 0.0, home_lat_lon[0], home_lat_lon[1],
                               alt_agl_m),
                 f"take off to {alt_agl_m:.1f} m")

    def add_pass(self, ps: Pass) -> None:
        for k, via in enumerate(ps.via_ned):
            self.waypoint(via, 0.0, f"{ps.name}: transit {k + 1}")
        if ps.roi_ned is not None:
            lat, lon, alt = self._geo(ps.roi_ned)
            # ArduCopter takes DO_SET_ROI_LOCATION in missions only from 4.7 (ArduPilot PR 29567; 4.3-4.6
            # refused the mission, MAV_MISSION_UNSUPPORTED), DO_SET_ROI (MAV_ROI_LOCATION) since 3.2
            if self.autopilot == "ardupilot":
                self.add(DO_SET_ROI, (MAV_ROI_LOCATION, 0, 0, 0, lat, lon, alt), f"{ps.name}: point camera at the axis")
            else:
                self.add(DO_SET_ROI_LOCATION, (0, 0, 0, 0, lat, lon, alt), f"{ps.name}: point camera at the axis")
            self.pitch, self.yaw = None, None  # the ROI drives heading and gimbal (PX4 waypoints: yaw NaN)
        else:  # gimbal first: ArduPilot holds later DO items until CONDITION_YAW is done, and drops them
            # when the next waypoint completes first (AP_Mission::advance_current_nav_cmd)
            self.gimbal(ps.gimbal_pitch_deg[0], ps.name)
            self.heading(ps.yaw_deg[0], ps.name)
        if ps.trigger == "distance":
            self.waypoint(ps.waypoints_ned[0], LANE_START_HOLD_S, f"{ps.name} start", photo=True)
            self.set_speed(self.lane_speed_m_s, f"{ps.name}: photo lane")
            self.add(DO_SET_CAM_TRIGG_DIST, (ps.spacing_m, 0, 1), f"photo every {ps.spacing_m:.3f} m, first now")
            for k, p in enumerate(ps.waypoints_ned[1:], start=2):
                self.waypoint(p, 0.0, f"{ps.name} {'end' if k == len(ps.waypoints_ned) else k}")
            self.add(DO_SET_CAM_TRIGG_DIST, (0, 0, 0), "stop photos")
            last = ps.stations()[-1][0]  # the lane's last photo, short of its end by less than a spacing
            self.since_photo_s = float(np.hypot(*(self.at_ned - last)[:2])) / self.speed_m_s  # type: ignore[operator]
            self.set_speed(self.transit_speed_m_s, "transit")
        else:
            for k, (p, y, g) in enumerate(zip(ps.waypoints_ned, ps.yaw_deg, ps.gimbal_pitch_deg), start=1):
                if ps.roi_ned is None:
                    self.gimbal(g, f"{ps.name} station {k}")
                    self.heading(y, f"{ps.name} station {k}")
                self.waypoint(p, STATION_HOLD_S, f"{ps.name} station {k}", photo=True)
                self.add(DO_DIGICAM_CONTROL, (0, 0, 0, 0, 1, 0, 0), "photo")
        if ps.roi_ned is not None:
            if self.autopilot == "ardupilot":  # ModeAuto::do_roi: an all-zero location cancels the ROI
                self.add(DO_SET_ROI, (MAV_ROI_NONE, 0, 0, 0, 0, 0, 0), f"{ps.name}: camera free")
            else:
                self.add(DO_SET_ROI_NONE, (), f"{ps.name}: camera free")
            self.yaw = None
        for k, p in enumerate(ps.exit_ned, start=1):
            self.waypoint(p, 0.0, f"{ps.name}: exit {k}")


def build_items(passes: tuple[Pass, ...], frame: LocalFrame, home_lat_lon: tuple[float, float], speed_m_s: float,
                autopilot: str, return_via_ned: tuple[tuple[float, float, float], ...] = (),
                min_photo_interval_s: float = 0.0, transit_speed_m_s: float | None = None) -> tuple[MissionItem, ...]:
    """Take off, set speed, fly the passes, come back over home at the entry height, RTL. Photo lanes
    at ``speed_m_s``, the rest at ``transit_speed_m_s`` (default: the same)."""
    b = ItemBuilder(frame, autopilot, speed_m_s, min_photo_interval_s, transit_speed_m_s)
    first = passes[0].via_ned[0] if passes[0].via_ned else passes[0].waypoints_ned[0]
    entry_agl = -first[2]
    b.takeoff(entry_agl, home_lat_lon)
    b.set_speed(b.transit_speed_m_s, "transit")
    for ps in passes:
        b.add_pass(ps)
    last_agl = -passes[-1].end_ned[2]
    for k, p in enumerate(return_via_ned, start=1):
        b.waypoint(p, 0.0, f"return: transit {k}")
    b.waypoint((0.0, 0.0, -last_agl), 0.0, "back over home")
    b.add(NAV_RETURN_TO_LAUNCH, (), "return and land")
    return tuple(b.items)
