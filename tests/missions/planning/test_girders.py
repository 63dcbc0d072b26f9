"""Oblique lines along the girders: the GSD at the target surface matches the pinhole formula for the
oblique view (range along the view ray; stretched by 1/cos(incidence) along the tilt), the girder
faces are covered at the required GSD and overlap, and the safety rules hold (and refuse when broken)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from missions.planning import RULES, PlanRefusedError, check_items, get_camera, plan_inspection
from missions.planning.coverage import camera_rotation, plan_coverage
from missions.planning.mission import DO_GIMBAL_MANAGER_PITCHYAW, DO_SET_CAM_TRIGG_DIST, NAV_WAYPOINT, MissionItem, q7
from missions.planning.patterns_girder import SURFACE_SAMPLES_PER_USED_LENGTH
from missions.planning.planner import site_frame
from skyinspect.surface import intersect_plane

from .conftest import FAST, fd_gsd

SAMPLING = 1.0 / SURFACE_SAMPLES_PER_USED_LENGTH


@pytest.fixture(scope="module")
def girder_bridge(bridge):
    return replace(bridge, inspect_girders=True, inspect_piers=("P1",))


@pytest.fixture(scope="module")
def girder_plan(girder_bridge):
    """The example bridge with girders, the H20 zoom (gimbal up to 30 deg): the planner picks the standoff."""
    return plan_inspection(girder_bridge, get_camera("dji_h20_zoom"), FAST)


@pytest.fixture(scope="module")
def steep_plan(girder_bridge):
    """A gimbal that looks up 45 deg and the zoom fixed at a 8 m standoff: lines under the deck between
    the girders, looking up steeply at the inner faces."""
    cam = replace(get_camera("dji_h20_zoom"), gimbal_max_up_deg=45.0)
    f = 8.0 * cam.pixel_pitch_mm / FAST.gsd_required_m
    return plan_inspection(girder_bridge, cam, FAST, focal_length_mm=f)


def _lines(plan):
    return [p for p in plan.passes if p.name.startswith("girder ") and p.name.endswith(" line")]


def _surface_for(plan, ps):
    return next(s for s in plan.surfaces if ps.name.startswith(s.name + " "))


def test_lines_planned_and_safe(girder_plan, girder_bridge):
    lines = _lines(girder_plan)
    names = {p.name.split(" face")[0] + " face" for p in lines}
    assert names == {"girder G1 S face", "girder G1 N face", "girder G2 S face", "girder G2 N face"}, \
        girder_plan.notes
    assert girder_plan.checks_passed == RULES
    deck_girders = [s for s in girder_plan.solids if s.name == "deck" or s.name.startswith("girder")]
    for ps in lines:
        pts = np.array(ps.waypoints_ned)
        clear = min(float(np.min(s.distance_m(pts))) for s in deck_girders)
        assert clear >= girder_bridge.site.min_standoff_m, (ps.name, clear)
        assert all(0.0 <= g <= 30.0 for g in ps.gimbal_pitch_deg)  # never beyond the gimbal's upward limit
        assert all(-p[2] < girder_bridge.deck_underside_agl_m for p in ps.waypoints_ned)
    assert any(p.gimbal_pitch_deg[0] > 10.0 for p in lines)  # the inner faces are seen obliquely from below
    assert any("pier P1 stands between the line and the face" in n for n in girder_plan.notes)  # occlusion noted
    ap = {it.command for it in girder_plan.items}
    assert {DO_GIMBAL_MANAGER_PITCHYAW, DO_SET_CAM_TRIGG_DIST} <= ap


@pytest.mark.parametrize("which", ["girder_plan", "steep_plan"])
def test_gsd_at_target_matches_oblique_pinhole(which, request):
    """At every photo: the optical axis meets the face at range rho and incidence i; GSD measured by
    finite differences through CameraModel is rho x pitch / f across the tilt and rho x pitch /
    (f cos i) along it (within 2 %), and the worse of the two meets the requirement (within 2 %)."""
    plan = request.getfixturevalue(which)
    d = plan.design
    cam = plan.camera.model(d.focal_length_mm)
    pitch_m = plan.camera.pixel_pitch_mm / 1000.0
    f_m = d.focal_length_mm / 1000.0
    incidences = []
    for ps in _lines(plan):
        surf = _surface_for(plan, ps)
        origin, u, v, _, _ = surf.plane
        n = surf.normals_ned[0]
        for c, yaw, g in ps.stations():
            r = camera_rotation(yaw, g)
            axis = r[:, 2]
            target, rng = intersect_plane(c, axis, origin, n)
            rho = float(rng[0])
            cos_i = abs(float(axis @ n))
            incidences.append(math.degrees(math.acos(cos_i)))
            across, along = [], []
            for t, out in ((u / np.linalg.norm(u), across), (v / np.linalg.norm(v), along)):
                uv0 = cam.project((target - c) @ r)
                uv1 = cam.project((target + 1e-4 * t - c) @ r)
                out.append(1e-4 / float(np.linalg.norm(uv1 - uv0)))
            assert abs(across[0] - rho * pitch_m / f_m) / (rho * pitch_m / f_m) < 0.02
            assert abs(along[0] - rho * pitch_m / (f_m * cos_i)) / (rho * pitch_m / (f_m * cos_i)) < 0.02
            worst, _ = fd_gsd(cam, c, r, target, n[None, :])
            assert worst[0] <= d.requirement.gsd_required_m * 1.02
    assert incidences and max(incidences) > (30.0 if which == "steep_plan" else 10.0), max(incidences)


@pytest.mark.parametrize("which", ["girder_plan", "steep_plan"])
def test_girder_faces_covered_at_required_gsd(which, request):
    plan = request.getfixturevalue(which)
    req = plan.design.requirement
    covs = [c for c in plan_coverage(plan) if c.surface.startswith("girder ")]
    assert covs
    for c in covs:
        assert c.covered_fraction == 1.0 and c.area_covered_fraction > 1 - 1e-9, c
        assert c.covered_at_gsd_fraction == 1.0, c  # every point of the face at <= 1.02 x the required GSD
        assert c.max_gsd_m <= req.gsd_required_m * 1.02, c
        if c.used_front_overlap is not None:
            assert c.used_front_overlap >= req.front_overlap - SAMPLING, c
            assert c.min_front_overlap >= req.front_overlap - 1e-6, c


def test_steep_plan_drops_what_it_cannot_reach(steep_plan):
    assert max(p.gimbal_pitch_deg[0] for p in _lines(steep_plan)) > 30.0
    assert steep_plan.checks_passed == RULES
    assert any("not planned (no transit reaches this stretch" in n for n in steep_plan.notes)


def test_inner_faces_refused_with_reason_when_gimbal_too_low(girder_bridge):
    cam = get_camera("dji_h20_zoom")  # shortest focal length: 4.66 m standoff for 1 mm/px
    plan = plan_inspection(girder_bridge, cam, FAST, focal_length_mm=cam.focal_length_mm)
    notes = " ".join(plan.notes)
    assert "girder G1 N face: not planned (needs the gimbal to look up" in notes, plan.notes


def test_standoff_rule_applies_to_girder_lines(girder_plan, girder_bridge):
    """Move one line waypoint to 1.5 m under girder G1: the min_standoff rule refuses it, naming it."""
    items = list(girder_plan.items)
    k = next(i for i, it in enumerate(items) if it.command == NAV_WAYPOINT and "girder G1" in it.note
             and it.note.endswith("line start"))
    frame = site_frame(girder_bridge.site)
    g = next(s for s in girder_plan.solids if s.name == "girder G1")
    e, n = np.mean(g.outline_en_m, axis=0)
    lat, lon, _ = frame.to_geodetic(np.array([n, e, 0.0]))
    p = items[k].params
    items[k] = MissionItem(NAV_WAYPOINT, items[k].frame, p[:4] + (q7(lat), q7(lon), g.bottom_agl_m - 1.5),
                           note=items[k].note)
    with pytest.raises(PlanRefusedError) as info:
        check_items(tuple(items), frame, girder_bridge.site, girder_plan.solids)
    hits = [(s, m) for r, s, m in info.value.violations if r == "min_standoff"]
    assert any(s == k + 1 and "girder G1" in m for s, m in hits), hits


@pytest.mark.timeout(60)
def test_ardupilot_gimbal_pitch_in_whole_degrees_as_it_stores_them(girder_plan, girder_bridge):
    """ArduPilot keeps a mission's DO_GIMBAL_MANAGER_PITCHYAW pitch as an int8 of degrees
    (AP_Mission gimbal_manager_pitchyaw_Command, float -> int8 truncates): the girder lines' +0.99 and
    +12.02 deg were flown at 0 and 12 deg, and the upload's read-back differed at those items. ArduPilot
    plans now pitch in whole degrees, and the coverage is computed with the pitch flown; PX4 keeps floats."""
    from missions.planning.loopback import LoopbackVehicle, free_port
    from missions.planning.upload import upload_and_verify

    sent = [it.params[0] for it in girder_plan.items if it.command == DO_GIMBAL_MANAGER_PITCHYAW]
    assert sent and all(p == round(p) for p in sent), sent
    assert all(g == round(g) for ps in girder_plan.passes for g in ps.gimbal_pitch_deg)
    assert any(p > 10 for p in sent)
    v = LoopbackVehicle(free_port(), lifetime_s=20.0, ardupilot_storage=True)
    v.start()
    assert v.ready.wait(5)
    try:
        r = upload_and_verify(v.gcs_url, girder_plan.items, girder_plan.home_lat_lon_alt, "ardupilot",
                              timeout_s=0.5, connect_timeout_s=5)
    finally:
        v.stop()
        v.join(3)
    assert r.same, r.differences[:3]
    px4 = plan_inspection(girder_bridge, get_camera("dji_h20_zoom"), FAST, "px4")
    assert any(p != round(p) for it in px4.items if it.command == DO_GIMBAL_MANAGER_PITCHYAW for p in it.params[:1])
