"""The flight-time estimate against a flight ArduCopter really flew, and the landing the autopilots fly.

The mission is the pier-face scan ArduCopter 4.7.0-dev SITL flew for the project
(shared/data/telemetry/arducopter_sitl_facade; ``tests/data/missions/mission.waypoints`` is its
byte-identical copy). Times measured in its flight.tlog (STATUSTEXT, GCS clock from connection):
"Arming motors" at 42.8 s, "Mission: 18 RTL" at 162.3 s, "SIM Hit ground" at 201.1 s. The RTL
returned 7 m at 17 m, loitered 5 s (RTL_LOIT_TIME) and came down 7 m at 1.5 m/s (WPNAV_SPEED_DN)
and the last 10 m at 0.5 m/s (LAND_SPEED below LAND_ALT_LOW).
"""

from __future__ import annotations

import math

import pytest

from missions.planning.assets import Site
from missions.planning.formats import read_waypoints
from missions.planning.planner import site_frame
from missions.planning.safety import estimate_flight_s, flight_legs, landing_s

from .conftest import FIXTURES

ARMED_TO_TOUCHDOWN_S = 201.1 - 42.8
RTL_TO_TOUCHDOWN_S = 201.1 - 162.3


@pytest.fixture(scope="module")
def sitl_flight():
    items, home = read_waypoints(FIXTURES / "mission.waypoints")
    # the SITL ran ArduCopter's default RTL_ALT (15 m); the site's other numbers are the planner's defaults
    site = Site(ground_alt_msl_m=home[2], home_lat_lon=(home[0], home[1]), rtl_alt_agl_m=15.0)
    return items, site, flight_legs(items, site_frame(site), site)


def test_estimate_matches_the_arducopter_sitl_flight(sitl_flight):
    items, site, legs = sitl_flight
    rtl = estimate_flight_s(items, [leg for leg in legs if leg.seq == len(items)], site, autopilot="ardupilot")
    total = estimate_flight_s(items, legs, site, autopilot="ardupilot")
    # before: the descent at the 1 m/s climb speed and no loiter: RTL 26.5 s, flight 136.9 s (21 s short)
    assert rtl == pytest.approx(RTL_TO_TOUCHDOWN_S, rel=0.10), rtl
    assert total == pytest.approx(ARMED_TO_TOUCHDOWN_S, rel=0.10), total
    assert total >= ARMED_TO_TOUCHDOWN_S - 10.0, total


def test_landing_follows_each_autopilots_documented_defaults():
    # ArduCopter: WPNAV_SPEED_DN 150 cm/s down to LAND_ALT_LOW 10 m, then LAND_SPEED 50 cm/s; RTL_LOIT_TIME 5 s
    assert landing_s(30.0, "ardupilot", 2.0, rtl=True) == pytest.approx(20 / 1.5 + 10 / 0.5 + 5.0)
    assert landing_s(30.0, "ardupilot", 2.0, rtl=False) == pytest.approx(20 / 1.5 + 10 / 0.5)
    assert landing_s(6.0, "ardupilot", 2.0, rtl=False) == pytest.approx(6 / 0.5)
    # PX4: MPC_Z_V_AUTO_DN 1.5 m/s, eased linearly to MPC_LAND_SPEED 0.7 m/s from MPC_LAND_ALT1 10 m to ALT2 5 m
    ramp = 5.0 / (1.5 - 0.7) * math.log(1.5 / 0.7)
    assert landing_s(30.0, "px4", 2.0, rtl=True) == pytest.approx(20 / 1.5 + ramp + 5 / 0.7)
    # a site climb speed slower than the autopilot's descent caps the fast part (never below the land speed)
    assert landing_s(30.0, "ardupilot", 1.0, rtl=False) == pytest.approx(20 / 1.0 + 10 / 0.5)
    assert landing_s(30.0, "ardupilot", 0.2, rtl=False) == pytest.approx(30 / 0.5)


def test_the_landing_is_no_longer_flown_at_the_climb_speed(sitl_flight):
    items, site, legs = sitl_flight
    fast_climb = Site(ground_alt_msl_m=site.ground_alt_msl_m, home_lat_lon=site.home_lat_lon, rtl_alt_agl_m=15.0,
                      climb_speed_m_s=5.0)
    rtl = [leg for leg in legs if leg.seq == len(items)]
    # the last 10 m take 20 s at LAND_SPEED whatever the site says its vertical speed is
    assert estimate_flight_s(items, rtl, fast_climb, autopilot="ardupilot") > 10 / 0.5 + 5.0
    assert estimate_flight_s(items, rtl, fast_climb, autopilot="px4") > 5 / 0.7 + 5 / 1.5
