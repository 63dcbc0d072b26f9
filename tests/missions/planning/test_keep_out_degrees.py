"""A keep-out as the vehicle's fence holds it: edges straight in latitude/longitude.

The keep-out is written into the .plan's geoFence as an exclusion polygon, which ArduPilot
(``AC_PolyFence_loader::breached``, Polygon_outside) and PX4 (``Geofence::insidePolygon``) test on raw
latitude/longitude. Its east-west edges are then parallels, which bow towards the equator from the chord the
planner drew between the same corners in metres: L^2 tan(lat) / 8R in the middle of an edge L long (4.2 m for
10 km at 65 N). A leg the planner kept its 3 m standoff from the metric outline was inside the vehicle's
exclusion polygon there: the fence trips (RTL or land) in the middle of the mission.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from missions.planning.assets import Battery, KeepOut, Site
from missions.planning.geometry import lon_near
from missions.planning.mission import (FRAME_GLOBAL_RELATIVE_ALT, NAV_RETURN_TO_LAUNCH, NAV_TAKEOFF, NAV_WAYPOINT,
                                       MissionItem)
from missions.planning.planner import site_frame
from missions.planning.safety import PlanRefusedError, _keep_out_prism, check_items, flight_legs


def _site(lat: float, keep_out: tuple[KeepOut, ...] = ()) -> Site:
    return Site(ground_alt_msl_m=0.0, home_lat_lon=(lat, 20.0), min_standoff_m=3.0, keep_out=keep_out,
                battery=Battery(endurance_min=120.0))


def _lat_lon(site: Site, ne: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    geo = site_frame(site).to_geodetic(np.array([[n, e, 0.0] for n, e in ne]))
    return tuple((float(la), float(lo)) for la, lo, _ in geo)


def _strip(lat: float) -> KeepOut:
    """A strip 10 km east-west (a road beside a pipeline), its south edge 3.5 m north of home's east line."""
    site = _site(lat)
    return KeepOut("road", _lat_lon(site, [(3.5, -2000.0), (3.5, 8000.0), (60.0, 8000.0), (60.0, -2000.0)]), 0.0, 50.0)


def _inside_vehicle_polygon(keep: KeepOut, site: Site, pts_ned: np.ndarray) -> np.ndarray:
    frame = site_frame(site)
    lon0 = frame.lon0_deg
    poly = Polygon([(lon_near(lon0, lo), la) for la, lo in keep.outline_lat_lon])
    geo = frame.to_geodetic(pts_ned)
    return shapely.contains_xy(poly, lon_near(lon0, geo[:, 1]), geo[:, 0])


def _along_the_strip(site: Site) -> tuple[MissionItem, ...]:
    """Take off at home, fly 8 km east along the strip 3.5 m south of its corners' line, back over home, RTL."""
    (la0, lo0), (la1, lo1) = _lat_lon(site, [(0.0, -1000.0), (0.0, 7000.0)])

    def wp(la: float, lo: float) -> MissionItem:
        return MissionItem(NAV_WAYPOINT, FRAME_GLOBAL_RELATIVE_ALT, (0.0, 0.0, 0.0, 0.0, la, lo, 10.0))

    home = site.home_lat_lon
    return (MissionItem(NAV_TAKEOFF, FRAME_GLOBAL_RELATIVE_ALT, (0.0, 0.0, 0.0, 0.0, *home, 10.0)),
            wp(la0, lo0), wp(la1, lo1), wp(*home), MissionItem(NAV_RETURN_TO_LAUNCH, 2, (0.0,) * 7))


def test_no_leg_passes_the_checks_inside_the_vehicles_exclusion_polygon():
    lat = 65.0
    keep = _strip(lat)
    site = _site(lat, (keep,))
    frame = site_frame(site)
    items = _along_the_strip(site)
    pts = np.concatenate([leg.samples() for leg in flight_legs(items, frame, site)])
    inside = _inside_vehicle_polygon(keep, site, pts)
    assert inside.any()  # the leg does enter the polygon the vehicle tests (0.69 m deep at 3 km east)
    # before: check_items passed it (3.5 m from the metric outline, standoff 3 m) and the keep-out went into the
    # fence; now refused
    with pytest.raises(PlanRefusedError) as err:
        check_items(items, frame, site, (_keep_out_prism(keep, frame),))
    assert {rule for rule, _, _ in err.value.violations} & {"keep_out", "min_standoff"}, err.value.violations


def test_the_planners_keep_out_is_the_vehicles_polygon():
    """The prism's outline follows the parallels: points 1 m inside/outside the vehicle's polygon all along the
    strip's south edge read inside/outside it, within 5 cm."""
    lat = 65.0
    keep = _strip(lat)
    site = _site(lat, (keep,))
    frame = site_frame(site)
    prism = _keep_out_prism(keep, frame)
    (la0, lo0), (la1, lo1) = keep.outline_lat_lon[:2]
    t = np.linspace(0.0, 1.0, 203)[1:-1]  # the south edge as the vehicle draws it: straight in degrees
    edge = frame.to_ned(la0 + t * (la1 - la0), lo0 + t * (lo1 - lo0), np.full(len(t), frame.h0_m))
    edge[:, 2] = -10.0
    d = prism.distance_m(edge)
    assert d.max() < 0.05, d.max()  # the parallel is the prism's edge (it was up to 4.2 m outside it)
    south = edge - np.array([1.0, 0.0, 0.0])
    assert not _inside_vehicle_polygon(keep, site, south).any()
    assert np.all(np.abs(prism.distance_m(south) - 1.0) < 0.05)
