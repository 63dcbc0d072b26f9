"""Sites on the 180th meridian (Fiji's Taveuni, Chukotka, the Aleutians): a structure whose outline
crosses it has coordinates at +179.99... and -179.99... degrees, a few metres apart on the ground."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import yaml

from skyinspect.geodesy import LocalFrame

from missions.planning import load_asset

from .conftest import EXAMPLES


def moved(doc: dict, lat_deg: float, lon_deg: float) -> dict:
    """The asset's shape kept in metres about a new home (every ``*_lat_lon`` point moved)."""
    old, new = LocalFrame(*doc["site"]["home_lat_lon"]), LocalFrame(lat_deg, lon_deg)

    def point(p: list[float]) -> list[float]:
        lat, lon, _ = new.to_geodetic(old.to_ned(p[0], p[1], 0.0))
        return [float(lat), float(lon)]

    def walk(x: object, key: str = "") -> object:
        if isinstance(x, dict):
            return {k: walk(v, k) for k, v in x.items()}
        if key.endswith("_lat_lon") and x and isinstance(x[0], list):  # type: ignore[index]
            return [point(p) for p in x]  # type: ignore[union-attr]
        if key.endswith("_lat_lon"):
            return point(x)  # type: ignore[arg-type]
        return [walk(v) for v in x] if isinstance(x, list) else x

    return walk(copy.deepcopy(doc))  # type: ignore[return-value]


def test_a_bridge_across_the_antimeridian_loads(tmp_path):
    doc = moved(yaml.safe_load((EXAMPLES / "bridge.yaml").read_text()), -16.8, 179.9996)
    lons = [p[1] for p in doc["deck"]["outline_lat_lon"]]
    assert min(lons) < -179.999 and max(lons) > 179.999  # the deck does cross it (home 30 m west of it)
    path = tmp_path / "bridge.yaml"
    path.write_text(yaml.safe_dump(doc))
    bridge = load_asset(path)  # refused before: "expected within 10 km of site.home_lat_lon ... (28306 km away)"
    frame = LocalFrame(*bridge.site.home_lat_lon)
    deck = np.array([frame.to_ned(lat, lon, 0.0)[:2] for lat, lon in bridge.deck_outline_lat_lon])
    assert np.ptp(deck[:, 1]) < 70.0  # the 61 m deck, not 40,000 km of longitude


@pytest.fixture(scope="module")
def fiji_plan(tmp_path_factory):  # type: ignore[no-untyped-def]
    from missions.planning import Requirement, get_camera, plan_inspection

    doc = moved(yaml.safe_load((EXAMPLES / "bridge.yaml").read_text()), -16.8, 179.9996)
    doc["inspect"]["piers"] = ["P1"]  # one box pier keeps the plan small
    path = tmp_path_factory.mktemp("fiji") / "bridge.yaml"
    path.write_text(yaml.safe_dump(doc))
    return plan_inspection(load_asset(path), get_camera("dji_h20_zoom"), Requirement(crack_width_mm=2.0,
                                                                                   exposure_s=0.0005))


def test_the_preview_draws_a_flight_across_the_antimeridian_where_it_is(tmp_path, fiji_plan):
    # Leaflet joins +179.9999 and -179.9998 the long way round: the path, the deck's fence and the photo
    # stations on either side of the meridian were drawn 40,000 km apart, the map opened on the whole world
    from missions.planning.kml import write_preview

    plan = fiji_plan
    lons = [lon for _, lon in plan.asset.site.geofence_lat_lon]
    assert min(lons) < -179.999 and max(lons) > 179.999
    write_preview(tmp_path / "preview.html", plan)
    html = (tmp_path / "preview.html").read_text()
    assert re.search(r"-179\.9\d+", html) is None  # every longitude drawn on the home's side: 180.000x
    assert re.search(r"180\.000\d+", html) is not None


def test_a_fence_across_the_antimeridian_is_left_out_and_named(fiji_plan):
    # ArduPilot tests a fence polygon on raw latitude/longitude (AC_PolyFence_loader::breached, Polygon_outside):
    # the site's fence from +179.9993 to -179.9991 reads as the rest of the world, the vehicle outside it
    lons = [lon for _, lon in fiji_plan.asset.site.geofence_lat_lon]
    assert max(lons) - min(lons) > 180
    assert "site.geofence_lat_lon" not in [a.name for a in fiji_plan.fence]
    assert any(n.startswith("geofence:") and "'site.geofence_lat_lon'" in n and "180th meridian" in n
               for n in fiji_plan.notes), fiji_plan.notes
