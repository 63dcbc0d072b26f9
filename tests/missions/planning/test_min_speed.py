"""ArduCopter ignores a DO_CHANGE_SPEED below its waypoint minimum (``AC_WPNav::set_speed_xy`` only takes
speeds >= WPNAV_WP_SPEED_MIN: 20 cm/s in Copter 4.1-4.6, 10 cm/s on master) and keeps the speed it had,
which before a photo lane is the transit speed. Lanes that must be flown slower are flown stop-and-shoot
on ArduPilot: the same photos, each from a hold."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from missions.planning import RULES, Requirement, get_camera, plan_inspection
from missions.planning.mission import (ARDUCOPTER_MIN_SPEED_M_S, DO_CHANGE_SPEED, DO_DIGICAM_CONTROL,
                                       DO_SET_CAM_TRIGG_DIST, NAV_WAYPOINT)

from .conftest import lane_speeds

SLOW = Requirement(crack_width_mm=1.0, exposure_s=0.002)  # 0.5 mm/px, 2 ms: 0.125 m/s for 0.5 px of blur


@pytest.fixture(scope="module")
def slow_plans(bridge):
    b = replace(bridge, inspect_piers=("P1",))
    cam = get_camera("dji_h20_zoom")
    return plan_inspection(b, cam, SLOW, "ardupilot"), plan_inspection(b, cam, SLOW, "px4")


def _photos(plan):
    return [tuple(np.round(p, 6)) for ps in plan.passes for p, _, _ in ps.stations()]


def test_ardupilot_lanes_below_the_copter_minimum_are_stop_and_shoot(slow_plans):
    ap, px4 = slow_plans
    assert ap.design.speed_m_s == pytest.approx(0.125) and ap.design.speed_m_s < ARDUCOPTER_MIN_SPEED_M_S
    # the old ArduPilot export set 0.125 m/s before each lane: ignored by ArduCopter, which flew the lanes at
    # the 3 m/s transit speed (12 px of blur at 2 ms; photos 0.78 m apart, 0.26 s at 3 m/s against the H20's 2 s)
    slow = [it.params[1] for it in ap.items if it.command == DO_CHANGE_SPEED and it.params[1] < ARDUCOPTER_MIN_SPEED_M_S]
    assert slow == [] and lane_speeds(ap.items) == []
    assert not any(it.command == DO_SET_CAM_TRIGG_DIST for it in ap.items)
    shots = [k for k, it in enumerate(ap.items) if it.command == DO_DIGICAM_CONTROL]
    assert shots and all(ap.items[k - 1].command == NAV_WAYPOINT and ap.items[k - 1].params[0] >= 1.0 for k in shots)
    # the same photos at the same places as the lanes PX4 flies at the design speed
    assert len(shots) == ap.photo_count == px4.photo_count
    assert _photos(ap) == _photos(px4)
    assert ap.checks_passed == RULES
    assert any("stop-and-shoot" in n and "WPNAV_WP_SPEED_MIN" in n for n in ap.notes), ap.notes


def test_px4_keeps_slow_lanes(slow_plans):
    _, px4 = slow_plans
    speeds = lane_speeds(px4.items)
    assert speeds and all(s == pytest.approx(0.125) for s in speeds)
    assert not any("stop-and-shoot" in n for n in px4.notes)
