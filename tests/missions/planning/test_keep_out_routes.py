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
