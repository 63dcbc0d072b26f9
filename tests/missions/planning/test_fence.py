"""The plan's geofence: the site's fence (inclusion) and the keep-outs (exclusion) in the .plan and
uploaded over MAVLink (MAV_MISSION_TYPE_FENCE), only where the flight never crosses a keep-out's outline."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from missions.planning.assets import KeepOut
from missions.planning.export import write_all
from missions.planning.fence import plan_fence
from missions.planning.loopback import free_port

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


@pytest.fixture
def vehicle_defaults() -> dict:
    return {"ardupilot_storage": True}  # ArduPilot's mission storage, which a fence upload interacts with


def _upload(plan_file, vehicle):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from .test_cli_and_patterns import app

    r = CliRunner().invoke(app, ["upload", str(plan_file), "--connect", vehicle.gcs_url, "--timeout-s", "0.3"])
    return r, " ".join(r.output.split())


@pytest.mark.timeout(40)
def test_upload_sends_the_fence_and_reads_it_back(vehicle, bridge_plan, tmp_path):
    # upload sent the mission only and said "the plan's geofence was not uploaded ... the vehicle does not
    # enforce it": the site's fence and the keep-outs stayed on the operator's to-do list
    plan_file = write_all(bridge_plan, tmp_path)[0]
    r, said = _upload(plan_file, vehicle)
    assert r.exit_code == 0, r.output
    fence = bridge_plan.asset.site.geofence_lat_lon
    want = [(5001, 4.0, round(lat * 1e7), round(lon * 1e7)) for lat, lon in fence] + \
        [(5002, 4.0, round(lat * 1e7), round(lon * 1e7)) for lat, lon in RAILWAY]
    assert [(m.command, m.param1, m.x, m.y) for m in vehicle.fence] == want
    assert {(m.frame, m.mission_type) for m in vehicle.fence} == {(0, 1)}
    assert len(vehicle.mission) == len(bridge_plan.items) + 1  # the mission went up as before
    assert "fence of 8 points (1 inclusion, 1 exclusion polygon" in said and "read back identical" in said, said


@pytest.mark.timeout(40)
@pytest.mark.parametrize("vehicle, match", [
    ({"fence_max_items": 6}, r"refused the fence with MAV_MISSION_NO_SPACE \(4\)\. .*fence storage"),
    ({"fence_supported": False}, r"refused the fence with MAV_MISSION_UNSUPPORTED \(3\)\. .*fence"),
], indirect=["vehicle"], ids=["no-space", "no-fence-support"])
def test_a_refused_fence_is_named_and_the_mission_kept(vehicle, match, bridge_plan, tmp_path):
    import re

    plan_file = write_all(bridge_plan, tmp_path)[0]
    r, said = _upload(plan_file, vehicle)
    assert r.exit_code == 2 and re.search(match, said), r.output
    assert "The mission was uploaded and read back identical" in said, said
    assert vehicle.fence == [] and len(vehicle.mission) == len(bridge_plan.items) + 1


@pytest.mark.timeout(40)
@pytest.mark.parametrize("vehicle", [{"mavlink2": False}], indirect=True)
def test_no_fence_over_a_mavlink_1_link(vehicle, bridge_plan, tmp_path, monkeypatch):
    # MAVLink 1 drops MISSION_COUNT's mission_type: the fence's count reaches ArduPilot as a mission's, which
    # cuts the mission just uploaded to the fence's 8 items (MissionItemProtocol_Waypoints::truncate). The
    # link is held at MAVLink 1 here (pymavlink switches every later connection of the process to 2 once any
    # has heard a MAVLink 2 frame)
    from pymavlink import mavutil

    monkeypatch.setattr(mavutil.mavfile, "mavlink20", lambda self: False)
    plan_file = write_all(bridge_plan, tmp_path)[0]
    r, said = _upload(plan_file, vehicle)
    assert r.exit_code == 2 and "the link speaks MAVLink 1" in said and "SERIALn_PROTOCOL 2" in said, said
    assert vehicle.fence == [] and len(vehicle.mission) == len(bridge_plan.items) + 1


@pytest.mark.timeout(40)
def test_a_fence_the_autopilot_fails_its_check_is_refused(vehicle, bridge_plan):
    # ArduPilot's validate_fence: a polygon's vertices must all carry its vertex count (here 3 of 4 say 5)
    from missions.planning.fence import fence_items
    from missions.planning.upload import connect, upload

    items = fence_items(bridge_plan.fence)
    bad = (replace(items[0], params=(5.0,) + items[0].params[1:]),) + items[1:]
    conn = connect(vehicle.gcs_url, 5)
    try:
        with pytest.raises(Exception, match=r"refused the fence with MAV_MISSION_ERROR \(1\)"):
            upload(conn, bad, 0.3, mission_type=1)
    finally:
        conn.close()
    assert vehicle.fence == []


def test_a_broken_fence_in_the_plan_is_refused_before_connecting(bridge_plan, tmp_path):
    from typer.testing import CliRunner

    from .test_cli_and_patterns import app

    plan_file = write_all(bridge_plan, tmp_path)[0]
    doc = json.loads(plan_file.read_text())
    doc["geoFence"]["polygons"][1]["polygon"] = doc["geoFence"]["polygons"][1]["polygon"][:2]  # hand-edited
    plan_file.write_text(json.dumps(doc))
    r = CliRunner().invoke(app, ["upload", str(plan_file), "--connect", f"udpout:127.0.0.1:{free_port()}"])
    said = " ".join(r.output.split())
    assert r.exit_code == 2 and "geoFence.polygons[1].polygon: expected 3 to 255 vertices, got 2" in said, said


def test_circles_drawn_in_qgroundcontrol_go_up_as_circle_items():
    # a .plan whose fence an operator drew in QGroundControl: circles are written {"circle": {"center", "radius"},
    # "inclusion", "version": 1} and sent as MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION / _EXCLUSION with the radius
    from missions.planning.fence import FenceArea, fence_from_qgc, fence_items, fence_to_qgc

    areas = (FenceArea("circle 1", True, ((47.3978, 8.5460),), 150.0),
             FenceArea("circle 2", False, ((47.3979, 8.5461),), 12.5))
    doc = {"geoFence": json.loads(json.dumps(fence_to_qgc(areas)))}
    assert doc["geoFence"]["circles"][1] == {"circle": {"center": [47.3979, 8.5461], "radius": 12.5}, "inclusion": False,
                                             "version": 1}
    back = fence_from_qgc(doc, "p.plan")
    assert [(i.command, i.params[0], i.params[4], i.params[5]) for i in fence_items(back)] == [
        (5003, 150.0, 47.3978, 8.546), (5004, 12.5, 47.3979, 8.5461)]
    doc["geoFence"]["circles"][0]["circle"]["radius"] = 0
    with pytest.raises(Exception, match=r"geoFence.circles\[0\].circle.radius: expected a radius in metres above 0"):
        fence_from_qgc(doc, "p.plan")


@pytest.mark.timeout(40)
@pytest.mark.parametrize("vehicle", [{"autopilot": "px4", "overwrite_home": True, "ardupilot_storage": False}],
                         indirect=True)
def test_a_read_back_that_differs_says_not_to_fly_it(vehicle, bridge_plan_px4, tmp_path):
    # the vehicle took every item and stores something else (here PX4's item 0 moved): upload said only
    # 'Upload again or check the autopilot's limits', while the vehicle holds that mission, ready for AUTO
    plan_file = write_all(bridge_plan_px4, tmp_path)[0]
    r, said = _upload(plan_file, vehicle)
    assert r.exit_code == 2 and "the vehicle's mission differs from the file after upload: item 0" in said, said
    assert "it holds that mission now: do not fly it in AUTO until one reads back identical" in said, said
    assert vehicle.fence == []  # nor is the fence sent after a mission that differs


def test_arducopters_default_circle_and_ceiling_are_named_when_the_flight_leaves_them(bridge_plan):
    # enabling the fence for these polygons (FENCE_ENABLE 1) also enables ArduCopter's default FENCE_TYPE 7
    # circle (FENCE_RADIUS 300 m round home) and ceiling (FENCE_ALT_MAX 100 m): a flight beyond either is cut
    # short by its own fence, and nothing said so
    from missions.planning.mission import NAV_RETURN_TO_LAUNCH, NAV_TAKEOFF, NAV_WAYPOINT, MissionItem

    frame, site = bridge_plan.frame, bridge_plan.asset.site
    _, notes = plan_fence(bridge_plan.items, frame, site, "ardupilot")
    assert not any("FENCE_RADIUS" in n for n in notes)  # the bridge stays within 300 m and under 100 m
    lat, lon, _ = frame.to_geodetic([0.0, 420.0, 0.0])
    far = (MissionItem(NAV_TAKEOFF, 3, (0, 0, 0, 0, site.home_lat_lon[0], site.home_lat_lon[1], 10.0)),
           MissionItem(NAV_WAYPOINT, 3, (0, 0, 0, 0, float(lat), float(lon), 110.0)),
           MissionItem(NAV_RETURN_TO_LAUNCH, 2, (0,) * 7))
    wide = replace(site, geofence_lat_lon=(), keep_out=())
    _, notes = plan_fence(far, frame, replace(wide, geofence_lat_lon=site.geofence_lat_lon), "ardupilot")
    assert any("FENCE_RADIUS" in n and "420 m from home" in n and "110 m" in n and "FENCE_TYPE" in n for n in notes), \
        notes
    assert not any("FENCE_RADIUS" in n for n in plan_fence(far, frame, wide, "ardupilot")[1])  # no fence uploaded
    assert not any("FENCE_RADIUS" in n for n in plan_fence(far, frame, site, "px4")[1])


def _upload_to_px4_with_fence(vehicle, plan):  # type: ignore[no-untyped-def]
    """The plan's mission and fence uploaded to the loopback PX4 and read back: (fence items, TransferResult)."""
    from missions.planning.fence import fence_items
    from missions.planning.upload import upload_and_verify

    fence = fence_items(plan.fence)
    return fence, upload_and_verify(vehicle.gcs_url, plan.items, plan.home_lat_lon_alt, "px4",
                                    timeout_s=0.3, connect_timeout_s=5, fence=fence)


@pytest.mark.timeout(40)
@pytest.mark.parametrize("vehicle", [{"autopilot": "px4", "overwrite_home": True, "ardupilot_storage": False}],
                         indirect=True)
def test_a_fence_never_sent_is_not_counted_as_sent(vehicle, bridge_plan_px4):
    # the mission read back different, so the fence stayed on the ground: TransferResult said fence_sent=8
    fence, r = _upload_to_px4_with_fence(vehicle, bridge_plan_px4)
    assert not r.same and len(fence) == 8 and vehicle.fence == []
    assert r.fence_sent == 0, r


def test_upload_reads_the_plan_once(bridge_plan, tmp_path, monkeypatch):
    # upload read and parsed the .plan twice (read_qgc_plan, then json.loads again for the fence): a plan
    # rewritten in between (QGroundControl saving it) went up as one file's mission and another's fence
    from pathlib import Path

    from typer.testing import CliRunner

    import missions.planning.upload as up
    from missions.planning.upload import TransferResult

    from .test_cli_and_patterns import app

    plan_file = write_all(bridge_plan, tmp_path)[0]
    reads, sent = [], {}
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: (reads.append(self) if self == plan_file else None)
                        or real(self, *a, **k))

    def fake_upload(url, items, home, autopilot, timeout_s, connect_timeout_s=10.0, fence=(),  # type: ignore[no-untyped-def]
                    system_id=None):
        sent.update(items=items, fence=fence)
        return TransferResult(len(items) + 1, len(items) + 1, True, (), fence_sent=len(fence))

    monkeypatch.setattr(up, "upload_and_verify", fake_upload)
    r = CliRunner().invoke(app, ["upload", str(plan_file), "--connect", "udpout:127.0.0.1:1"])
    assert r.exit_code == 0, r.output
    assert len(sent["items"]) == len(bridge_plan.items) and len(sent["fence"]) == 8
    assert reads == [plan_file], reads


@pytest.mark.timeout(40)
@pytest.mark.parametrize("vehicle", [{"autopilot": "px4", "px4_storage": True, "ardupilot_storage": False}],
                         indirect=True)
def test_px4_reads_the_fence_back_in_its_own_frame_and_it_compares_equal(vehicle, bridge_plan_px4):
    # PX4 (mavlink_mission.cpp format_mavlink_mission_item) reads every fence point back in MAV_FRAME_GLOBAL_INT
    # with autocontinue 0; the same fence, not a difference. A vertex whose count is under 3 is its refusal
    from missions.planning.upload import connect, download, upload

    fence, r = _upload_to_px4_with_fence(vehicle, bridge_plan_px4)
    assert r.same and r.fence_sent == len(fence) == 8, r.differences
    bad = (replace(fence[0], params=(2.0,) + fence[0].params[1:]),) + fence[1:]
    conn = connect(vehicle.gcs_url, 5)
    try:
        assert {it.frame for it in download(conn, 0.3, mission_type=1)} == {5}  # sent in frame 0
        with pytest.raises(Exception, match=r"refused the fence with MAV_MISSION_ERROR \(1\) at fence item 0") as err:
            upload(conn, bad, 0.3, mission_type=1)
    finally:
        conn.close()
    assert "PX4 a polygon vertex whose count is under 3" in str(err.value), err.value  # it named ArduPilot's only
    assert len(vehicle.fence) == 8  # the fence it had stays
