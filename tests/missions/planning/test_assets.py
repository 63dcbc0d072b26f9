"""Asset descriptions: the examples load; bad input is refused with the file, key and fix."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from skyinspect.errors import InputError

from missions.planning import Bridge, Pipeline, WindTurbine, load_asset, parse_asset

from .conftest import EXAMPLES


def _bridge_dict():
    return yaml.safe_load((EXAMPLES / "bridge.yaml").read_text())


def test_examples_load():
    b, t = load_asset(EXAMPLES / "bridge.yaml"), load_asset(EXAMPLES / "wind_turbine.yaml")
    assert isinstance(b, Bridge) and (b.orbit_pattern, b.inspect_girders) == ("rings", False)
    assert b.inspect_underside is False
    assert (b.ground_below_agl_m, b.min_ground_clearance_m, b.floor_agl_m) == (-1.0, 3.0, 2.0)  # the creek
    assert isinstance(t, WindTurbine) and t.orbit_pattern == "helix"
    pipe = load_asset(EXAMPLES / "pipeline.geojson")
    assert isinstance(pipe, Pipeline) and pipe.route_lat_lon[0] == (47.3978319, 8.5457265)  # [lon, lat] swapped


def test_self_intersecting_deck_refused():
    d = _bridge_dict()
    o = d["deck"]["outline_lat_lon"]
    d["deck"]["outline_lat_lon"] = [o[0], o[2], o[1], o[3]]  # a bow tie
    with pytest.raises(InputError, match=r"deck.outline_lat_lon: expected a simple .*Self-intersection"):
        parse_asset(d, "bridge.yaml")


def test_blade_longer_than_hub_height_refused():
    t = yaml.safe_load((EXAMPLES / "wind_turbine.yaml").read_text())
    t["blade_length_m"] = 85.0
    with pytest.raises(InputError, match=r"wind_turbine.yaml: blade_length_m: expected less than hub_height.*85.0"):
        parse_asset(t, "wind_turbine.yaml")


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d["piers"][0].update(centre_lat_lon=[8.5461238, 147.3978769]), r"piers\[0\].centre_lat_lon"),
    (lambda d: d["piers"][0].update(length_m=-2), r"piers\[0\].length_m: expected a positive number"),
    (lambda d: d["piers"][0].update(shape="triangle"), r"'box' or 'cylinder'"),
    (lambda d: d["deck"].update(top_agl_m=5.0), r"deck.top_agl_m: expected more than"),
    (lambda d: d["inspect"].update(piers=["P9"]), r"inspect.piers: expected names from"),
    (lambda d: d.pop("site"), r"site: expected a section"),
    (lambda d: d.update(asset="tunnel"), r"asset: expected 'bridge', 'pipeline' or 'wind_turbine'"),
    (lambda d: d["inspect"].update(orbit_pattern="spiral"), r"inspect.orbit_pattern: expected 'rings' or 'helix'"),
    (lambda d: d["inspect"].update(girders="yes"), r"inspect.girders: expected true or false"),
    (lambda d: d["inspect"].update(underside=1), r"inspect.underside: expected true or false"),
    (lambda d: d["deck"].update(ground_below_agl_m=12.0), r"deck.ground_below_agl_m: expected below deck.underside"),
    (lambda d: d["deck"].update(min_ground_clearance_m=-1), r"deck.min_ground_clearance_m: expected a number in \[0"),
    # seconds typed as minutes: planned as one 30-hour battery, nothing cut into flights or refused
    (lambda d: d["site"]["battery"].update(endurance_min=1800),
     r"site.battery.endurance_min: expected the hover endurance in minutes, at most 240, got 1800.0. Give it in "
     r"minutes \(1800 s is 30 min\)"),
])
def test_bad_bridge_values_named(mutate, match):
    d = copy.deepcopy(_bridge_dict())
    mutate(d)
    with pytest.raises(InputError, match=match):
        parse_asset(d, "bridge.yaml")


def test_self_crossing_pipeline_refused(tmp_path):
    g = json.loads((EXAMPLES / "pipeline.geojson").read_text())
    g["geometry"]["coordinates"] = [[8.0, 47.0], [8.001, 47.001], [8.001, 47.0], [8.0, 47.001]]
    p = tmp_path / "pipe.geojson"
    p.write_text(json.dumps(g))
    with pytest.raises(InputError, match="does not cross itself"):
        load_asset(p)


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_asset(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("asset: [bridge\n")
    with pytest.raises(InputError, match="cannot be parsed"):
        load_asset(bad)


def _swap(pairs):
    return [[lon, lat] for lat, lon in pairs]


@pytest.mark.parametrize("mutate, match", [
    # a keep-out typed lon-first lay 5,000 km away: planned without it, flown through the catenary
    (lambda d: d["site"]["keep_out"][0].update(outline_lat_lon=_swap(d["site"]["keep_out"][0]["outline_lat_lon"])),
     r"bridge.yaml: site.keep_out\[0\].outline_lat_lon: expected within 10 km .*swapped"),
    (lambda d: d["site"].update(geofence_lat_lon=_swap(d["site"]["geofence_lat_lon"])),
     r"site.geofence_lat_lon: expected within 10 km"),
    # a swapped girder: planned as a solid 5,000 km away (with inspect.girders the planner ran for minutes)
    (lambda d: d["girders"][0].update(start_lat_lon=d["girders"][0]["start_lat_lon"][::-1],
                                      end_lat_lon=d["girders"][0]["end_lat_lon"][::-1]),
     r"girders\[0\].start_lat_lon: expected within 10 km"),
    # bottom above top: an empty volume that keeps nothing out
    (lambda d: d["site"]["keep_out"][0].update(bottom_agl_m=15.0, top_agl_m=0.0),
     r"site.keep_out\[0\].top_agl_m: expected more than bottom_agl_m \(15.0\), got 0.0"),
])
def test_keep_out_fence_and_girder_mistakes_refused(mutate, match):
    d = copy.deepcopy(_bridge_dict())
    mutate(d)
    with pytest.raises(InputError, match=match):
        parse_asset(d, "bridge.yaml")


def test_pipeline_geojson_positions_checked_and_collection_read(tmp_path):
    g = json.loads((EXAMPLES / "pipeline.geojson").read_text())
    junk = copy.deepcopy(g)
    junk["geometry"]["coordinates"].insert(1, "x")  # was dropped silently: a different route planned
    with pytest.raises(InputError, match=r"geometry.coordinates: expected \[longitude, latitude\] positions, got 'x'"):
        parse_asset(junk, "pipe.geojson")
    junk["geometry"]["coordinates"] = 5  # was a TypeError traceback
    with pytest.raises(InputError, match=r"geometry.coordinates: expected at least 2 longitude, latitude positions"):
        parse_asset(junk, "pipe.geojson")
    # QGIS saves a layer as a FeatureCollection: one feature is read, several are refused by name
    one = parse_asset({"type": "FeatureCollection", "features": [g]}, "pipe.geojson")
    assert one == parse_asset(g, "pipe.geojson")
    with pytest.raises(InputError, match=r"pipe.geojson: features: expected one pipeline Feature, got 2"):
        parse_asset({"type": "FeatureCollection", "features": [g, g]}, "pipe.geojson")


def test_a_swapped_home_is_named_not_the_structure():
    # the home typed [lon, lat] was reported as the deck's (right) coordinates being 6,076 km away
    d = copy.deepcopy(_bridge_dict())
    d["site"]["home_lat_lon"] = d["site"]["home_lat_lon"][::-1]
    with pytest.raises(InputError, match=r"bridge.yaml: site.home_lat_lon: expected within 10 km of .*, got "
                                         r"\(8.545594, 47.397742\) .*with its two numbers swapped\)\. Latitude comes "
                                         r"first: write home_lat_lon"):
        parse_asset(d, "bridge.yaml")
    # a GeoJSON route typed [lat, lon]: route or home, and the rule for each format
    g = json.loads((EXAMPLES / "pipeline.geojson").read_text())
    g["geometry"]["coordinates"] = [c[::-1] for c in g["geometry"]["coordinates"]]
    with pytest.raises(InputError, match=r"route: .*either route or site.home_lat_lon has them the wrong way round\)\. "
                                         r"In keys ending _lat_lon latitude comes first; in GeoJSON geometry, "
                                         r"longitude"):
        parse_asset(g, "pipe.geojson")


def test_a_coordinate_left_at_0_0_is_refused():
    # a turbine template with home [0, 0] and the tower 100 m north of it was planned in the Gulf of Guinea
    t = yaml.safe_load((EXAMPLES / "wind_turbine.yaml").read_text())
    t["site"].pop("geofence_lat_lon")
    t["site"]["home_lat_lon"], t["tower_base_lat_lon"] = [0, 0], [0.0009, 0.0]
    with pytest.raises(InputError, match=r"turbine.yaml: site.home_lat_lon: expected a latitude, longitude pair "
                                         r"\(.*not 0, 0\), got \[0, 0\]"):
        parse_asset(t, "turbine.yaml")


@pytest.mark.parametrize("mutate, match", [
    # was "site.keep_out[0]: expected a mapping, got 'str'. Write key: value pairs" (the keys iterated)
    (lambda d: d["site"].update(keep_out=d["site"]["keep_out"][0]), r"site.keep_out: expected a list, got \{"),
    (lambda d: d.update(piers=d["piers"][0]), r"piers: expected a list, got \{.*starting with '- ' under 'piers:'"),
    # was "inspect.piers: expected names from ['P1', 'P2'], got ['P', '1']" (the letters iterated)
    (lambda d: d["inspect"].update(piers="P1"), r"inspect.piers: expected a list, got 'P1'"),
])
def test_a_single_entry_without_its_dash_is_named_as_not_a_list(mutate, match):
    d = copy.deepcopy(_bridge_dict())
    mutate(d)
    with pytest.raises(InputError, match=match):
        parse_asset(d, "bridge.yaml")


def test_unreadable_text_and_folders_named(tmp_path):
    # a Latin-1 file ('Brücke') and a folder given as the asset or camera file were tracebacks
    # (UnicodeDecodeError, IsADirectoryError) or 'asset file not found'
    from missions.planning import load_camera_file

    latin1 = tmp_path / "bridge.yaml"
    latin1.write_bytes((EXAMPLES / "bridge.yaml").read_text().replace("Example creek", "Brücke").encode("latin-1"))
    with pytest.raises(InputError, match=r"bridge.yaml: expected UTF-8 text, got byte 0xfc at \d+. Save the file as "
                                         r"UTF-8"):
        load_asset(latin1)
    with pytest.raises(InputError, match="expected an asset file, got a folder"):
        load_asset(tmp_path)
    with pytest.raises(InputError, match="expected a camera profile \\(JSON file\\), got a folder"):
        load_camera_file(tmp_path)
    (tmp_path / "cam.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(InputError, match="cam.json: expected UTF-8 JSON, got byte 0xff at 0"):
        load_camera_file(tmp_path / "cam.json")


def test_pipeline_layer_as_qgis_exports_it(tmp_path):
    # a layer in a projected CRS was read as lat/lon pairs: 'properties.geometry.coordinates: expected a
    # latitude, longitude pair ..., got [1250256.9, 2683575.1]. Write e.g. [...] (latitude first)'
    g = json.loads((EXAMPLES / "pipeline.geojson").read_text())
    lv95 = copy.deepcopy(g)
    lv95["geometry"]["coordinates"] = [[2683575.1, 1250256.9], [2683685.0, 1250307.0]]
    with pytest.raises(InputError, match=r"pipe.geojson: geometry.coordinates: expected \[longitude, latitude\] in "
                                         r"WGS84 degrees, got \[2683575.1, 1250256.9\]. Export the layer as WGS84"):
        parse_asset(lv95, "pipe.geojson")
    named = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2056"}},
             "features": [lv95]}
    with pytest.raises(InputError, match=r"crs: expected WGS84 longitude, latitude \(RFC 7946\), got "
                                         r"'urn:ogc:def:crs:EPSG::2056'. Export the layer as WGS84"):
        parse_asset(named, "pipe.geojson")
    # QGIS writes line layers as MultiLineString: one part is the line
    multi = copy.deepcopy(g)
    multi["geometry"] = {"type": "MultiLineString", "coordinates": [g["geometry"]["coordinates"]]}
    crs84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert parse_asset({"type": "FeatureCollection", "crs": crs84, "features": [multi]}, "p") == parse_asset(g, "p")


def test_a_pipeline_with_elevations_must_lie_on_flat_ground():
    # a surveyed line exported as 'LineString Z' ([lon, lat, elevation]): the elevations were dropped without a
    # word and every lane planned at its height above home's ground; with the line climbing 30 m over its
    # 300 m, the far end's lanes, a few metres above home's ground, lay about 25 m inside the hill
    g = json.loads((EXAMPLES / "pipeline.geojson").read_text())
    hill = copy.deepcopy(g)
    hill["geometry"]["coordinates"] = [c + [z] for c, z in zip(g["geometry"]["coordinates"], (488.1, 500.0, 518.3))]
    with pytest.raises(InputError, match=r"pipe.geojson: geometry.coordinates: expected a route on flat ground .*"
                                         r"got elevations from 488.1 m \(position 0\) to 518.3 m \(position 2\), "
                                         r"30.2 m apart.*site.min_flight_agl_m \(2 m\)"):
        parse_asset(hill, "pipe.geojson")
    flat = copy.deepcopy(g)  # within the site's minimum flight height: read as before
    flat["geometry"]["coordinates"] = [c + [z] for c, z in zip(g["geometry"]["coordinates"], (488.1, 489.0, 487.6))]
    assert parse_asset(flat, "p") == parse_asset(g, "p")


@pytest.mark.parametrize("mutate, match", [
    # 'min_standof_m: 6.0' was ignored: the plan kept 3.0 m and said 'checks passed: min_standoff'
    (lambda d: d["site"].update(min_standof_m=d["site"].pop("min_standoff_m") * 2),
     r"bridge.yaml: site.min_standof_m: expected one of the keys \[.*\], got an unknown key. Did you mean "
     r"'min_standoff_m'\?"),
    (lambda d: d["inspect"].update(pier=["P1"]), r"inspect.pier: .*Did you mean 'piers'\?"),
    (lambda d: d["site"]["keep_out"][0].update(top_agl=20.0),
     r"site.keep_out\[0\].top_agl: .*Did you mean 'top_agl_m'"),
    (lambda d: d["piers"][1].update(diameter=2.0), r"piers\[1\].diameter: .*Did you mean 'diameter_m'"),
])
def test_a_misspelt_key_is_refused_not_left_at_its_default(mutate, match):
    d = copy.deepcopy(_bridge_dict())
    mutate(d)
    with pytest.raises(InputError, match=match):
        parse_asset(d, "bridge.yaml")


def test_free_text_and_a_gis_layers_own_attributes_are_kept():
    d = copy.deepcopy(_bridge_dict()) | {"description": "as built 1962"}
    assert isinstance(parse_asset(d, "bridge.yaml"), Bridge)
    g = json.loads((EXAMPLES / "pipeline.geojson").read_text())
    g["properties"] |= {"fid": 7, "operator": "gasco"}  # beside ours in a QGIS export
    assert isinstance(parse_asset(g, "pipe.geojson"), Pipeline)
    g["properties"]["inspect"]["offset_line"] = 2  # but not a misspelt key in our sections
    with pytest.raises(InputError, match=r"properties.inspect.offset_line: .*Did you mean 'offset_lines'"):
        parse_asset(g, "pipe.geojson")
