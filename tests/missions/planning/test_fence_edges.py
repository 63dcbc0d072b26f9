"""Rule geofence tests the fence as the autopilot does: straight edges between its vertices in latitude and
longitude (ArduPilot's Polygon_outside, PX4's Geofence::insidePolygon: PNPOLY on the raw coordinates).

A long east-west edge is a parallel of latitude to the vehicle; in metres it bows towards the equator
from the straight chord between its ends (0.85 m over 5 km at 60 deg N, 0.5 m at 47 deg). The rule used
the chord, so a waypoint a few decimetres inside the chord of a fence's north edge passed the planner and
breached the vehicle's fence (RTL or land, FENCE_ACTION / GF_ACTION, mid-mission)."""

from __future__ import annotations

import numpy as np
import pytest

from skyinspect.geodesy import LocalFrame

from missions.planning.assets import Site
from missions.planning.mission import NAV_RETURN_TO_LAUNCH, NAV_TAKEOFF, NAV_WAYPOINT, _item
from missions.planning.safety import PlanRefusedError, check_items

HOME = (60.0, 10.0)  # southern Norway


def _corridor(frame: LocalFrame) -> tuple[tuple[float, float], ...]:
    """A 5 km east-west fence 200 m wide, centred on home, with vertices only at its corners."""
    corners = [(-100.0, -2500.0), (-100.0, 2500.0), (100.0, 2500.0), (100.0, -2500.0)]  # (north, east) m
    geo = frame.to_geodetic(np.array([[n, e, 0.0] for n, e in corners]))
    return tuple((float(lat), float(lon)) for lat, lon, _ in geo)


def _north_of_home(frame: LocalFrame, north_m: float) -> tuple:  # type: ignore[type-arg]
    lat, lon, _ = frame.to_geodetic(np.array([north_m, 0.0, 0.0]))
    return (_item(NAV_TAKEOFF, (0, 0, 0, 0, HOME[0], HOME[1], 10.0), "take off"),
            _item(NAV_WAYPOINT, (0, 0, 0, 0, float(lat), float(lon), 10.0), "near the north edge"),
            _item(NAV_WAYPOINT, (0, 0, 0, 0, HOME[0], HOME[1], 10.0), "back over home"),
            _item(NAV_RETURN_TO_LAUNCH, (), "return and land"))


def _chord_north_m(frame: LocalFrame, fence: tuple[tuple[float, float], ...]) -> float:
    """Where the straight line in metres between the north corners passes home's meridian."""
    ne = frame.to_ned(np.array([p[0] for p in fence[2:]]), np.array([p[1] for p in fence[2:]]), np.zeros(2))
    (n0, e0), (n1, e1) = ne[0, :2], ne[1, :2]
    return float(n0 + (n1 - n0) * (0.0 - e0) / (e1 - e0))


def test_a_waypoint_inside_the_chord_but_outside_the_parallel_is_refused():
    frame = LocalFrame(HOME[0], HOME[1], 100.0)
    fence = _corridor(frame)
    site = Site(ground_alt_msl_m=100.0, home_lat_lon=HOME, geofence_lat_lon=fence)
    chord = _chord_north_m(frame, fence)
    parallel = float(frame.to_ned(fence[2][0], HOME[1], 0.0)[0])  # the edge as the vehicle has it, at home's meridian
    assert 0.8 < chord - parallel < 0.9  # the vehicle's edge lies 0.85 m south of the chord there
    with pytest.raises(PlanRefusedError, match="rule geofence: item 2") as err:
        check_items(_north_of_home(frame, chord - 0.3), frame, site, ())  # 0.55 m outside the vehicle's fence
    assert [r for r, _, _ in err.value.violations] == ["geofence", "geofence"]  # the leg there and the leg back
    assert "geofence" in check_items(_north_of_home(frame, parallel - 0.3), frame, site, ())
