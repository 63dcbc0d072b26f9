"""The gimbal command never turns the vehicle: at every photo waypoint the heading is the pass's.

ArduCopter answers MAV_CMD_DO_MOUNT_CONTROL on a mount without a pan axis by yawing the whole vehicle
(ArduCopter/mode_auto.cpp ``do_mount_control``): to param 3 as an earth-frame heading before
ArduPilot PR #27071 (``auto_yaw.set_yaw_angle_rate``), by param 3 as an offset after it
(``set_yaw_angle_offset_deg``). The exports therefore send DO_GIMBAL_MANAGER_PITCHYAW, which
AP_Mission hands to AP_Mount only (``start_command_do_gimbal_manager_pitchyaw``) and PX4's gimbal
module turns into a gimbal attitude only. The yaw models below are those two ArduCopter handlers."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from missions.planning import Requirement, get_camera, load_asset, plan_inspection
from missions.planning.mission import (CONDITION_YAW, DO_GIMBAL_MANAGER_PITCHYAW, DO_MOUNT_CONTROL,
                                       DO_SET_ROI, DO_SET_ROI_LOCATION, DO_SET_ROI_NONE, NAV_WAYPOINT)

from .conftest import EXAMPLES, FAST

UP_CAM = replace(get_camera("dji_h20_zoom"), gimbal_max_up_deg=90.0)
YAW_LOCK = 16  # GIMBAL_MANAGER_FLAGS_YAW_LOCK: yaw in the earth frame
MOUNT_YAW = {  # ArduCopter, mount without pan: heading after DO_MOUNT_CONTROL with param 3
    "before PR 27071 (earth frame)": lambda heading, p3: p3 % 360.0,
    "after PR 27071 (body-frame offset)": lambda heading, p3: None if heading is None else (heading + p3) % 360.0,
}


@pytest.fixture(scope="module")
def plans(bridge_plan, bridge_plan_px4, bridge):
    """Pier faces + rings; the underside (gimbal 0 -> +90 mid-mission); the turbine (heading per helix
    station, gimbal pitch per blade side); for both autopilots where the autopilot matters."""
    under = replace(bridge, inspect_underside=True, inspect_piers=("P1",))
    turbine = load_asset(EXAMPLES / "wind_turbine.yaml")
    req = Requirement(crack_width_mm=8.0, exposure_s=0.0005)
    return {("bridge", "ardupilot"): bridge_plan, ("bridge", "px4"): bridge_plan_px4,
            ("underside", "ardupilot"): plan_inspection(under, UP_CAM, FAST, "ardupilot"),
            ("turbine", "ardupilot"): plan_inspection(turbine, get_camera("dji_h20_zoom"), req, "ardupilot"),
            ("turbine", "px4"): plan_inspection(turbine, get_camera("dji_h20_zoom"), req, "px4")}


def _expected_heading(plan) -> dict[str, float]:
    """Photo waypoint note -> the heading the pass was planned with (ROI orbits left out: the ROI turns them)."""
    out = {}
    for ps in plan.passes:
        if ps.roi_ned is not None:
            continue
        if ps.trigger == "distance":
            n = len(ps.waypoints_ned)
            notes = [f"{ps.name} start"] + [f"{ps.name} {'end' if k == n else k}" for k in range(2, n + 1)]
            out.update({note: ps.yaw_deg[0] for note in notes})
        else:
            out.update({f"{ps.name} station {k}": y for k, y in enumerate(ps.yaw_deg, start=1)})
    return {k: round(v % 360.0, 2) % 360.0 for k, v in out.items()}


def _ardupilot_headings(plan, mount_yaw) -> list[tuple[str, float, float | None]]:
    """(note, planned, flown) at every photo waypoint, running the heading items in order."""
    expected, heading, out = _expected_heading(plan), None, []
    for it in plan.items:
        if it.command == CONDITION_YAW:
            assert it.params[3] == 0  # absolute heading
            heading = it.params[0] % 360.0
        elif it.command == DO_MOUNT_CONTROL:
            heading = mount_yaw(heading, it.params[2])
        elif it.command in (DO_SET_ROI_LOCATION, DO_SET_ROI_NONE, DO_SET_ROI):
            heading = None
        elif it.command == NAV_WAYPOINT and it.note in expected:
            out.append((it.note, expected[it.note], heading))
    return out


@pytest.mark.parametrize("firmware", sorted(MOUNT_YAW))
@pytest.mark.parametrize("asset", ["bridge", "underside", "turbine"])
def test_ardupilot_heading_at_every_photo(plans, asset, firmware):
    got = _ardupilot_headings(plans[(asset, "ardupilot")], MOUNT_YAW[firmware])
    assert got
    wrong = [g for g in got if g[2] is None or abs((g[2] - g[1] + 180.0) % 360.0 - 180.0) > 0.01]
    assert not wrong, (len(wrong), len(got), wrong[:3])


@pytest.mark.parametrize("key", [("bridge", "ardupilot"), ("underside", "ardupilot"), ("turbine", "ardupilot"),
                                 ("bridge", "px4"), ("turbine", "px4")])
def test_gimbal_command_leaves_the_vehicle_alone(plans, key):
    """One gimbal command for both autopilots: pitch within AP_Mission's +-90, yaw 0 in the vehicle frame
    (no YAW_LOCK), gimbal 0 (primary); ArduPilot rates 0 so .waypoints carries no NaN, PX4 rates NaN."""
    items = plans[key].items
    assert not any(it.command == DO_MOUNT_CONTROL for it in items)
    gimbal = [it for it in items if it.command == DO_GIMBAL_MANAGER_PITCHYAW]
    assert gimbal
    for it in gimbal:
        p = it.params
        assert abs(p[0]) <= 90.0 and p[1] == 0.0 and int(p[4]) & YAW_LOCK == 0 and p[6] == 0.0
        if key[1] == "ardupilot":
            assert p[2] == 0.0 and p[3] == 0.0
        else:
            assert math.isnan(p[2]) and math.isnan(p[3])


@pytest.mark.parametrize("asset", ["bridge", "underside", "turbine"])
def test_ardupilot_gimbal_before_heading(plans, asset):
    """Between two waypoints the gimbal command comes before CONDITION_YAW: AP_Mission starts the next DO
    item only once CONDITION_YAW reports the heading reached, and drops the rest when the waypoint
    completes first, so a slow turn must not hold the gimbal back."""
    segments: list[list[int]] = [[]]
    for it in plans[(asset, "ardupilot")].items:
        if it.is_nav:
            segments.append([])
        else:
            segments[-1].append(it.command)
    both = [s for s in segments if CONDITION_YAW in s and DO_GIMBAL_MANAGER_PITCHYAW in s]
    assert both
    assert all(s.index(DO_GIMBAL_MANAGER_PITCHYAW) < s.index(CONDITION_YAW) for s in both)


@pytest.mark.parametrize("asset", ["bridge", "turbine"])
def test_px4_heading_from_the_waypoint(plans, asset):
    """PX4 flies the heading in NAV_WAYPOINT param 4; its gimbal command does not touch the vehicle."""
    plan = plans[(asset, "px4")]
    expected = _expected_heading(plan)
    got = [(it.note, it.params[3]) for it in plan.items if it.command == NAV_WAYPOINT and it.note in expected]
    assert got and all(abs((y - expected[n] + 180.0) % 360.0 - 180.0) <= 0.01 for n, y in got)
