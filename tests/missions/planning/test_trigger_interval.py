"""The camera's fastest trigger interval holds between every two consecutive photos of every pattern
(pier faces, round-pier rings and helix, deck grid, girder lines, deck underside, tower helix, blades,
pipeline corridor), along a lane at the spacing the lane really uses and between lanes and stations."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from missions.planning import Requirement, design_for, get_camera, load_asset, plan_inspection
from missions.planning.mission import (DO_CHANGE_SPEED, DO_DIGICAM_CONTROL, DO_SET_CAM_TRIGG_DIST, NAV_TAKEOFF,
                                       NAV_WAYPOINT)
from missions.planning.patterns_underside import PREFIX

from .conftest import EXAMPLES, FAST, lane_speeds

H20 = get_camera("dji_h20_zoom")  # 2 s between photos at the fastest
UP_CAM = replace(H20, gimbal_max_up_deg=90.0)
SLOW_CAM = replace(H20, name="h20-slow", min_trigger_interval_s=4.0)  # longer than a station's 1 s hold
TURBINE_REQ = Requirement(crack_width_mm=8.0, exposure_s=0.0005)

# pattern -> (asset, camera, requirement, what its pass names start with / contain)
CASES = {
    "pier faces + rings": ("bridge", {}, H20, FAST, ("pier P1 face", "pier P2 ring")),
    "helix pier": ("bridge", {"orbit_pattern": "helix", "inspect_piers": ("P2",)}, H20, FAST, ("pier P2 helix",)),
    "deck grid": ("bridge", {"inspect_deck_top": True, "inspect_piers": ("P1",)}, H20, FAST, ("deck top lane",)),
    "girder lines": ("bridge", {"inspect_girders": True, "inspect_piers": ("P1",)}, H20, FAST, ("girder ",)),
    "underside": ("bridge", {"inspect_underside": True, "inspect_piers": ("P1",)}, UP_CAM, FAST, (PREFIX,)),
    "tower helix + blades": ("turbine", {}, H20, TURBINE_REQ, ("tower helix", "blade 1 front")),
    "blades, slow camera": ("turbine", {"inspect_tower": False}, SLOW_CAM, TURBINE_REQ, ("blade 1 front",)),
    "pipeline corridor": ("pipeline", {}, H20, Requirement(crack_width_mm=3.0, exposure_s=0.0005), ("line 1",)),
}
FILES = {"bridge": "bridge.yaml", "turbine": "wind_turbine.yaml", "pipeline": "pipeline.geojson"}
END_SLACK_M = 0.02  # a lane's last photo is planned at its end, which lat/lon in 1e-7 deg (~1 cm) can shorten


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    kind, changes, cam, req, prefixes = CASES[request.param]
    asset = replace(load_asset(EXAMPLES / FILES[kind]), **changes)
    plan = plan_inspection(asset, cam, req, "ardupilot")
    for prefix in prefixes:  # the pattern is really there
        assert any(p.name.startswith(prefix) for p in plan.passes), (request.param, prefix)
    return request.param, asset, plan


def _photo_times_s(plan) -> list[tuple[float, str]]:
    """When each photo is taken at the earliest, flying the items: horizontal legs at the DO_CHANGE_SPEED
    ground speed (climbs, turns and braking only add time), holds in whole seconds (ArduPilot keeps
    NAV_WAYPOINT param 1 as an integer), DO_DIGICAM_CONTROL once the hold is over, DO_SET_CAM_TRIGG_DIST
    at once (param 3) and then every param 1 metres flown until it is set to 0."""
    frame = plan.frame
    t, speed, at, trig, flown, last, out = 0.0, math.nan, None, 0.0, 0.0, "", []
    for it in plan.items:
        p = it.params
        if it.command == DO_CHANGE_SPEED:
            speed = p[1]
        elif it.command in (NAV_TAKEOFF, NAV_WAYPOINT):
            n, e, _ = frame.to_ned(p[4], p[5], frame.h0_m)
            here = np.array([float(n), float(e)])
            d = float(np.hypot(*(here - at))) if at is not None else 0.0
            s = trig - flown
            while trig > 0 and s <= d + END_SLACK_M:  # distance-triggered photos on this leg
                out.append((t + s / speed, it.note))
                s += trig
            flown = (flown + d) % trig if trig > 0 else 0.0
            t += d / speed if d > 0 else 0.0
            t += math.floor(p[0]) if it.command == NAV_WAYPOINT else 0.0
            at, last = here, it.note
        elif it.command == DO_DIGICAM_CONTROL:
            out.append((t, last))
        elif it.command == DO_SET_CAM_TRIGG_DIST:
            trig, flown = p[0], 0.0
            if p[0] > 0 and p[2] == 1:
                out.append((t, last))
    return out


def test_every_photo_waits_for_the_camera(case):
    name, _, plan = case
    interval = plan.camera.min_trigger_interval_s
    shots = _photo_times_s(plan)
    assert len(shots) == plan.photo_count, name  # the simulation takes the planned photos
    gaps = [(b[0] - a[0], a[1], b[1]) for a, b in zip(shots[:-1], shots[1:])]
    worst = min(gaps)
    assert worst[0] >= interval - 1e-6, (name, worst)


def test_lane_spacing_over_speed_at_least_the_interval(case):
    """On every lane, consecutive photo positions are at least the interval apart at the mission speed,
    and the speed still respects the motion-blur and site limits."""
    name, asset, plan = case
    d = plan.design
    lanes = [p for p in plan.passes if p.trigger == "distance"]
    for ps in lanes:
        st = np.array([c for c, _, _ in ps.stations()])
        gaps = np.hypot(*np.diff(st[:, :2], axis=0).T)
        assert np.all(gaps / d.speed_m_s >= plan.camera.min_trigger_interval_s - 1e-9), (name, ps.name)
    assert d.speed_m_s <= asset.site.max_speed_m_s + 1e-9
    assert d.blur_px <= d.requirement.max_blur_px + 1e-9
    assert d.blur_px == pytest.approx(d.speed_m_s * d.exposure_s / d.gsd_m_per_px)


@pytest.mark.parametrize("name", ["deck grid", "girder lines", "pipeline corridor"])
def test_closer_spacing_slows_the_mission(name):
    """These patterns space photos closer than the design's spacing along a pass: the mission slows to
    the closest spacing / the interval (it was flown at spacing_along / interval before)."""
    kind, changes, cam, req, _ = CASES[name]
    asset = replace(load_asset(EXAMPLES / FILES[kind]), **changes)
    plan = plan_inspection(asset, cam, req, "ardupilot")
    closest = min(p.spacing_m for p in plan.passes if p.trigger == "distance" and len(p.stations()) > 1)
    assert closest < plan.design.spacing_along_m - 1e-6
    assert plan.design.speed_limited_by == "trigger interval"
    assert plan.design.speed_m_s == pytest.approx(closest / cam.min_trigger_interval_s)
    # every photo lane is flown at that speed; the way there and back at the site's (faster) limit
    speeds = lane_speeds(plan.items)
    assert speeds and speeds == pytest.approx([plan.design.speed_m_s] * len(speeds), rel=1e-6)
    assert plan.items[1].command == DO_CHANGE_SPEED and plan.items[1].params[1] == pytest.approx(
        asset.site.max_speed_m_s, rel=1e-6) and asset.site.max_speed_m_s > plan.design.speed_m_s


def test_slow_camera_lengthens_holds_not_speed():
    """Stop-and-shoot stations 4.7 m apart with a 4 s camera: the holds grow to whole seconds that fill
    the interval; the mission speed is not lowered for them."""
    kind, changes, cam, req, _ = CASES["blades, slow camera"]
    asset = replace(load_asset(EXAMPLES / FILES[kind]), **changes)
    plan = plan_inspection(asset, cam, req, "ardupilot")
    assert plan.design == design_for(req, cam, asset.site)  # no lane: the design's speed stands
    holds = [it.params[0] for it in plan.items if it.command == NAV_WAYPOINT and " station " in it.note]
    assert holds and all(h == math.floor(h) and h >= 1.0 for h in holds)
    assert max(holds) > 1.0
