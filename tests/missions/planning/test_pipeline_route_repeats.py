"""A pipeline route with a position given twice in a row (a double click in QGIS) is planned as without the
repeat; one whose positions are all one place is refused as a route of no length.

Found editing missions/examples/pipeline.geojson: a repeated vertex printed 'RuntimeWarning: invalid value
encountered in divide' (the zero-length leg's direction) among plan's output; all positions at one place
ended in 'nothing to inspect (... photo lanes: 0 photos ... they need 0.075 m/s (motion blur) ...)', which
sent the user after speeds and cameras, not the route."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from skyinspect.errors import InputError

from missions.planning import get_camera, load_asset, plan_inspection

from .conftest import EXAMPLES, FAST


def _route(tmp_path: Path, name: str, edit) -> Path:  # type: ignore[no-untyped-def]
    doc = json.loads((EXAMPLES / "pipeline.geojson").read_text())
    doc["geometry"]["coordinates"] = edit(doc["geometry"]["coordinates"])
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_a_repeated_position_is_planned_as_the_route_without_it(tmp_path: Path) -> None:
    repeated = load_asset(_route(tmp_path, "repeated.geojson", lambda c: [c[0], c[1], c[1], c[2]]))
    plain = load_asset(EXAMPLES / "pipeline.geojson")
    assert repeated.route_lat_lon == plain.route_lat_lon
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the divide-by-zero warning fails the test
        plan = plan_inspection(repeated, get_camera("dji_h20_zoom"), FAST, "ardupilot")
    assert plan.items


def test_a_route_all_at_one_place_is_refused_by_name(tmp_path: Path) -> None:
    path = _route(tmp_path, "one_place.geojson", lambda c: [c[0], c[0], list(c[0])])
    with pytest.raises(InputError, match=r"one_place\.geojson: geometry\.coordinates: expected at least 2 different "
                                         r"longitude, latitude positions"):
        load_asset(path)


def _yaml_pipeline(route_lat_lon: list) -> dict:  # type: ignore[type-arg]
    """The example pipeline as a YAML/JSON asset (route_lat_lon: [latitude, longitude] pairs)."""
    doc = json.loads((EXAMPLES / "pipeline.geojson").read_text())
    return {**doc["properties"], "asset": "pipeline", "route_lat_lon": route_lat_lon}


def test_a_yaml_route_with_a_repeated_position_is_planned_as_without_it() -> None:
    """427801a dropped the repeats in the GeoJSON reader only: the same route as YAML (route_lat_lon) still
    planned the zero-length leg ('RuntimeWarning: invalid value encountered in divide')."""
    from missions.planning import parse_asset

    plain = load_asset(EXAMPLES / "pipeline.geojson")
    route = [list(p) for p in plain.route_lat_lon]
    repeated = parse_asset(_yaml_pipeline([route[0], route[1], route[1]] + route[2:]), "pipe.yaml")
    assert repeated.route_lat_lon == plain.route_lat_lon
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = plan_inspection(repeated, get_camera("dji_h20_zoom"), FAST, "ardupilot")
    assert plan.items


def test_a_yaml_route_all_at_one_place_is_refused_by_name() -> None:
    from missions.planning import parse_asset

    here = list(load_asset(EXAMPLES / "pipeline.geojson").route_lat_lon[0])
    with pytest.raises(InputError, match=r"pipe\.yaml: route_lat_lon: expected at least 2 different latitude, "
                                         r"longitude positions"):
        parse_asset(_yaml_pipeline([here, here, here]), "pipe.yaml")
