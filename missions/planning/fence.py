"""The plan's geofence for the vehicle: the site's fence as an inclusion polygon and the keep-outs as
exclusion polygons, written into the .plan's ``geoFence`` and uploaded as MAVLink fence items.

A fence polygon on ArduPilot (``AC_PolyFence_loader``) and PX4 (``Geofence``) has no height: an
exclusion polygon is breached wherever the vehicle is inside its outline, at any altitude. A keep-out
is a volume (``bottom_agl_m`` .. ``top_agl_m``), and a plan may fly over or under it; such a keep-out,
written as a polygon, would trip the fence (RTL or land, the vehicle's FENCE_ACTION / GF_ACTION) in the
middle of the mission. So a keep-out becomes an exclusion polygon only where no leg of the flight as
flown (take-off, every leg, the RTL climb, return and descent) enters its outline; the others are left
out and named in a note.

MAVLink (mission protocol, MAV_MISSION_TYPE_FENCE): one MISSION_ITEM_INT per vertex,
MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION (5001) / _EXCLUSION (5002), param1 = the polygon's vertex
count, x/y its latitude/longitude, frame MAV_FRAME_GLOBAL, as QGroundControl's GeoFenceManager sends
them; circles are MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION (5003) / _EXCLUSION (5004) with param1 = radius.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import LineString, Point

from skyinspect.errors import InputError, describe
from skyinspect.geodesy import LocalFrame

from missions.planning.assets import LatLon, Site
from missions.planning.mission import FRAME_GLOBAL, MissionItem
from missions.planning.safety import _polygon_en, flight_legs, rtl_legs_cone_off

FENCE_POLYGON_INCLUSION, FENCE_POLYGON_EXCLUSION = 5001, 5002
FENCE_CIRCLE_INCLUSION, FENCE_CIRCLE_EXCLUSION = 5003, 5004
FENCE_COMMANDS = frozenset((5000, 5001, 5002, 5003, 5004))  # x/y: latitude/longitude
MAX_POLYGON_VERTICES = 255  # ArduPilot stores a polygon's vertex count in one byte
# ArduCopter's defaults (AC_Fence.h): FENCE_TYPE 7 = ceiling + circle + polygons, FENCE_RADIUS, FENCE_ALT_MAX
COPTER_FENCE_RADIUS_M, COPTER_FENCE_ALT_MAX_M = 300.0, 100.0


@dataclass(frozen=True)
class FenceArea:
    """One fence polygon (``radius_m`` 0) or circle (``vertices_lat_lon`` its one centre)."""

    name: str
    inclusion: bool
    vertices_lat_lon: tuple[LatLon, ...]
    radius_m: float = 0.0

    @property
    def is_circle(self) -> bool:
        return self.radius_m > 0


def plan_fence(items: tuple[MissionItem, ...], frame: LocalFrame, site: Site,
               autopilot: str = "ardupilot") -> tuple[tuple[FenceArea, ...], tuple[str, ...]]:
    """(fence areas, notes) for one flight: the site's fence, and every keep-out whose outline no leg
    of ``items`` as flown enters, with a note for each keep-out left out and why, and on ArduPilot for a
    flight beyond the circle and ceiling that enabling the fence also enables."""
    areas: list[FenceArea] = []
    if site.geofence_lat_lon:
        areas.append(FenceArea("site.geofence_lat_lon", True, tuple(site.geofence_lat_lon)))
    # the RTL both as flown with the autopilot's defaults and with its cone turned off (a climb to RTL_ALT where
    # it starts): a fence must not trip on either
    legs = flight_legs(items, frame, site, autopilot) + rtl_legs_cone_off(items, frame, site, autopilot)
    left_out = []
    for keep in site.keep_out:
        outline = _polygon_en(keep.outline_lat_lon, frame)
        crossing = next((leg for leg in legs if _track(leg.start_ned, leg.end_ned).intersects(outline)), None)
        if crossing is None:
            areas.append(FenceArea(keep.name, False, tuple(keep.outline_lat_lon)))
            continue
        seq = crossing.seq
        what = "the take-off" if seq == 0 or items[seq - 1].command == 22 else \
            "the return (RTL)" if items[seq - 1].command in (20, 21) else f"item {seq} ({items[seq - 1].name})"
        left_out.append(f"{keep.name!r} ({what} flies over or under it, outside its {keep.bottom_agl_m:g}-"
                        f"{keep.top_agl_m:g} m AGL)")
    notes = []
    across = [a for a in areas if max(lon for _, lon in a.vertices_lat_lon) - min(lon for _, lon in a.vertices_lat_lon)
              > 180.0]
    if across:  # ArduPilot's AC_PolyFence_loader::breached (Polygon_outside) and PX4's Geofence::insidePolygon
        # (PNPOLY) both test raw latitude/longitude
        areas = [a for a in areas if a not in across]
        notes.append(f"geofence: {', '.join(repr(a.name) for a in across)} not written as a fence: its outline crosses "
                     f"the 180th meridian, and ArduPilot and PX4 test fence polygons on raw latitude/longitude, where it "
                     f"would cover the rest of the world instead. The planner keeps the flight to it; the "
                     f"vehicle will not")
    far_m = max(math.hypot(float(p[0]), float(p[1])) for leg in legs for p in (leg.start_ned, leg.end_ned))
    high_m = max(-float(p[2]) for leg in legs for p in (leg.start_ned, leg.end_ned))
    if autopilot == "ardupilot" and areas and (far_m > COPTER_FENCE_RADIUS_M or high_m > COPTER_FENCE_ALT_MAX_M):
        notes.append(f"geofence: this flight reaches {far_m:.0f} m from home and {high_m:.0f} m above it; ArduCopter's "
                     f"default FENCE_TYPE 7 enforces, beside the polygons, a circle of FENCE_RADIUS "
                     f"({COPTER_FENCE_RADIUS_M:g} m round home) and a ceiling of FENCE_ALT_MAX "
                     f"({COPTER_FENCE_ALT_MAX_M:g} m): raise them above the flight or set FENCE_TYPE 4 (polygons only)"
                     f" before enabling the fence")
    if left_out:
        notes.append("geofence: keep-out(s) not written as exclusion fences, because a fence polygon has no height "
                     "on ArduPilot or PX4 and this flight would breach it: " + "; ".join(left_out)
                     + ". The planner keeps the flight out of their volumes; the vehicle will not")
    return tuple(areas), tuple(notes)


def _track(a_ned: np.ndarray, b_ned: np.ndarray) -> Any:
    """A leg seen from above (a point for a vertical leg: the take-off, the RTL climb and descent)."""
    a, b = (float(a_ned[1]), float(a_ned[0])), (float(b_ned[1]), float(b_ned[0]))
    return Point(a) if math.dist(a, b) < 1e-6 else LineString([a, b])


def fence_items(areas: tuple[FenceArea, ...]) -> tuple[MissionItem, ...]:
    """The fence as MAV_MISSION_TYPE_FENCE items, in QGroundControl's form (frame 0, autocontinue 0)."""
    out = []
    for a in areas:
        if a.is_circle:
            lat, lon = a.vertices_lat_lon[0]
            cmd = FENCE_CIRCLE_INCLUSION if a.inclusion else FENCE_CIRCLE_EXCLUSION
            out.append(MissionItem(cmd, FRAME_GLOBAL, (float(a.radius_m), 0.0, 0.0, 0.0, lat, lon, 0.0), False))
            continue
        cmd = FENCE_POLYGON_INCLUSION if a.inclusion else FENCE_POLYGON_EXCLUSION
        n = float(len(a.vertices_lat_lon))
        out += [MissionItem(cmd, FRAME_GLOBAL, (n, 0.0, 0.0, 0.0, lat, lon, 0.0), False) for lat, lon in a.vertices_lat_lon]
    return tuple(out)


def fence_to_qgc(areas: tuple[FenceArea, ...]) -> dict[str, Any]:
    """The .plan's ``geoFence`` (QGC's GeoFenceController: polygons and circles, each version 1)."""
    polygons = [{"inclusion": a.inclusion, "polygon": [[lat, lon] for lat, lon in a.vertices_lat_lon], "version": 1}
                for a in areas if not a.is_circle]
    circles = [{"circle": {"center": list(a.vertices_lat_lon[0]), "radius": a.radius_m}, "inclusion": a.inclusion,
                "version": 1} for a in areas if a.is_circle]
    return {"circles": circles, "polygons": polygons, "version": 2}


def fence_from_qgc(doc: dict[str, Any], path: object) -> tuple[FenceArea, ...]:
    """The fence areas of a .plan's ``geoFence`` (absent: none), checked as the autopilots check them."""
    fence = doc.get("geoFence") or {}

    def bad(where: str, expected: str, got: object) -> InputError:
        return InputError(describe(path, f"geoFence{where and '.'}{where}: expected {expected}, got {got!r}",
                                   "Draw the fence again in QGroundControl's Plan view (Fence) or plan again"))

    def latlon(where: str, p: object) -> LatLon:
        if not (isinstance(p, list) and len(p) >= 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                             for v in p[:2])
                and -90 <= p[0] <= 90 and -180 <= p[1] <= 180):
            raise bad(where, "[latitude, longitude] in degrees", p)
        return float(p[0]), float(p[1])

    # a geoFence or list of the wrong type was an AttributeError/TypeError traceback
    if not isinstance(fence, dict):
        raise bad("", "a mapping with polygons and circles", fence)
    for key in ("polygons", "circles"):
        if not isinstance(fence.get(key) or [], list):
            raise bad(key, "a list", fence.get(key))
    areas = []
    for k, poly in enumerate(fence.get("polygons") or []):
        pts = poly.get("polygon") if isinstance(poly, dict) else None
        if not isinstance(pts, list) or not 3 <= len(pts) <= MAX_POLYGON_VERTICES:
            raise bad(f"polygons[{k}].polygon", f"3 to {MAX_POLYGON_VERTICES} vertices",
                      len(pts) if isinstance(pts, list) else pts)
        areas.append(FenceArea(f"polygon {k + 1}", bool(poly.get("inclusion", True)),
                               tuple(latlon(f"polygons[{k}].polygon[{i}]", p) for i, p in enumerate(pts))))
    for k, circ in enumerate(fence.get("circles") or []):
        c = circ.get("circle") if isinstance(circ, dict) else None
        radius = c.get("radius") if isinstance(c, dict) else None
        if not isinstance(radius, (int, float)) or not 0 < radius < math.inf:  # inf went up to the vehicle
            raise bad(f"circles[{k}].circle.radius", "a radius in metres above 0", radius)
        areas.append(FenceArea(f"circle {k + 1}", bool(circ.get("inclusion", True)),
                               (latlon(f"circles[{k}].circle.center", c.get("center")),), float(radius)))
    return tuple(areas)
