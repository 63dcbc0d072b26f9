"""Exports: .plan as QGC documents it (and our parser reads it back unchanged), .waypoints, KML."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import skyinspect
from skyinspect.errors import InputError

from missions.planning.export import write_all
from missions.planning.formats import read_qgc_plan, read_waypoints, waypoints_text, write_waypoints
from missions.planning.kml import station_features
from missions.planning.mission import (CONDITION_YAW, DO_GIMBAL_MANAGER_PITCHYAW, DO_MOUNT_CONTROL,
                                       DO_SET_CAM_TRIGG_DIST, NAV_RETURN_TO_LAUNCH, NAV_TAKEOFF, NAV_WAYPOINT)

from .conftest import FIXTURES


def test_plan_matches_documented_format(bridge_plan, tmp_path):
    paths = write_all(bridge_plan, tmp_path)
    doc = json.loads(paths[0].read_text())
    assert doc["fileType"] == "Plan" and doc["version"] == 1 and doc["groundStation"] == "QGroundControl"
    assert set(doc) == {"fileType", "geoFence", "groundStation", "mission", "rallyPoints", "version"}
    m = doc["mission"]
    assert m["version"] == 2 and m["firmwareType"] == 3 and m["vehicleType"] == 2
    assert m["plannedHomePosition"] == [47.397742, 8.545594, 488.1]
    assert doc["geoFence"]["version"] == 2 and doc["geoFence"]["polygons"][0]["inclusion"] is True
    assert doc["rallyPoints"] == {"points": [], "version": 2}
    for k, q in enumerate(m["items"], start=1):
        assert q["type"] == "SimpleItem" and q["doJumpId"] == k and len(q["params"]) == 7
        assert isinstance(q["autoContinue"], bool)
        if q["command"] == NAV_WAYPOINT:
            assert q["AltitudeMode"] == 1 and q["Altitude"] == q["params"][6] and q["frame"] == 3


def test_plan_round_trip_is_exact(bridge_plan, bridge_plan_px4, tmp_path):
    for plan in (bridge_plan, bridge_plan_px4):
        write_all(plan, tmp_path / plan.autopilot)
        items, home, autopilot = read_qgc_plan(tmp_path / plan.autopilot / "mission.plan")
        assert autopilot == plan.autopilot and home == plan.home_lat_lon_alt
        assert len(items) == len(plan.items)
        assert all(a.same_as(b, tol=0.0) for a, b in zip(plan.items, items))


def test_command_choices_per_autopilot(bridge_plan, bridge_plan_px4):
    ap = {it.command for it in bridge_plan.items}
    px = {it.command for it in bridge_plan_px4.items}
    assert {NAV_TAKEOFF, CONDITION_YAW, DO_GIMBAL_MANAGER_PITCHYAW, DO_SET_CAM_TRIGG_DIST, NAV_RETURN_TO_LAUNCH} <= ap
    assert DO_MOUNT_CONTROL not in ap  # yaws copters whose mount has no pan axis (test_gimbal_heading.py)
    assert DO_GIMBAL_MANAGER_PITCHYAW in px and CONDITION_YAW not in px and DO_MOUNT_CONTROL not in px
    yaws = [it.params[3] for it in bridge_plan_px4.items if it.command == NAV_WAYPOINT and " lane " in it.note]
    assert yaws and all(not math.isnan(y) for y in yaws)  # PX4 takes the heading from the waypoint
    ring = [it.params[3] for it in bridge_plan_px4.items if it.command == NAV_WAYPOINT and " ring " in it.note and "station" in it.note]
    assert ring and all(math.isnan(y) for y in ring)  # orbits: the ROI points the vehicle


def test_waypoints_round_trip_and_sitl_fixture(bridge_plan, tmp_path):
    path = tmp_path / "m.waypoints"
    write_waypoints(path, bridge_plan.items, bridge_plan.home_lat_lon_alt)
    items, home = read_waypoints(path)
    assert home == bridge_plan.home_lat_lon_alt
    assert all(a.same_as(b, tol=1e-6) for a, b in zip(bridge_plan.items, items))
    # the real mission flown in ArduCopter SITL parses, and our writer reproduces its lines exactly
    sitl_items, sitl_home = read_waypoints(FIXTURES / "mission.waypoints")
    assert len(sitl_items) == 18 and sitl_home == (47.397742, 8.545594, 488.1)
    assert [it.command for it in sitl_items][:4] == [NAV_TAKEOFF, CONDITION_YAW, 178, DO_GIMBAL_MANAGER_PITCHYAW]
    assert waypoints_text(sitl_items, sitl_home) == (FIXTURES / "mission.waypoints").read_text()


def test_kml_and_preview(bridge_plan, tmp_path):
    paths = write_all(bridge_plan, tmp_path)
    root = ET.parse(paths[2]).getroot()
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    coords = root.find(".//k:LineString/k:coordinates", ns).text.split()
    assert len(coords) > 50 and len(root.findall(".//k:Point", ns)) == bridge_plan.photo_count
    page = paths[3].read_text()
    assert "leaflet" in page.lower()
    # opens offline (an operator plans in the field): nothing fetched but the background tiles
    assert not re.search(r'<script src="https?://|<link rel="stylesheet" href="https?://', page)
    assert re.search(r"\.fitBounds\(\s*\[\[", page)  # opens on the whole flight, not zoom 19 at home
    leaflet_js = (Path(skyinspect.__file__).with_name("vendor") / "leaflet.js").read_text()
    assert leaflet_js[:300] in page
    # every photo station drawn, where the KML puts it
    features = station_features(bridge_plan)["features"]
    assert len(features) == bridge_plan.photo_count
    kml_points = [tuple(map(float, p.find("k:coordinates", ns).text.split(",")[:2]))
                  for p in root.findall(".//k:Point", ns)]
    assert np.allclose(sorted(f["geometry"]["coordinates"] for f in features), sorted(kml_points), atol=1e-7)
    assert json.dumps(features[0]["properties"]["photo"])[1:-1] in page
    assert not list(tmp_path.glob(".*tmp*"))


def test_kml_draws_the_path_at_the_heights_the_vehicle_flies(bridge_plan, tmp_path):
    """The mission is flown relative to home (frame 3, MAV_FRAME_GLOBAL_RELATIVE_ALT; the .plan's
    AltitudeMode 1): a waypoint 10 m up is 10 m above home wherever the ground under it lies. The KML
    drew it relativeToGround, i.e. 10 m above Google Earth's terrain at that point: over the creek
    under the example bridge (or any valley, slope or embankment) the path and photo stations were
    drawn lower or higher than they are flown, by the terrain's difference from home."""
    paths = write_all(bridge_plan, tmp_path)
    items, home, _ = read_qgc_plan(paths[0])
    root = ET.parse(paths[2]).getroot()
    ns = {"k": "http://www.opengis.net/kml/2.2"}

    def drawn_amsl_m(geom: ET.Element, terrain_amsl_m: float) -> list[tuple[float, float, float]]:
        """Each vertex as Google Earth places it (KML 2.2 altitudeMode; clampToGround when absent)."""
        mode = geom.findtext("k:altitudeMode", "clampToGround", ns)
        out = []
        for triple in geom.findtext("k:coordinates", "", ns).split():
            lon, lat, alt = map(float, triple.split(","))
            out.append((lat, lon, {"absolute": alt, "relativeToGround": terrain_amsl_m + alt}.get(mode, terrain_amsl_m)))
        return out

    for terrain in (home[2], home[2] - 4.0):  # flat, and the ground 4 m below home (a creek, a valley)
        path = drawn_amsl_m(root.find(".//k:LineString", ns), terrain)
        # home on the ground, the take-off, each waypoint in turn, then RTL: the plan comes back over home, so
        # the autopilots' cone keeps it from climbing: straight down (test_rtl.py)
        flown = [(home[0], home[1], home[2])] + [
            (home[0], home[1], home[2] + it.params[6]) if it.command == NAV_TAKEOFF else
            (it.params[4], it.params[5], home[2] + it.params[6]) for it in items if it.command in (NAV_TAKEOFF, NAV_WAYPOINT)]
        assert items[-1].command == NAV_RETURN_TO_LAUNCH and len(path) == len(flown) + 1
        assert np.allclose(np.array(path[:len(flown)])[:, :2], np.array(flown)[:, :2], atol=1e-7)
        assert np.abs(np.array(path[:len(flown)])[:, 2] - np.array(flown)[:, 2]).max() < 0.01, terrain
        assert path[-1][2] == pytest.approx(home[2], abs=0.01)  # landed at home
        stations = [v for pt in root.findall(".//k:Point", ns) for v in drawn_amsl_m(pt, terrain)]
        expected = sorted(home[2] - p[2] for ps in bridge_plan.passes for p, _, _ in ps.stations())
        assert np.allclose(sorted(alt for _, _, alt in stations), expected, atol=0.01)


def test_preview_survives_a_keep_out_name_with_a_backtick(bridge_plan, tmp_path):
    # folium puts tooltip text raw into a JS template literal: a backtick ended it and the map's
    # script failed to parse (node --check: SyntaxError), so the preview drew nothing
    from dataclasses import replace

    from missions.planning.kml import write_preview

    site = bridge_plan.asset.site
    ko = replace(site.keep_out[0], name="rail `catenary` ${x} <b>")
    plan = replace(bridge_plan, asset=replace(bridge_plan.asset, site=replace(site, keep_out=(ko,))))
    write_preview(tmp_path / "preview.html", plan)
    page = (tmp_path / "preview.html").read_text()
    assert "`catenary`" not in page and "${x}" not in page
    assert "keep-out rail &#96;catenary&#96; &#36;{x} &lt;b&gt;" in page


def test_read_plan_folder_or_bad_item_is_one_clear_error(bridge_plan, tmp_path):
    # `skyinspect upload OUT` on the plan folder was an IsADirectoryError traceback
    write_all(bridge_plan, tmp_path / "flight_01")
    write_all(bridge_plan, tmp_path / "flight_02")
    with pytest.raises(InputError, match=r"expected a .plan file, got a folder. Upload one flight's mission.plan "
                                         r"at a time, in order: .*flight_01/mission.plan, .*flight_02/mission.plan"):
        read_qgc_plan(tmp_path)
    with pytest.raises(InputError, match=r"got a folder. Give .*flight_01/mission.plan$"):
        read_qgc_plan(tmp_path / "flight_01")
    doc = json.loads((tmp_path / "flight_01" / "mission.plan").read_text())
    del doc["mission"]["items"][3]["frame"]  # a hand-edited item: was a KeyError traceback
    (tmp_path / "edited.plan").write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"edited.plan: mission.items\[3\]: expected command, frame and 7 numeric"):
        read_qgc_plan(tmp_path / "edited.plan")
    # the .waypoints beside it: said only "not valid JSON (Expecting value: line 1 column 1 (char 0))"
    with pytest.raises(InputError, match=r"mission.waypoints: expected a QGroundControl .plan \(JSON\), got a "
                                         r".waypoints file \(QGC WPL\). Upload .*flight_01/mission.plan"):
        read_qgc_plan(tmp_path / "flight_01" / "mission.waypoints")


def test_a_plan_file_that_is_not_utf8_is_refused_by_name(tmp_path: Path) -> None:
    """The asset and camera readers refused a non-UTF-8 file; the .plan reader (upload) gave a bare
    UnicodeDecodeError traceback for one."""
    bad = tmp_path / "mission.plan"
    bad.write_bytes(b'\xff{"fileType": "Plan"}')
    with pytest.raises(InputError, match=r"mission.plan: expected UTF-8 JSON, got byte 0xff at 0"):
        read_qgc_plan(bad)
