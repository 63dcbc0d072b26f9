"""Legs far from home are checked at the height the vehicle flies them.

The planner lays a site out in the tangent plane at home and writes each point's height above that plane
as the altitude relative to home, which the vehicle flies above the curved Earth (as the ground and the
structures on it curve). The safety rules rebuilt the legs from the items through the geodetic frame, which
put them d^2 / 2R lower against the same structures: 2.4 m at 5.5 km. A pipeline 4.5-6 km east of home was
refused as passing 4.6 m from the pipe it flies 7 m over, and the KML drew the path that much too low."""

from __future__ import annotations

import json

import numpy as np

from missions.planning import Requirement, get_camera, load_asset
from missions.planning.mission import NAV_WAYPOINT
from missions.planning.planner import plan_flights
from missions.planning.safety import flight_legs

from .conftest import EXAMPLES


def _far_pipeline(tmp_path):  # type: ignore[no-untyped-def]
    doc = json.loads((EXAMPLES / "pipeline.geojson").read_text())
    lat, lon = doc["geometry"]["coordinates"][0][1], doc["geometry"]["coordinates"][0][0]
    doc["geometry"]["coordinates"] = [[lon + 0.06, lat], [lon + 0.08, lat]]  # 4.5 to 6.0 km east of home
    doc["properties"]["inspect"] = {"offset_lines": 1, "chainage_every_m": 500.0}
    doc["properties"]["site"]["battery"] = {"endurance_min": 90.0, "reserve_fraction": 0.25}  # to reach it
    path = tmp_path / "far.geojson"
    path.write_text(json.dumps(doc))
    return load_asset(path)


def test_a_pipeline_6_km_out_is_not_refused_for_the_earths_curve(tmp_path):
    plans = plan_flights(_far_pipeline(tmp_path), get_camera("dji_h20_zoom"),
                         Requirement(crack_width_mm=3.0, exposure_s=0.0005), max_mission_items=0)
    for plan in plans:
        assert "min_standoff" in plan.checks_passed
        legs = flight_legs(plan.items, plan.frame, plan.asset.site)
        for leg in legs:
            it = plan.items[leg.seq - 1] if leg.seq >= 1 else None
            if it is not None and it.command == NAV_WAYPOINT:  # each leg ends at its item's altitude
                assert abs(-leg.end_ned[2] - it.params[6]) < 1e-6
        assert max(abs(leg.end_ned[1]) for leg in legs) > 5900.0


def test_the_kml_draws_far_legs_at_the_altitude_flown(tmp_path):
    from missions.planning.kml import path_lat_lon_alt

    # 8 mm: 18.6 m over the pipe, a plan the old legs did not refuse, drawn 2.4 m low at the far end
    plan = plan_flights(_far_pipeline(tmp_path), get_camera("dji_h20_zoom"),
                        Requirement(crack_width_mm=8.0, exposure_s=0.0005), max_mission_items=0)[0]
    drawn = path_lat_lon_alt(plan)
    flown = {(round(it.params[4], 6), round(it.params[5], 6)): it.params[6] for it in plan.items
             if it.command == NAV_WAYPOINT}
    far = [(alt, flown[(round(lat, 6), round(lon, 6))]) for lat, lon, alt in drawn
           if (round(lat, 6), round(lon, 6)) in flown and lon > plan.home_lat_lon_alt[1] + 0.07]
    assert far and np.allclose([a for a, _ in far], [b for _, b in far], atol=0.01)
