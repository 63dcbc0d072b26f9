"""The RTL as the autopilots fly it with their default parameters, from where the mission hands over.

ArduCopter (copter wiki "RTL Mode"; ``ModeRTL::compute_return_target``): the return altitude is RTL_ALT or the
current altitude + RTL_CLIMB_MIN (0), whichever is higher, reduced near home by the RTL_CONE_SLOPE (3) cone to
distance x 3 (never below the current altitude + RTL_CLIMB_MIN); the vehicle never descends to it.
PX4 (``RTL::calculate_return_alt_from_cone_half_angle``) on a multicopter: within NAV_ACC_RAD (2 m,
rc.mc_defaults; 10 m is the generic default) of home 2 x distance, within RTL_MIN_DIST (10 m) the RTL_CONE_ANG
(45 deg) cone, distance / tan(45 deg), else RTL_RETURN_ALT, beyond NAV_ACC_RAD at least 2 x NAV_ACC_RAD;
never below the current altitude.

The planned missions come back over home before NAV_RETURN_TO_LAUNCH, so neither climbs at all: the model
climbed to ``site.rtl_alt_agl_m`` there and came down again (the example bridge ends 8 m up: 22 m up at 1 m/s
and 22 m more down, ~37 s a flight).
"""

from __future__ import annotations

import numpy as np
import pytest

from missions.planning.assets import Site
from missions.planning.mission import (FRAME_GLOBAL_RELATIVE_ALT, NAV_RETURN_TO_LAUNCH, NAV_TAKEOFF, NAV_WAYPOINT,
                                       MissionItem)
from missions.planning.planner import site_frame
from missions.planning.safety import check_items, estimate_flight_s, flight_legs, landing_s

SITE = Site(ground_alt_msl_m=100.0, home_lat_lon=(47.0, 8.0), rtl_alt_agl_m=30.0, climb_speed_m_s=1.0)


def _mission(end_north_m: float, end_agl_m: float) -> tuple[MissionItem, ...]:
    """Take off to ``end_agl_m``, fly ``end_north_m`` north at that height, RTL."""
    frame = site_frame(SITE)
    lat, lon, _ = frame.to_geodetic(np.array([[end_north_m, 0.0, 0.0]]))[0]
    wp = MissionItem(NAV_WAYPOINT, FRAME_GLOBAL_RELATIVE_ALT, (0.0, 0.0, 0.0, 0.0, float(lat), float(lon), end_agl_m))
    take = MissionItem(NAV_TAKEOFF, FRAME_GLOBAL_RELATIVE_ALT, (0.0, 0.0, 0.0, 0.0, *SITE.home_lat_lon, end_agl_m))
    return take, wp, MissionItem(NAV_RETURN_TO_LAUNCH, FRAME_GLOBAL_RELATIVE_ALT, (0.0,) * 7)


def _return_alt(end_north_m: float, end_agl_m: float, autopilot: str) -> float:
    items = _mission(end_north_m, end_agl_m)
    legs = [leg for leg in flight_legs(items, site_frame(SITE), SITE, autopilot) if leg.seq == len(items)]
    return max(-float(p[2]) for leg in legs for p in (leg.start_ned, leg.end_ned))


@pytest.mark.parametrize("north_m, agl_m, ardupilot_m, px4_m", [
    (0.0, 8.0, 8.0, 8.0),      # over home (the planned missions): no climb
    (4.0, 8.0, 12.0, 8.0),     # ArduCopter: the cone, 3 x 4 m; PX4: 2 x 4 m is below 8 m
    (6.0, 8.0, 18.0, 8.0),     # PX4: the 45-deg cone, 6 m, is below 8 m
    (6.0, 2.0, 18.0, 6.0),     # PX4: the 45-deg cone, 6 m (was read as 2 x 6 m within a 10-m NAV_ACC_RAD)
    (1.5, 2.0, 4.5, 3.0),      # PX4: within NAV_ACC_RAD (2 m), 2 x 1.5 m
    (50.0, 8.0, 30.0, 30.0),   # far out: RTL_ALT
    (50.0, 40.0, 40.0, 40.0),  # above RTL_ALT: returns at its own height
])
def test_the_return_altitude_is_the_documented_one(north_m, agl_m, ardupilot_m, px4_m):
    assert _return_alt(north_m, agl_m, "ardupilot") == pytest.approx(ardupilot_m, abs=1e-3)
    assert _return_alt(north_m, agl_m, "px4") == pytest.approx(px4_m, abs=1e-3)


@pytest.mark.parametrize("rtl_alt_m, expected_m", [(12.0, 12.0), (3.0, 4.0)])
def test_px4_far_out_climbs_at_least_twice_its_acceptance_radius(rtl_alt_m, expected_m):
    """Beyond NAV_ACC_RAD (2 m on a multicopter) PX4 returns at RTL_RETURN_ALT, at least 2 x 2 m: a 12-m
    RTL_RETURN_ALT from 2 m at 50 m out returns at 12 m (was modelled at 20 m, 2 x a 10-m NAV_ACC_RAD)."""
    low = Site(ground_alt_msl_m=100.0, home_lat_lon=(47.0, 8.0), rtl_alt_agl_m=rtl_alt_m)
    items = _mission(50.0, 2.0)
    legs = [leg for leg in flight_legs(items, site_frame(low), low, "px4") if leg.seq == len(items)]
    assert max(-float(leg.end_ned[2]) for leg in legs) == pytest.approx(expected_m)


@pytest.mark.parametrize("autopilot", ["ardupilot", "px4"])
def test_an_rtl_over_home_is_estimated_as_its_landing(autopilot):
    """Before: 22 m up at 1 m/s, a return of 0 m and 30 m down, each leg with its 2 s stop/start overhead: the
    RTL from 8 m over home took ArduCopter 73.0 s (PX4 61.1 s) in the estimate, where the vehicle lands from 8 m
    in 23.0 s (PX4 13.0 s) with the overhead."""
    items = _mission(0.0, 8.0)
    legs = [leg for leg in flight_legs(items, site_frame(SITE), SITE, autopilot) if leg.seq == len(items)]
    rtl_s = estimate_flight_s(items, legs, SITE, autopilot=autopilot)
    expected = landing_s(8.0, autopilot, SITE.climb_speed_m_s, rtl=True) + 2.0  # one leg's stop/start overhead
    assert rtl_s == pytest.approx(expected, abs=0.01), rtl_s


def test_the_checks_still_cover_the_climb_with_the_cone_turned_off():
    """The vehicle may have RTL_CONE_SLOPE 0 / RTL_CONE_ANG 0 (or an older ArduCopter climbing 2.5 m): the
    space rules keep checking the climb to RTL_ALT, so a keep-out over home at 20-25 m is still refused."""
    from missions.planning.assets import KeepOut
    from missions.planning.safety import PlanRefusedError
    from dataclasses import replace

    frame = site_frame(SITE)
    box = [(-3.0, -3.0), (-3.0, 3.0), (3.0, 3.0), (3.0, -3.0)]
    outline = tuple((float(la), float(lo)) for la, lo, _ in
                    frame.to_geodetic(np.array([[n, e, 0.0] for n, e in box])))
    site = replace(SITE, keep_out=(KeepOut("wire over home", outline, 20.0, 25.0),))
    with pytest.raises(PlanRefusedError) as err:
        check_items(_mission(0.0, 8.0), frame, site, ())
    assert any(rule == "keep_out" for rule, _, _ in err.value.violations), err.value.violations
