"""Transits round keep-out volumes: the example bridge with its abutments given as keep-outs, as
bridge.yaml's comment and docs/missions.md advise (the deck ends on them; 0-13 m AGL, 7.5 m long)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from missions.planning import RULES, get_camera, plan_inspection
from missions.planning.assets import KeepOut

from .conftest import FAST


@pytest.fixture(scope="module")
def abutments(bridge):
    (lat0, lon0), (lat1, lon1) = bridge.deck_outline_lat_lon[0], bridge.deck_outline_lat_lon[2]
    ends = tuple(KeepOut(name, ((lat0, a), (lat0, b), (lat1, b), (lat1, a)), 0.0, 13.0)
                 for name, a, b in (("west abutment", lon0 - 0.0001, lon0), ("east abutment", lon1, lon1 + 0.0001)))
    return replace(bridge, site=replace(bridge.site, keep_out=bridge.site.keep_out + ends))


def _clear_of_keep_outs(plan, bridge):
    from missions.planning.safety import _keep_out_prism, flight_legs

    legs = flight_legs(plan.items, plan.frame, bridge.site)
    pts = np.concatenate([leg.samples() for leg in legs])
    return all(not _keep_out_prism(ko, plan.frame).contains(pts).any() for ko in bridge.site.keep_out)


def test_piers_with_abutments_find_their_way_home(abutments):
    # the way back from pier P2's last ring (north of the deck, under it at 8 m) was flown straight
    # through pier P1: 'rule min_standoff: item 320 (NAV_WAYPOINT: back over home) ... passes 0.00 m
    # from pier P1'; the one-point detour gave up after its 400 cheapest grid points
    plan = plan_inspection(abutments, get_camera("dji_h20_zoom"), FAST)
    assert plan.checks_passed == RULES and _clear_of_keep_outs(plan, abutments)


def test_girder_lines_keep_out_of_the_abutments(abutments):
    # the moves round the girder ends were laid out against the structure only, so they went through
    # the abutments: 'rule keep_out: item 96 (NAV_WAYPOINT: girder G2 S face line: transit 2) ... enters
    # keep-out volume 'west abutment'' (3 such legs; the plan was refused)
    bridge = replace(abutments, inspect_girders=True, inspect_piers=("P1",))
    plan = plan_inspection(bridge, get_camera("dji_h20_zoom"), FAST)
    assert plan.checks_passed == RULES and _clear_of_keep_outs(plan, bridge)
    lines = {p.name.split(" face")[0] + " face" for p in plan.passes if p.name.endswith(" line")}
    assert lines == {"girder G1 S face", "girder G1 N face", "girder G2 S face", "girder G2 N face"}, plan.notes


def test_pipeline_lanes_are_cut_at_a_keep_out_across_the_corridor():
    # a power line across the right of way (0-25 m AGL): the photo lanes were laid straight through it
    # and the plan refused ('rule keep_out: item 14 (NAV_WAYPOINT: line 1 ch 50-100 m end) ... enters
    # keep-out volume power line'). Now each lane is cut where it comes within the standoff of it, the
    # photos there are left out and noted, and the transit goes round (over) it.
    from missions.planning import Requirement, load_asset
    from missions.planning.planner import lay_out, site_frame

    from .conftest import EXAMPLES

    pipe = load_asset(EXAMPLES / "pipeline.geojson")
    frame = site_frame(pipe.site)
    corners = [frame.to_geodetic(np.array([[n, e, 0.0]]))[0] for n, e in ((0, 68), (0, 72), (80, 72), (80, 68))]
    power = KeepOut("power line", tuple((float(c[0]), float(c[1])) for c in corners), 0.0, 25.0)
    with_line = replace(pipe, site=replace(pipe.site, keep_out=(power,)))
    req = Requirement(crack_width_mm=3.0)
    plan = plan_inspection(with_line, get_camera("dji_h20_zoom"), req)
    assert plan.checks_passed == RULES and _clear_of_keep_outs(plan, with_line)
    # the photos are the lanes' own, less those within the standoff (+5 cm) of the keep-out
    from missions.planning.safety import _keep_out_prism

    prism = _keep_out_prism(power, frame)
    before = [p for ps in lay_out(pipe, get_camera("dji_h20_zoom"), req).passes for p, _, _ in ps.stations()]
    kept = [p for p in before if prism.distance_m(p[None, :])[0] >= pipe.site.min_standoff_m + 0.05]
    after = [p for ps in plan.passes for p, _, _ in ps.stations()]
    assert 0 < len(before) - len(kept) < 20 and len(after) == len(kept)
    assert np.allclose(sorted(map(tuple, after)), sorted(map(tuple, kept)), atol=1e-6)
    assert any("keep-out power line" in n and "not flown" in n for n in plan.notes), plan.notes
    # the transit goes over the line: a fence polygon (no height) round it would trip the vehicle's fence there
    assert plan.fence == () and any(n.startswith("geofence:") and "'power line'" in n for n in plan.notes)
