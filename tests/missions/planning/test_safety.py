"""Every safety rule has a plan that breaks it and is refused, naming the rule and the item."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from missions.planning import RULES, PlanRefusedError, check_items, get_camera, plan_inspection
from missions.planning.assets import Battery, KeepOut
from missions.planning.mission import NAV_WAYPOINT, MissionItem, q7
from missions.planning.planner import site_frame

from .conftest import FAST


def _refused(asset, rule):
    with pytest.raises(PlanRefusedError) as info:
        plan_inspection(asset, get_camera("dji_h20_zoom"), FAST)
    rules = {r for r, _, _ in info.value.violations}
    assert rule in rules, info.value
    return info.value


def test_good_plan_passes_every_rule(bridge_plan):
    assert bridge_plan.checks_passed == RULES


def test_min_standoff(bridge_plan, bridge):
    items = list(bridge_plan.items)
    k = next(i for i, it in enumerate(items) if it.command == NAV_WAYPOINT and "pier P1 face 1" in it.note)
    lat, lon = bridge.piers[0].centre_lat_lon
    p = items[k].params
    items[k] = MissionItem(NAV_WAYPOINT, items[k].frame, p[:4] + (q7(lat), q7(lon + 0.00003), p[6]), note=items[k].note)
    with pytest.raises(PlanRefusedError) as info:
        check_items(tuple(items), site_frame(bridge.site), bridge.site, bridge_plan.solids)
    hits = [(r, s, m) for r, s, m in info.value.violations if r == "min_standoff"]
    assert any(s == k + 1 and "pier P1" in m and f"item {k + 1} (NAV_WAYPOINT" in m for r, s, m in hits), hits
    # the leg runs into the pier: its closest point is named (it said where it first came within 3 m)
    assert any("passes 0.00 m from pier P1" in m for _, _, m in hits), hits


def test_keep_out(bridge):
    lat, lon = bridge.piers[0].centre_lat_lon
    box = ((lat - 0.0001, lon - 0.0001), (lat - 0.0001, lon + 0.0001), (lat + 0.0001, lon + 0.0001),
           (lat + 0.0001, lon - 0.0001))
    site = replace(bridge.site, keep_out=(KeepOut("bat roost", box, 4.0, 6.0),))
    err = _refused(replace(bridge, site=site), "keep_out")
    assert "bat roost" in str(err) and "item " in str(err)


def test_altitude(bridge):
    err = _refused(replace(bridge, site=replace(bridge.site, max_alt_agl_m=6.0, rtl_alt_agl_m=6.0)), "altitude")
    assert "above the maximum 6.0 m AGL" in str(err)


def test_geofence(bridge):
    lat, lon = bridge.site.home_lat_lon
    small = ((lat - 0.0002, lon - 0.0002), (lat - 0.0002, lon + 0.0006), (lat + 0.0003, lon + 0.0006),
             (lat + 0.0003, lon - 0.0002))  # excludes pier P2 (east)
    err = _refused(replace(bridge, site=replace(bridge.site, geofence_lat_lon=small)), "geofence")
    assert "leaves the geofence" in str(err)


def test_takeoff_home(bridge):
    lat, lon = bridge.piers[0].centre_lat_lon
    err = _refused(replace(bridge, site=replace(bridge.site, home_lat_lon=(lat, lon - 0.00002))), "takeoff_home")
    assert "home is" in str(err) and "pier P1" in str(err)


def test_takeoff_item_required(bridge_plan, bridge):
    with pytest.raises(PlanRefusedError, match="item 1 must be NAV_TAKEOFF"):
        check_items(bridge_plan.items[1:], site_frame(bridge.site), bridge.site, bridge_plan.solids)


def test_battery(bridge):
    err = _refused(replace(bridge, site=replace(bridge.site, battery=Battery(5.0, 0.3))), "battery")
    assert "exceeds the battery's 5.0 min less the 30% reserve" in str(err)


def test_ground_clearance(bridge_plan, bridge):
    """The creek under the deck is 1 m down; demand 6 m above it: the pier lanes under the deck are refused."""
    assert bridge_plan.floors and bridge_plan.floors[0].min_agl_m == bridge.floor_agl_m == 2.0
    floors = (replace(bridge_plan.floors[0], clearance_m=6.0),)
    with pytest.raises(PlanRefusedError) as info:
        check_items(bridge_plan.items, site_frame(bridge.site), bridge.site, bridge_plan.solids, floors=floors)
    hits = [m for r, _, m in info.value.violations if r == "ground_clearance"]
    assert hits and all("above the ground/water under the deck (-1 m AGL); expected at least 6 m" in m for m in hits)
    assert any("pier P1" in m for m in hits)


def test_rtl_path_is_checked(bridge_plan, bridge):
    """The path the items fly includes RTL's climb: a last waypoint under the deck is refused."""
    items = list(bridge_plan.items)
    back = next(i for i, it in enumerate(items) if it.note == "back over home")
    frame = site_frame(bridge.site)
    lat, lon, _ = frame.to_geodetic(np.array([15.0, 30.0, 0.0]))  # under the deck, between the girders
    p = items[back].params
    items[back] = MissionItem(NAV_WAYPOINT, items[back].frame, p[:4] + (q7(lat), q7(lon), p[6]), note="moved")
    with pytest.raises(PlanRefusedError, match="NAV_RETURN_TO_LAUNCH"):
        check_items(tuple(items), frame, bridge.site, bridge_plan.solids)
