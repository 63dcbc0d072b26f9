"""The plan's geofence: the site's fence (inclusion) and the keep-outs (exclusion) in the .plan and
uploaded over MAVLink (MAV_MISSION_TYPE_FENCE), only where the flight never crosses a keep-out's outline."""

from __future__ import annotations

import json
from dataclasses import replace

from missions.planning.assets import KeepOut
from missions.planning.export import write_all
from missions.planning.fence import plan_fence

RAILWAY = ((47.3980568, 8.5459914), (47.3980568, 8.5465212), (47.3981467, 8.5465212), (47.3981467, 8.5459914))
# over pier P1 and the deck, 35-60 m above the site: the flight (RTL at 30 m) passes under it
HIGH_LINE = KeepOut("high-voltage line", ((47.39784, 8.54605), (47.39784, 8.54620), (47.39792, 8.54620),
                                          (47.39792, 8.54605)), 35.0, 60.0)


def test_keep_outs_are_written_as_exclusion_fences(bridge_plan, tmp_path):
    # the .plan's geoFence held the site's fence only: QGroundControl uploaded no keep-out, so the vehicle
    # had nothing to stop it entering the railway catenary's space if it strayed from the mission
    write_all(bridge_plan, tmp_path)
    fence = json.loads((tmp_path / "mission.plan").read_text())["geoFence"]
    assert fence["version"] == 2 and fence["circles"] == []
    inclusion = [p for p in fence["polygons"] if p["inclusion"]]
    exclusion = [p for p in fence["polygons"] if not p["inclusion"]]
    assert [[tuple(v) for v in p["polygon"]] for p in inclusion] == [list(bridge_plan.asset.site.geofence_lat_lon)]
    assert [[tuple(v) for v in p["polygon"]] for p in exclusion] == [list(RAILWAY)]
    assert all(p["version"] == 1 for p in fence["polygons"])


def test_a_keep_out_the_flight_passes_under_is_left_out_and_named(bridge_plan):
    # a fence polygon has no height on ArduPilot or PX4: written as an exclusion fence, a keep-out that the
    # flight passes under would trip the fence (RTL or land) over pier P1
    site = replace(bridge_plan.asset.site, keep_out=bridge_plan.asset.site.keep_out + (HIGH_LINE,))
    areas, notes = plan_fence(bridge_plan.items, bridge_plan.frame, site)
    assert [a.name for a in areas] == ["site.geofence_lat_lon", "railway catenary"]
    assert len(notes) == 1 and "'high-voltage line'" in notes[0] and "35-60 m AGL" in notes[0], notes


def test_a_keep_out_round_home_is_left_out(bridge_plan):
    # home under a keep-out (a cable over the take-off spot): a fence round it would stop the vehicle arming
    lat, lon = bridge_plan.asset.site.home_lat_lon
    over_home = KeepOut("cable over home", ((lat - 1e-4, lon - 1e-4), (lat - 1e-4, lon + 1e-4), (lat + 1e-4, lon + 1e-4),
                                            (lat + 1e-4, lon - 1e-4)), 40.0, 45.0)
    _, notes = plan_fence(bridge_plan.items, bridge_plan.frame, replace(bridge_plan.asset.site, keep_out=(over_home,)))
    assert "'cable over home' (the take-off flies over or under it" in notes[0]


def test_a_later_flights_own_notes_are_printed():
    # plan printed the first flight's notes only: a keep-out that flight 2 crosses, left out of its fence, went unsaid
    from types import SimpleNamespace

    from skyinspect.cli.plan import flight_notes

    plans = (SimpleNamespace(notes=("lanes",)), SimpleNamespace(notes=("lanes", "geofence: 'x' ...")))
    assert flight_notes(plans) == ["lanes", "flight 2: geofence: 'x' ..."]
