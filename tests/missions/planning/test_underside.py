"""Deck-underside lanes (camera straight up): lanes clear of piers and girders and above the water,
the soffit and girder bottoms covered at the required GSD and overlap through CameraModel (with line
of sight), the GSD against the pinhole formula, refusals that write nothing, and +90 deg gimbal
commands in .plan / .waypoints / KML for ArduPilot and PX4."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from skyinspect.errors import InputError
from skyinspect.surface import intersect_plane

from missions.planning import RULES, PlanRefusedError, Requirement, check_items, get_camera, plan_inspection
from missions.planning.assets import KeepOut
from missions.planning.coverage import camera_rotation, plan_coverage
from missions.planning.export import write_all
from missions.planning.formats import read_qgc_plan, read_waypoints
from missions.planning.gsd import GSD_TOLERANCE, frame_gsd_m
from missions.planning.mission import DO_GIMBAL_MANAGER_PITCHYAW, NAV_WAYPOINT, MissionItem
from missions.planning.patterns_underside import PREFIX
from missions.planning.planner import site_frame

from .conftest import EXAMPLES, FAST, fd_gsd
from .test_cli_and_patterns import app

UP_CAM = replace(get_camera("dji_h20_zoom"), gimbal_max_up_deg=90.0)


@pytest.fixture(scope="module")
def under_bridge(bridge):
    return replace(bridge, inspect_underside=True, inspect_piers=("P1",))


@pytest.fixture(scope="module")
def under_plan(under_bridge):
    return plan_inspection(under_bridge, UP_CAM, FAST)


@pytest.fixture(scope="module")
def under_plan_px4(under_bridge):
    return plan_inspection(under_bridge, UP_CAM, FAST, "px4")


def _lanes(plan):
    return [p for p in plan.passes if p.name.startswith(PREFIX)]


def _surfaces(plan):
    return [s for s in plan.surfaces if s.name.startswith(PREFIX)]


def _samples(ps, step_m=0.1):
    a, b = np.asarray(ps.waypoints_ned[0]), np.asarray(ps.waypoints_ned[-1])
    t = np.linspace(0.0, 1.0, max(2, int(np.linalg.norm(b - a) / step_m) + 1))[:, None]
    return a * (1 - t) + b * t


def test_lanes_clear_level_and_straight_up(under_plan, under_bridge):
    b, d = under_bridge, under_plan.design
    assert under_plan.checks_passed == RULES and "ground_clearance" in RULES
    lanes = _lanes(under_plan)
    assert len(lanes) >= 10, under_plan.notes
    depth = {g.name: g.depth_m for g in b.girders}
    for ps in lanes:
        assert ps.gimbal_pitch_deg and all(g == 90.0 for g in ps.gimbal_pitch_deg)
        h = {round(-p[2], 6) for p in ps.waypoints_ned}
        assert len(h) == 1  # level lanes
        girder = next((g for g in depth if f"girder {g} bottom" in ps.name), None)
        surface = b.deck_underside_agl_m - (depth[girder] if girder else 0.0)
        assert abs(surface - h.pop() - d.standoff_m) < 1e-6  # the GSD standoff below the surface it photographs
        pts = _samples(ps)
        assert float(np.min(-pts[:, 2])) >= b.floor_agl_m
        for s in under_plan.solids:  # soffit, girders and both piers (P2 is not inspected but still avoided)
            assert float(np.min(s.distance_m(pts))) >= b.site.min_standoff_m, (ps.name, s.name)
        along = np.subtract(ps.waypoints_ned[-1], ps.waypoints_ned[0])
        if np.linalg.norm(along) > 0:  # along the deck (E-W here), image width (heading + 90 deg) along the lane
            u = along[:2] / np.linalg.norm(along[:2])
            w = np.radians(ps.yaw_deg[0] + 90.0)
            assert abs(u[0]) < 1e-4 and abs(u[0] * np.sin(w) - u[1] * np.cos(w)) < 1e-9
    names = " ".join(under_plan.notes)
    assert "lanes keep the standoff from pier P1" in names and "lanes keep the standoff from pier P2" in names
    assert "GNSS is poor under a deck: the waypoints are nominal" in names
    bays = {s.name.rsplit(" ", 2)[0] for s in _surfaces(under_plan)}
    assert bays == {f"{PREFIX}bay 1", f"{PREFIX}bay 2", f"{PREFIX}bay 3", f"{PREFIX}girder G1 bottom",
                    f"{PREFIX}girder G2 bottom"}
    assert sum(1 for s in _surfaces(under_plan) if s.name.startswith(f"{PREFIX}bay 2 ")) == 3  # cut at P2 and P1


def test_soffit_covered_at_required_gsd_and_overlap(under_plan, under_bridge):
    d, req = under_plan.design, under_plan.design.requirement
    pinhole = d.standoff_m * under_plan.camera.pixel_pitch_mm / d.focal_length_mm  # m/px at the standoff
    covs = [c for c in plan_coverage(under_plan) if c.surface.startswith(PREFIX)]
    assert len(covs) == len(_surfaces(under_plan)) >= 10
    for c in covs:
        assert c.covered_fraction == 1.0 and c.area_covered_fraction > 1 - 1e-9, c  # exact footprints
        assert c.covered_at_gsd_fraction == 1.0, c  # every point at <= 1.02 x the required GSD
        assert c.max_gsd_m <= req.gsd_required_m * (1 + GSD_TOLERANCE), c
        assert abs(c.median_gsd_m - pinhole) / pinhole < 0.02, c
        assert c.min_front_overlap >= req.front_overlap - 1e-6, c
        if c.min_side_overlap is not None:
            assert c.min_side_overlap >= req.side_overlap - 1e-6, c
    # the requested soffit is the deck's less the noted bands next to the piers
    soffit = sum(s.plane[3] * s.plane[4] for s in _surfaces(under_plan) if " bay " in s.name)
    girders = sum(g.width_m for g in under_bridge.girders) * 60.0
    assert soffit >= 0.9 * (60.0 * 10.0 - girders), soffit


def test_gsd_matches_pinhole_over_the_whole_frame(under_plan):
    """Through CameraModel by finite differences: at the image centre and the four corners every photo's
    GSD on the surface it looks at is depth x pitch / f (the surface is parallel to the image plane)."""
    d = under_plan.design
    cam = under_plan.camera.model(d.focal_length_mm)
    pitch_m, f_m = under_plan.camera.pixel_pitch_mm / 1000.0, d.focal_length_mm / 1000.0
    pixels = np.array([[cam.cx_px, cam.cy_px], [0, 0], [cam.width_px - 1, 0], [0, cam.height_px - 1],
                       [cam.width_px - 1, cam.height_px - 1]], float)
    checked = 0
    for ps in _lanes(under_plan):
        surf = next(s for s in under_plan.surfaces if ps.name.startswith(s.name + " "))
        origin, n = surf.plane[0], surf.normals_ned[0]
        for c, yaw, g in ps.stations():
            r = camera_rotation(yaw, g)
            assert r[:, 2] @ np.array([0.0, 0.0, -1.0]) > 1 - 1e-12  # optical axis straight up
            rays = cam.pixel_to_ray(pixels) @ r.T
            pts, _ = intersect_plane(c, rays, origin, n)
            depth = float(c[2] - origin[2])  # the surface is above the camera (NED: smaller down)
            gsd, uv = fd_gsd(cam, c, r, pts, np.repeat(n[None, :], len(pts), axis=0))
            assert np.allclose(uv, pixels, atol=1e-6)
            expected = depth * pitch_m / f_m
            assert np.all(np.abs(gsd - expected) / expected < 0.02), (ps.name, gsd, expected)
            assert abs(expected - d.requirement.gsd_required_m) / d.requirement.gsd_required_m < 0.02
            checked += 1
    assert checked > 100


def test_every_point_seen_with_line_of_sight(under_plan):
    """Occlusion is not in plan_coverage: here every soffit and girder-bottom sample point must be seen at
    the required GSD by a photo of its own lanes with nothing (girder, pier, deck) in between."""
    cam = under_plan.camera.model(under_plan.design.focal_length_mm)
    limit = under_plan.design.requirement.gsd_required_m * (1 + GSD_TOLERANCE)
    t = np.linspace(0.0, 0.99, 30)[None, :, None]  # stop short of the surface point itself
    for surf in _surfaces(under_plan):
        x, nrm = surf.points_ned, surf.normals_ned
        todo = np.ones(len(x), bool)
        for ps in (p for p in under_plan.passes if p.name.startswith(surf.name + " ")):
            for c, yaw, g in ps.stations():
                cand = np.flatnonzero(todo & (frame_gsd_m(cam, c, camera_rotation(yaw, g), x, nrm) <= limit))
                if len(cand) == 0:
                    continue
                seg = (c[None, None, :] * (1 - t) + x[cand][:, None, :] * t).reshape(-1, 3)
                gap = np.min([s.distance_m(seg) for s in under_plan.solids], axis=0).reshape(len(cand), -1)
                todo[cand[gap.min(axis=1) > 1e-6]] = False
        assert not todo.any(), (surf.name, int(todo.sum()))


def test_exports_carry_gimbal_plus_90(under_plan, under_plan_px4, tmp_path):
    cmd = DO_GIMBAL_MANAGER_PITCHYAW  # both autopilots (ArduPilot 4.3+)
    for plan in (under_plan, under_plan_px4):
        ups = [it for it in plan.items if it.command == cmd and PREFIX in it.note]
        assert ups and all(it.params[0] == 90.0 for it in ups)
        assert all(it.params[1] == 0.0 and it.params[4] == 0.0 for it in ups)  # yaw 0 relative to the vehicle
        out = tmp_path / plan.autopilot
        paths = write_all(plan, out)
        items, _, autopilot = read_qgc_plan(paths[0])
        assert autopilot == plan.autopilot and all(a.same_as(b) for a, b in zip(plan.items, items))
        doc = json.loads(paths[0].read_text())
        assert any(q["command"] == cmd and q["params"][0] == 90 for q in doc["mission"]["items"])
        wp_items, _ = read_waypoints(paths[1])
        assert all(a.same_as(b, tol=1e-6) for a, b in zip(plan.items, wp_items))
        assert f"\t{cmd}\t90.00000000\t" in paths[1].read_text()
        kml = paths[2].read_text()
        assert f"{PREFIX}bay 1" in kml and "gimbal pitch +90 deg (up positive)" in kml


def test_ground_clearance_rule_applies_to_underside_lanes(under_plan, under_bridge):
    """Raise the required clearance to 4.5 m above the creek (3.5 m AGL: the plan still passes) and move an
    underside waypoint to 3 m AGL (above the site minimum): rule ground_clearance refuses it, naming the item."""
    items = list(under_plan.items)
    k = next(i for i, it in enumerate(items) if it.command == NAV_WAYPOINT and it.note.startswith(PREFIX + "bay 1")
             and it.note.endswith(" start"))
    p = items[k].params
    items[k] = MissionItem(NAV_WAYPOINT, items[k].frame, p[:6] + (3.0,), note=items[k].note)
    floors = (replace(under_plan.floors[0], clearance_m=4.5),)
    frame = site_frame(under_bridge.site)
    check_items(under_plan.items, frame, under_bridge.site, under_plan.solids, floors=floors)  # pier lanes 3.9 m
    with pytest.raises(PlanRefusedError) as info:
        check_items(tuple(items), frame, under_bridge.site, under_plan.solids, floors=floors)
    hits = [(s, m) for r, s, m in info.value.violations if r == "ground_clearance"]
    assert any(s == k + 1 and "ground/water under the deck" in m and "expected at least 4.5 m" in m for s, m in hits)


def test_abutments_as_keep_outs_bound_the_lanes(under_bridge):
    (lat0, lon0), (lat1, lon1) = under_bridge.deck_outline_lat_lon[0], under_bridge.deck_outline_lat_lon[2]
    ends = [KeepOut(name, ((lat0, a), (lat0, b), (lat1, b), (lat1, a)), 0.0, 13.0)
            for name, a, b in (("west abutment", lon0 - 0.0001, lon0), ("east abutment", lon1, lon1 + 0.0001))]
    site = replace(under_bridge.site, keep_out=under_bridge.site.keep_out + tuple(ends))
    plan = plan_inspection(replace(under_bridge, site=site), UP_CAM, FAST)
    assert plan.checks_passed == RULES
    from missions.planning.safety import _keep_out_prism

    walls = [_keep_out_prism(ko, plan.frame) for ko in ends]
    for ps in _lanes(plan):
        assert min(float(np.min(w.distance_m(_samples(ps)))) for w in walls) >= site.min_standoff_m
    assert any("keep-out west abutment" in n for n in plan.notes) and any("keep-out east abutment" in n
                                                                          for n in plan.notes)


def test_refused_without_an_upward_gimbal(under_bridge):
    with pytest.raises(InputError, match=r"camera dji_h20_zoom: .*expected gimbal_max_up_deg >= 90, got 30 deg"):
        plan_inspection(under_bridge, get_camera("dji_h20_zoom"), FAST)


def test_refused_when_deck_too_low(under_bridge):
    with pytest.raises(InputError, match=r"deck.underside_agl_m: expected at least 13.\d\d m .*got 12 m"):
        plan_inspection(replace(under_bridge, min_ground_clearance_m=9.0), UP_CAM, FAST)


def test_refused_when_girders_are_not_parallel(under_bridge):
    g = under_bridge.girders[0]
    skewed = replace(g, end_lat_lon=(g.end_lat_lon[0] + 0.00003, g.end_lat_lon[1]))  # 3.3 m over 60 m: the longest
    with pytest.raises(InputError, match=r"girder G2: expected parallel to girder G1 \(the longest; .*\) within 3 "
                                         r"deg, got 3.2 deg off"):
        plan_inspection(replace(under_bridge, girders=(skewed,) + under_bridge.girders[1:]), UP_CAM, FAST)


def test_floor_also_raises_pier_scans(bridge):
    """A creek 1 m down with 5 m clearance: pier lanes under the deck start at 4 m AGL, not the site's 2 m."""
    plan = plan_inspection(replace(bridge, inspect_piers=("P1",), min_ground_clearance_m=5.0),
                           get_camera("dji_h20_zoom"), FAST)
    assert plan.checks_passed == RULES
    assert min(-p[2] for ps in plan.passes for p in ps.waypoints_ned) >= 4.0 - 1e-9


def _asset_file(tmp_path, **inspect):
    d = yaml.safe_load((EXAMPLES / "bridge.yaml").read_text())
    d["inspect"].update(inspect)
    path = tmp_path / "bridge.yaml"
    path.write_text(yaml.safe_dump(d))
    return path


@pytest.mark.parametrize("extra, code, match", [
    (["--camera-file", str(EXAMPLES / "camera_upward_gimbal.json")], 0, "underside bay 2"),
    ([], 2, "expected gimbal_max_up_deg >= 90, got 30 deg"),
])
def test_cli(tmp_path, extra, code, match):
    out = tmp_path / "out"
    asset = _asset_file(tmp_path, underside=True, piers=["P1"])
    r = CliRunner().invoke(app, ["plan", str(asset), "--crack-width-mm", "2.0", "--exposure-s", "0.0005", "--out",
                                 str(out)] + extra)
    assert r.exit_code == code and match in r.output.replace("\n", " "), r.output
    assert out.exists() == (code == 0)


def _turned(bridge, deg: float):
    """The bridge turned ``deg`` about home, corners rounded to 1e-8 deg as a surveyed outline is."""
    import math

    frame, a = site_frame(bridge.site), math.radians(deg)

    def turn(lat_lon):
        n, e, _ = frame.to_ned(lat_lon[0], lat_lon[1], frame.h0_m)
        n, e = n * math.cos(a) - e * math.sin(a), n * math.sin(a) + e * math.cos(a)
        lat, lon, _ = frame.to_geodetic(np.array([[float(n), float(e), 0.0]]))[0]
        return round(float(lat), 8), round(float(lon), 8)

    piers = tuple(replace(p, centre_lat_lon=turn(p.centre_lat_lon), heading_deg=p.heading_deg + deg)
                  for p in bridge.piers)
    girders = tuple(replace(g, start_lat_lon=turn(g.start_lat_lon), end_lat_lon=turn(g.end_lat_lon))
                    for g in bridge.girders)
    site = replace(bridge.site, keep_out=(), geofence_lat_lon=((47.3970, 8.5440), (47.3970, 8.5480),
                                                               (47.3990, 8.5480), (47.3990, 8.5440)))
    return replace(bridge, site=site, deck_outline_lat_lon=tuple(turn(p) for p in bridge.deck_outline_lat_lon),
                   piers=piers, girders=girders)


def test_a_deck_not_aligned_with_north_keeps_its_edge_bays(under_bridge):
    # turned 35 deg, the deck's edges lie a few mm off its axis after rounding: the edge bay was cut to
    # 'underside bay 1 59.9-60.0 m' (1 photo instead of 22), with no note, and coverage said 100 %
    import re

    plan = plan_inspection(_turned(under_bridge, 35.0), UP_CAM, FAST)
    spans: dict[str, list[float]] = {}
    for s in _surfaces(plan):
        m = re.match(rf"{PREFIX}(bay \d) (\d+\.\d)-(\d+\.\d) m", s.name)
        if m:
            spans.setdefault(m.group(1), []).extend([float(m.group(2)), float(m.group(3))])
    assert sorted(spans) == ["bay 1", "bay 2", "bay 3"], [s.name for s in _surfaces(plan)]
    for bay, ends in spans.items():
        assert min(ends) < 0.5 and max(ends) > 59.5, (bay, ends)


def test_transit_from_a_pass_ending_at_the_standoff_is_routed(under_bridge):
    # pier P2's top ring ends exactly the standoff under girder G2, inside the router's 5 cm margin: no
    # leg from it was ever clear, so turned 290 deg the transit to the first underside lane went
    # straight through both piers and the plan was refused ('passes 0.00 m from pier P1')
    bridge = replace(_turned(under_bridge, 290.0), inspect_piers=("P1", "P2"))
    plan = plan_inspection(bridge, UP_CAM, Requirement(crack_width_mm=3.0))
    assert plan.checks_passed == RULES and len(_lanes(plan)) >= 10


def test_lanes_run_along_girders_turned_90_deg(under_bridge):
    # girders running across the deck's long outline (cross girders; a short span under a wide deck
    # alike) were refused: 'girder G1: expected along the deck's long axis (within 3 deg) ..., got 90.0
    # deg off'. The lanes now run along the girders, so none ducks under one.
    (s, w), (_, e), (n, _) = under_bridge.deck_outline_lat_lon[:3]
    lons = (w + (e - w) * 0.12, w + (e - w) * 0.88)  # 7.2 m in from each end of the 60 m deck
    girders = tuple(replace(g, start_lat_lon=(s, lon), end_lat_lon=(n, lon)) for g, lon in zip(under_bridge.girders,
                                                                                                 lons))
    bridge = replace(under_bridge, girders=girders)
    plan = plan_inspection(bridge, UP_CAM, FAST)
    assert plan.checks_passed == RULES
    frame = site_frame(bridge.site)
    girder_e = {g.name: float(frame.to_ned(g.start_lat_lon[0], g.start_lat_lon[1], frame.h0_m)[1]) for g in girders}
    lanes = _lanes(plan)
    assert len(lanes) >= 10, plan.notes
    for ps in lanes:
        along = np.subtract(ps.waypoints_ned[-1], ps.waypoints_ned[0])
        if np.linalg.norm(along) > 0:  # north-south, along the girders
            assert abs(along[1]) < 1e-4 * np.linalg.norm(along) and along[2] == 0.0, ps.name
        for name, east in girder_e.items():
            if f"girder {name} bottom" in ps.name:  # under its girder
                assert abs(ps.waypoints_ned[0][1] - east) <= girders[0].width_m / 2, ps.name
    # the bay between the girders is cut across where the piers block its lanes end to end, not dropped
    bays = {x.name.rsplit(" ", 2)[0] for x in _surfaces(plan)}
    assert bays == {f"{PREFIX}bay 1", f"{PREFIX}bay 2 part 1", f"{PREFIX}bay 2 part 2", f"{PREFIX}bay 2 part 3",
                    f"{PREFIX}bay 3", f"{PREFIX}girder G1 bottom", f"{PREFIX}girder G2 bottom"}, plan.notes
    for pier, (a, b) in (("P2", (16.0, 24.0)), ("P1", (35.0, 45.0))):  # pier centres 20 and 40 m from the E edge
        note = next(x for x in plan.notes if f"within the standoff of pier {pier} over its whole length" in x)
        lo, hi = (float(v) for v in note.split(": ")[1].split(" m ")[0].split("-"))
        assert a < lo < hi < b, note
    soffit = sum(x.plane[3] * x.plane[4] for x in _surfaces(plan) if " bay " in x.name)
    assert soffit >= 0.7 * (600.0 - 2 * 0.4 * 10.0), soffit
    covs = [c for c in plan_coverage(plan) if c.surface.startswith(PREFIX)]
    assert covs and all(c.covered_at_gsd_fraction == 1.0 and c.area_covered_fraction > 1 - 1e-9 for c in covs), covs
