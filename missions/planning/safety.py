"""Safety checks on a mission as it will be flown (its items, not our intentions).

The flight path is rebuilt from the items: take off straight up over home, straight legs between
positioned nav items, and RTL as the autopilot flies it with its defaults (``rtl_return_alt_m``: a climb
only where it is below its return altitude and outside the cone round home, back at that height, descend).
The space rules also check the climb to the site's RTL altitude, which a vehicle with its cone turned off
flies. Each rule
returns its violations naming the item; ``check_items`` raises ``PlanRefusedError`` listing all
of them, so a refused plan says which item breaks which rule and nothing is written.

| rule | refused when |
|---|---|
| min_standoff | any point of any leg is closer than site.min_standoff_m to a structure solid |
| keep_out | any point of any leg is inside a keep-out volume |
| altitude | a waypoint is above site.max_alt_agl_m or below site.min_flight_agl_m |
| geofence | any point of any leg is outside site.geofence_lat_lon (edges straight in latitude/longitude, as the
  autopilot tests its fence) |
| takeoff_home | home is within the standoff of a structure, in a keep-out or outside the fence, or the
  mission does not start with NAV_TAKEOFF or end with RTL/LAND |
| battery | estimated flight time exceeds the endurance less the reserve |
| ground_clearance | a leg point under a bridge deck (inside its outline, below its underside) is lower than the
  ground/water there plus the bridge's ``min_ground_clearance_m`` (take-off and RTL legs excepted) |
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import shapely
from shapely.geometry import Polygon

from skyinspect.errors import InputError
from skyinspect.geodesy import LocalFrame

from missions.planning.assets import Site
from missions.planning.geometry import Prism, Solid, lon_near, point_in_polygon_en
from missions.planning.mission import (DO_CHANGE_SPEED, NAV_LAND, NAV_RETURN_TO_LAUNCH, NAV_TAKEOFF, NAV_WAYPOINT,
                                       MissionItem)

SAMPLE_STEP_M = 0.2
WAYPOINT_OVERHEAD_S = 2.0  # deceleration/acceleration at each waypoint
FLOOR_TOLERANCE_M = 0.01
RULES = ("min_standoff", "keep_out", "altitude", "geofence", "takeoff_home", "battery", "ground_clearance")


@dataclass(frozen=True)
class Floor:
    """Ground or water under a structure at its own height (a creek under a deck): legs inside
    ``outline_en_m`` and below ``ceiling_agl_m`` keep ``height_agl_m + clearance_m``."""

    name: str
    outline_en_m: tuple[tuple[float, float], ...]
    height_agl_m: float
    clearance_m: float
    ceiling_agl_m: float

    @property
    def min_agl_m(self) -> float:
        return self.height_agl_m + self.clearance_m


class PlanRefusedError(InputError):
    """A plan broke safety rules; ``violations`` lists (rule, item seq, message)."""

    def __init__(self, violations: list[tuple[str, int, str]], hint: str = "") -> None:
        self.violations, self.hint = violations, hint
        shown = "\n  ".join(f"rule {r}: {m}" for r, _, m in violations[:12])
        more = f"\n  ... and {len(violations) - 12} more" if len(violations) > 12 else ""
        super().__init__(f"plan refused, {len(violations)} safety violation(s); nothing written:\n  {shown}{more}"
                         + (f"\n{hint}" if hint else ""))


@dataclass(frozen=True)
class Leg:
    seq: int  # the item that flies this leg (0: home)
    start_ned: np.ndarray
    end_ned: np.ndarray
    hold_s: float = 0.0
    landing: bool = False  # the final descent onto home (RTL or NAV_LAND): flown at the autopilot's land speeds

    def samples(self) -> np.ndarray:
        n = max(2, int(math.ceil(float(np.linalg.norm(self.end_ned - self.start_ned)) / SAMPLE_STEP_M)) + 1)
        t = np.linspace(0.0, 1.0, n)[:, None]
        return self.start_ned[None, :] * (1 - t) + self.end_ned[None, :] * t


@dataclass(frozen=True)
class RtlProfile:
    """How high an autopilot returns from an RTL begun ``d`` m from home (its default parameters).
    ArduCopter: max(RTL_ALT, current + ``climb_min_m``), cut by the cone ``cone_slope`` x d (not below the
    current + ``climb_min_m``). PX4: 2 x d within ``acceptance_m`` (NAV_ACC_RAD), else RTL_RETURN_ALT, cut
    within ``cone_dist_m`` (RTL_MIN_DIST) by the cone d / tan(``cone_half_angle_deg``) (RTL_CONE_ANG), and at
    least 2 x ``acceptance_m``. Neither descends to it."""

    cone_slope: float = 0.0
    climb_min_m: float = 0.0
    acceptance_m: float = 0.0
    cone_dist_m: float = 0.0
    cone_half_angle_deg: float = 0.0


RTL = {
    # ModeRTL::compute_return_target (copter wiki "RTL Mode"): RTL_CONE_SLOPE 3, RTL_CLIMB_MIN 0
    # (before ArduPilot PR 25660, late 2023, the cone kept a 2.5 m climb, RTL_ABS_MIN_CLIMB)
    "ardupilot": RtlProfile(cone_slope=3.0),
    # RTL::calculate_return_alt_from_cone_half_angle: NAV_ACC_RAD 2 m on a multicopter (rc.mc_defaults; 10 m is
    # navigator_params' generic default), RTL_MIN_DIST 10 m, RTL_CONE_ANG 45 deg
    "px4": RtlProfile(acceptance_m=2.0, cone_dist_m=10.0, cone_half_angle_deg=45.0),
}


def rtl_return_alt_m(alt_m: float, dist_m: float, rtl_alt_m: float, autopilot: str, cone: bool = True) -> float:
    """The height (above home) an RTL begun ``dist_m`` from home at ``alt_m`` returns at; ``cone`` False: the
    cone turned off (RTL_CONE_SLOPE 0, RTL_CONE_ANG 0), a climb to ``rtl_alt_m`` wherever it starts."""
    p = RTL[autopilot]
    floor = alt_m + p.climb_min_m
    if not cone:
        return max(rtl_alt_m, floor)
    if autopilot == "px4":
        if dist_m <= p.acceptance_m:
            target = 2.0 * dist_m
        else:
            cone = dist_m / math.tan(math.radians(p.cone_half_angle_deg)) if dist_m <= p.cone_dist_m else math.inf
            target = max(min(rtl_alt_m, cone), 2.0 * p.acceptance_m)
    else:
        target = min(max(rtl_alt_m, floor), max(dist_m * p.cone_slope, floor))
    return max(target, alt_m)


def flight_legs(items: tuple[MissionItem, ...], frame: LocalFrame, site: Site, autopilot: str = "ardupilot",
                rtl_cone: bool = True) -> list[Leg]:
    """The straight legs the vehicle flies, each tagged with the item responsible for it; the RTL as
    ``rtl_return_alt_m`` (``rtl_cone`` False: with the cone turned off), legs of no length left out."""
    pos = np.zeros(3)
    legs: list[Leg] = []
    for seq, it in enumerate(items, start=1):
        if it.command == NAV_TAKEOFF:
            nxt = np.array([pos[0], pos[1], -it.params[6]])
        elif it.command == NAV_WAYPOINT:
            # the altitude is the height the planner laid out above its tangent plane, flown above the curved
            # Earth as the ground and the structure curve: -down = altitude, not the geodetic point's -down,
            # which sits d^2 / 2R lower (2.4 m at 5.5 km: a pipeline 4.5-6 km out was refused at its pipe)
            nxt = frame.to_ned(it.params[4], it.params[5], frame.h0_m + it.params[6])
            nxt[2] = -it.params[6]
        elif it.command in (NAV_RETURN_TO_LAUNCH, NAV_LAND):
            if it.command == NAV_RETURN_TO_LAUNCH:
                up = rtl_return_alt_m(-float(pos[2]), float(np.hypot(pos[0], pos[1])), site.rtl_alt_agl_m,
                                      autopilot, rtl_cone)
                top = np.array([pos[0], pos[1], -up])
                over_home = np.array([0.0, 0.0, -up])
                legs += [leg for leg in (Leg(seq, pos, top), Leg(seq, top, over_home))
                         if float(np.linalg.norm(leg.end_ned - leg.start_ned)) > 1e-3]
                legs.append(Leg(seq, over_home, np.zeros(3), landing=True))
            else:
                legs.append(Leg(seq, pos, np.array([pos[0], pos[1], 0.0]), landing=True))
            break
        else:
            continue
        legs.append(Leg(seq, pos, nxt, it.params[0] if it.command == NAV_WAYPOINT else 0.0))
        pos = nxt
    return legs


def rtl_legs_cone_off(items: tuple[MissionItem, ...], frame: LocalFrame, site: Site,
                      autopilot: str = "ardupilot") -> list[Leg]:
    """The RTL's legs as a vehicle with its cone turned off flies them (a climb to ``rtl_alt_agl_m`` where it
    starts): the legs before the RTL are ``flight_legs``' own."""
    return [leg for leg in flight_legs(items, frame, site, autopilot, rtl_cone=False)
            if leg.seq >= 1 and items[leg.seq - 1].command == NAV_RETURN_TO_LAUNCH]


def _bad_points(legs: list[Leg], bad: callable,  # type: ignore[valid-type]
                worst: bool = False) -> list[tuple[Leg, np.ndarray, float]]:
    """Per leg that breaks a rule: its first bad point and the value there, or with ``worst`` the point
    of the lowest value (a leg through a blade must not read as grazing it where it first comes close)."""
    out = []
    for leg in legs:
        pts = leg.samples()
        mask, value = bad(pts)
        if np.any(mask):
            i = int(np.argmin(np.where(mask, value, np.inf))) if worst and value is not None else int(np.argmax(mask))
            out.append((leg, pts[i], float(value[i]) if value is not None else 0.0))
    return out


def _where(leg: Leg, items: tuple[MissionItem, ...], p: np.ndarray) -> str:
    it = items[leg.seq - 1] if leg.seq >= 1 else None
    who = it.describe(leg.seq) if it else "home"
    return f"{who}: leg reaching ({p[0]:.1f} N, {p[1]:.1f} E, {-p[2]:.1f} m AGL)"


def check_items(items: tuple[MissionItem, ...], frame: LocalFrame, site: Site, solids: tuple[Solid, ...],
                speed_m_s: float | None = None, floors: tuple[Floor, ...] = (),
                autopilot: str = "ardupilot") -> tuple[str, ...]:
    """Run every rule; return the rule names passed or raise ``PlanRefusedError``."""
    legs = flight_legs(items, frame, site, autopilot)

    def is_rtl(leg: Leg) -> bool:
        return leg.seq >= 1 and items[leg.seq - 1].command == NAV_RETURN_TO_LAUNCH

    # the space rules also fly the RTL with the cone turned off (a climb to RTL_ALT where it starts): the most
    # a vehicle so set flies; the time estimate takes the defaults
    space = legs + rtl_legs_cone_off(items, frame, site, autopilot)

    def first_bad(legs: list[Leg], bad: callable, worst: bool = False):  # type: ignore[no-untyped-def,valid-type]
        # the two RTLs share their descent over home: one violation of a rule by the RTL, the worst
        found = _bad_points(legs, bad, worst)
        rtl = [f for f in found if is_rtl(f[0])]
        return [f for f in found if not is_rtl(f[0])] + ([min(rtl, key=lambda f: f[2]) if worst else rtl[0]]
                                                         if rtl else [])

    v: list[tuple[str, int, str]] = []
    # min_standoff
    for s in solids:
        for leg, p, d in first_bad(space, lambda pts, s=s: ((ds := s.distance_m(pts)) < site.min_standoff_m - 1e-6, ds),
                                    worst=True):
            v.append(("min_standoff", leg.seq, f"{_where(leg, items, p)} passes {d:.2f} m from {s.name}; the "
                      f"minimum standoff is {site.min_standoff_m} m. Move the waypoint away or raise the standoff"))
    # keep_out
    for ko in site.keep_out:
        prism = _keep_out_prism(ko, frame)
        for leg, p, _ in first_bad(space, lambda pts, k=prism: (k.contains(pts), None)):
            v.append(("keep_out", leg.seq, f"{_where(leg, items, p)} enters keep-out volume {ko.name!r} "
                      f"({ko.bottom_agl_m}-{ko.top_agl_m} m AGL). Route around it"))
    # altitude
    for seq, it in enumerate(items, start=1):
        if it.command in (NAV_WAYPOINT, NAV_TAKEOFF):
            alt = it.params[6]
            if alt > site.max_alt_agl_m + 1e-6:
                v.append(("altitude", seq, f"{it.describe(seq)} at {alt:.1f} m AGL is above the maximum "
                          f"{site.max_alt_agl_m} m AGL. Lower it or raise site.max_alt_agl_m if allowed"))
            if alt < site.min_flight_agl_m - 1e-6:
                v.append(("altitude", seq, f"{it.describe(seq)} at {alt:.2f} m AGL is below the minimum flight "
                          f"height {site.min_flight_agl_m} m. Raise it"))
    if site.rtl_alt_agl_m > site.max_alt_agl_m:
        v.append(("altitude", 0, f"site.rtl_alt_agl_m {site.rtl_alt_agl_m} m is above the maximum "
                  f"{site.max_alt_agl_m} m AGL. Lower the RTL altitude"))
    # geofence
    if site.geofence_lat_lon:
        outside = fence_outside(site.geofence_lat_lon, frame)
        for leg, p, _ in first_bad(space, lambda pts: (outside(pts), None)):
            v.append(("geofence", leg.seq, f"{_where(leg, items, p)} leaves the geofence. Move the waypoint "
                      f"inside site.geofence_lat_lon or enlarge the fence"))
    # takeoff_home
    home = np.zeros((1, 3))
    for s in solids:
        d = float(s.distance_m(home)[0])
        if d < site.min_standoff_m:
            v.append(("takeoff_home", 0, f"home is {d:.2f} m from {s.name}; take off at least "
                      f"{site.min_standoff_m} m from every structure (move site.home_lat_lon)"))
    for ko in site.keep_out:
        if _keep_out_prism(ko, frame).contains(home)[0]:
            v.append(("takeoff_home", 0, f"home is inside keep-out volume {ko.name!r}. Move site.home_lat_lon"))
    if site.geofence_lat_lon and outside(home)[0]:
        v.append(("takeoff_home", 0, "home is outside the geofence. Move site.home_lat_lon inside it"))
    if not items or items[0].command != NAV_TAKEOFF:
        v.append(("takeoff_home", 1, f"item 1 must be NAV_TAKEOFF, got {items[0].name if items else 'nothing'}"))
    if not items or items[-1].command not in (NAV_RETURN_TO_LAUNCH, NAV_LAND):
        v.append(("takeoff_home", len(items), "the mission must end with NAV_RETURN_TO_LAUNCH or NAV_LAND"))
    # battery
    t = estimate_flight_s(items, legs, site, speed_m_s, autopilot)
    usable = site.battery.usable_s
    if t > usable:
        v.append(("battery", len(items), f"estimated flight {t / 60:.1f} min exceeds the battery's "
                  f"{site.battery.endurance_min} min less the {site.battery.reserve_fraction:.0%} reserve "
                  f"({usable / 60:.1f} min). Split the inspection (fewer piers/faces per flight) or fly a larger GSD"))
    # ground_clearance: take-off and RTL/LAND legs start or end on the ground at home by design
    flown = [leg for leg in legs if leg.seq >= 1 and items[leg.seq - 1].command == NAV_WAYPOINT]
    for fl in floors:
        region = Polygon(fl.outline_en_m)

        def low(pts: np.ndarray, fl: Floor = fl, region: Polygon = region) -> tuple[np.ndarray, np.ndarray]:
            # -down is the height relative to home as the autopilot holds it (flight_legs); 1 cm allowed for
            # the straight-leg model between equal altitudes
            inside = point_in_polygon_en(region, pts)
            h = -pts[:, 2]
            return inside & (h < fl.ceiling_agl_m) & (h < fl.min_agl_m - FLOOR_TOLERANCE_M), h

        for leg, p, h in first_bad(flown, low):
            v.append(("ground_clearance", leg.seq, f"{_where(leg, items, p)} is {h - fl.height_agl_m:.2f} m above "
                      f"the {fl.name} ({fl.height_agl_m:g} m AGL); expected at least {fl.clearance_m:g} m "
                      f"(at least {fl.min_agl_m:g} m AGL). Raise the waypoint"))
    if v:
        raise PlanRefusedError(v)
    return RULES


def estimate_flight_s(items: tuple[MissionItem, ...], legs: list[Leg], site: Site,
                      speed_m_s: float | None = None, autopilot: str = "ardupilot") -> float:
    """Horizontal distance at the ground speed in force on each leg (the last DO_CHANGE_SPEED before
    it; ``speed_m_s`` or the site's limit before any), vertical at the climb speed, the landing as the
    autopilot flies it (``landing_s``), holds, and a fixed overhead per waypoint for stopping and starting."""
    speed_before = [speed_m_s or site.max_speed_m_s]  # speed_before[seq]: in force when item seq starts its leg
    for it in items:
        changes = it.command == DO_CHANGE_SPEED and it.params[1] > 0
        speed_before.append(it.params[1] if changes else speed_before[-1])
    t = 0.0
    for leg in legs:
        d = leg.end_ned - leg.start_ned
        speed = speed_before[max(leg.seq - 1, 0)]
        horizontal_s = float(np.hypot(d[0], d[1])) / speed
        if leg.landing:
            rtl = leg.seq >= 1 and items[leg.seq - 1].command == NAV_RETURN_TO_LAUNCH
            vertical_s = landing_s(max(0.0, -float(leg.start_ned[2])), autopilot, site.climb_speed_m_s, rtl)
        else:
            vertical_s = abs(float(d[2])) / site.climb_speed_m_s
        t += max(horizontal_s, vertical_s) + leg.hold_s + WAYPOINT_OVERHEAD_S
    return t


@dataclass(frozen=True)
class LandingProfile:
    """How an autopilot comes down onto home, with its default parameters: ``fast_m_s`` above
    ``slow_from_m``, eased linearly to ``land_m_s`` at ``slow_below_m`` and that speed below it; RTL
    first waits ``rtl_wait_s`` over home."""

    fast_m_s: float
    slow_from_m: float
    slow_below_m: float
    land_m_s: float
    rtl_wait_s: float


LANDING = {
    # ArduCopter (Parameters.cpp, config.h, AC_WPNav.h): WPNAV_SPEED_DN 150 cm/s (LAND_SPEED_HIGH 0 = use it)
    # down to LAND_ALT_LOW 1000 cm, then LAND_SPEED 50 cm/s; RTL_LOIT_TIME 5000 ms above home first.
    # The project's ArduCopter 4.7 SITL flight (shared/data/telemetry/arducopter_sitl_facade) flew exactly so.
    "ardupilot": LandingProfile(fast_m_s=1.5, slow_from_m=10.0, slow_below_m=10.0, land_m_s=0.5, rtl_wait_s=5.0),
    # PX4 (mc_pos_control multicopter_*_params.c, navigator rtl_params.c): MPC_Z_V_AUTO_DN 1.5 m/s, limited
    # from MPC_LAND_ALT1 10 m down to MPC_LAND_SPEED 0.7 m/s at MPC_LAND_ALT2 5 m (math::gradual, linear);
    # RTL_LAND_DELAY 0 s (older releases: -1, hover at RTL_DESCEND_ALT until told to land).
    "px4": LandingProfile(fast_m_s=1.5, slow_from_m=10.0, slow_below_m=5.0, land_m_s=0.7, rtl_wait_s=0.0),
}


def landing_s(height_m: float, autopilot: str, climb_speed_m_s: float, rtl: bool) -> float:
    """Seconds to come down ``height_m`` onto the ground as ``autopilot`` lands with its defaults (the
    last metres are flown at its slow land speed, whatever the site's climb speed). A site climb speed
    below the autopilot's descent speed caps the fast part (a vehicle set to descend slower), never
    below the land speed (ArduCopter's land controller does not descend slower than LAND_SPEED)."""
    p = LANDING[autopilot]
    fast = max(min(p.fast_m_s, climb_speed_m_s), p.land_m_s)
    t = max(0.0, height_m - p.slow_from_m) / fast + min(height_m, p.slow_below_m) / p.land_m_s
    top = min(height_m, p.slow_from_m)
    if top > p.slow_below_m:  # speed rises linearly with height across the easing band: dt = dh / v(h)
        if fast - p.land_m_s < 1e-9:
            t += (top - p.slow_below_m) / p.land_m_s
        else:
            gain = (fast - p.land_m_s) / (p.slow_from_m - p.slow_below_m)
            t += math.log((p.land_m_s + gain * (top - p.slow_below_m)) / p.land_m_s) / gain
    return t + (p.rtl_wait_s if rtl else 0.0)


def fence_outside(lat_lon: tuple[tuple[float, float], ...], frame: LocalFrame) -> Callable[[np.ndarray], np.ndarray]:
    """Whether NED points lie outside a fence polygon as the autopilot tests it: edges straight in latitude and
    longitude (ArduPilot's Polygon_outside, PX4's Geofence::insidePolygon), not in metres. A long east-west
    edge is a parallel to the vehicle, bowed towards the equator from the chord in metres (0.85 m over 5 km
    at 60 deg). Longitudes are taken about home's, so a fence across the 180th meridian (left out of the
    vehicle's fence, ``fence.py``) stays the shape the planner keeps the flight in."""
    lon0 = frame.lon0_deg
    poly = Polygon([(lon_near(lon0, lon), lat) for lat, lon in lat_lon])

    def outside(pts_ned: np.ndarray) -> np.ndarray:
        geo = frame.to_geodetic(np.atleast_2d(np.asarray(pts_ned, dtype=np.float64)))
        return ~shapely.contains_xy(poly, lon_near(lon0, geo[:, 1]), geo[:, 0])

    return outside


# a parallel bows off its chord by L^2 tan(lat) / 8R: 0.017 mm for 20 m at 65 N (4.2 m for 10 km)
EDGE_STEP_M = 20.0


def _polygon_en(lat_lon: tuple[tuple[float, float], ...], frame: LocalFrame) -> Polygon:
    """A polygon given in latitude/longitude, in the local east/north metres, with its edges straight in
    latitude and longitude as the vehicle's fence tests them (``fence_outside``): a keep-out is written as an
    exclusion polygon, and its east-west edges, parallels to the vehicle, bow towards the equator from the
    chord between its corners in metres (a leg 3.5 m off a 10-km edge at 65 N was inside the vehicle's
    polygon). Each edge is drawn through points ``EDGE_STEP_M`` apart at most."""
    lon0 = frame.lon0_deg
    ring = [(float(la), lon_near(lon0, float(lo))) for la, lo in lat_lon]
    lat, lon = [], []
    for (la0, lo0), (la1, lo1) in zip(ring, ring[1:] + ring[:1]):
        length_m = math.hypot(la1 - la0, (lo1 - lo0) * math.cos(math.radians(la0))) * 111_320.0
        n = max(1, math.ceil(length_m / EDGE_STEP_M))
        t = np.arange(n) / n
        lat.append(la0 + t * (la1 - la0))
        lon.append(lo0 + t * (lo1 - lo0))
    la, lo = np.concatenate(lat), np.concatenate(lon)
    ned = frame.to_ned(la, lo, np.full(len(la), frame.h0_m))
    return Polygon([(float(e), float(n)) for n, e, _ in ned])


KEEP_OUT_PREFIX = "keep-out "  # a keep-out volume's solid is named so: is_keep_out tells it from the structure's


def _keep_out_prism(ko, frame: LocalFrame) -> Prism:  # type: ignore[no-untyped-def]
    poly = _polygon_en(ko.outline_lat_lon, frame)
    return Prism(f"{KEEP_OUT_PREFIX}{ko.name}", tuple(poly.exterior.coords)[:-1], ko.bottom_agl_m, ko.top_agl_m)


def is_keep_out(solid: Solid) -> bool:
    """Whether ``solid`` is a site keep-out volume (``_keep_out_prism``), not part of the structure."""
    return solid.name.startswith(KEEP_OUT_PREFIX)
