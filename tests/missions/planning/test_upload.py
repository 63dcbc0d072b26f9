"""MAVLink mission upload/download against a loopback vehicle on 127.0.0.1 (bounded in time)."""

from __future__ import annotations

import pytest

from skyinspect.errors import TelemetryError

from missions.planning.formats import read_waypoints
from missions.planning.loopback import free_port
from missions.planning.mission import MissionItem
from missions.planning.upload import compare, connect, from_item_int, upload_and_verify, with_home

from .conftest import FIXTURES


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{}, {"legacy_requests": True}, {"drop_first_request": True},
                                     {"overwrite_home": True}, {"transport": "tcp"}], indirect=True,
                         ids=["int", "legacy-request", "lost-item", "home-overwritten", "tcp"])
def test_round_trip_ardupilot(vehicle, bridge_plan):
    r = upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.5, connect_timeout_s=5)
    assert r.same, r.differences
    assert r.sent == r.received == len(bridge_plan.items) + 1  # + home at seq 0
    assert len(vehicle.mission) == r.sent


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"duplicate_request": True}], indirect=True)
def test_late_duplicate_item_is_not_a_refusal(vehicle, bridge_plan):
    # ArduPilot asks again for an item it has not had within 1 s; both requests are answered, and the
    # second copy, out of sequence, gets MISSION_ACK MAV_MISSION_INVALID_SEQUENCE while the upload goes
    # on (the mission protocol: out-of-sequence messages are recoverable). It aborted the upload:
    # 'refused the mission with MAV_MISSION_INVALID_SEQUENCE (13) at item 1'
    r = upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.5, connect_timeout_s=5)
    assert r.same, r.differences
    assert len(vehicle.mission) == r.sent == len(bridge_plan.items) + 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"lose_final_ack": True}], indirect=True)
def test_a_lost_final_ack_is_settled_by_the_read_back(vehicle, bridge_plan):
    # every item went up but the vehicle's MISSION_ACK was lost: the upload failed with 'no
    # MISSION_REQUEST/ACK after 5 retries (items started). Check the link' although the vehicle held the
    # mission. The download and comparison that follow every upload now decide, and say the ACK was missing
    r = upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.3, connect_timeout_s=5)
    assert r.same and not r.acknowledged, r.differences
    assert len(vehicle.mission) == r.sent == r.received == len(bridge_plan.items) + 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"overwrite_home": True, "autopilot": "px4"}], indirect=True)
def test_px4_round_trip_has_no_home_and_catches_changes(vehicle, bridge_plan_px4):
    r = upload_and_verify(vehicle.gcs_url, bridge_plan_px4.items, bridge_plan_px4.home_lat_lon_alt, "px4",
                          timeout_s=0.5, connect_timeout_s=5)
    assert r.sent == len(bridge_plan_px4.items)
    assert not r.same and r.differences[0].startswith("item 0")  # PX4 item 0 is the take-off, not home
    assert len(with_home(bridge_plan_px4.items, bridge_plan_px4.home_lat_lon_alt, "px4")) == r.sent


@pytest.mark.timeout(15)
def test_silent_link_fails_in_bounded_time():
    with pytest.raises(TelemetryError, match="no HEARTBEAT"):
        connect(f"udpout:127.0.0.1:{free_port()}", timeout_s=1.0)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"autopilot": "ardupilot"}, {"autopilot": "px4"}], indirect=True,
                         ids=["px4-plan-to-ardupilot", "ardupilot-plan-to-px4"])
def test_plan_for_the_other_autopilot_refused_before_sending(vehicle, bridge_plan, bridge_plan_px4):
    # a PX4 plan went up to an ArduPilot vehicle 'identical': ArduPilot keeps item 0 as home, so the
    # take-off was dropped and no CONDITION_YAW turned the camera to the face
    plan, runs = (bridge_plan_px4, "ArduPilot") if vehicle.mav_autopilot == 3 else (bridge_plan, "PX4")
    with pytest.raises(TelemetryError, match=rf"expected a vehicle running .*, got {runs} \(its HEARTBEAT\).*"
                                             rf"nothing was sent. Plan again with --autopilot {runs.lower()}"):
        upload_and_verify(vehicle.gcs_url, plan.items, plan.home_lat_lon_alt, plan.autopilot,
                          timeout_s=0.5, connect_timeout_s=5)
    assert vehicle.mission == []


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"gimbal_heartbeat": True}], indirect=True)
def test_upload_targets_the_autopilot_not_a_gimbal(vehicle, bridge_plan):
    # the gimbal's HEARTBEAT (component 154) came first and the mission was sent to it: never answered,
    # 'no MISSION_REQUEST/ACK after 5 retries. Check the link'
    r = upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.5, connect_timeout_s=5)
    assert r.same and len(vehicle.mission) == r.sent == len(bridge_plan.items) + 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle, match", [
    ({"max_items": 100}, r"refused the mission with MAV_MISSION_NO_SPACE \(4\)\. The vehicle cannot store 323 items"),
    ({"unsupported": (1000,)}, (r"MAV_MISSION_UNSUPPORTED \(3\) at item 3 \(DO_GIMBAL_MANAGER_PITCHYAW\)\. "
                                r"The firmware does not know that command .*ArduPilot 4.3")),
], indirect=["vehicle"], ids=["no-space", "gimbal-manager-unsupported"])
def test_refusal_named_with_its_item_and_fix(vehicle, match, bridge_plan):
    # read "vehicle refused with MAV_MISSION_RESULT 3. Check the mission size and commands ..."
    with pytest.raises(TelemetryError, match=match):
        upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.5, connect_timeout_s=5)


def test_serial_link_without_pyserial_says_so(monkeypatch):
    # said "cannot open (No module named 'serial'). Use udpout:HOST:PORT, tcp:HOST:PORT or a serial device"
    import builtins

    real_import = builtins.__import__

    def no_serial(name, *args, **kwargs):
        if name == "serial" or name.startswith("serial."):
            raise ModuleNotFoundError("No module named 'serial'", name="serial")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_serial)
    with pytest.raises(TelemetryError, match=r"--connect /dev/ttyACM9: expected pyserial for a serial link.*"
                                             r"pip install pyserial"):
        connect("/dev/ttyACM9", timeout_s=1.0)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"lose_final_ack": True}], indirect=True)
def test_upload_cli_says_the_ack_was_missing(vehicle, bridge_plan, tmp_path):
    from typer.testing import CliRunner

    from missions.planning.export import write_all

    from .test_cli_and_patterns import app

    plan_file = write_all(bridge_plan, tmp_path / "out")[0]
    r = CliRunner().invoke(app, ["upload", str(plan_file), "--connect", vehicle.gcs_url, "--timeout-s", "0.3"])
    said = " ".join(r.output.split())
    assert r.exit_code == 0 and "identical" in said and "MISSION_ACK for the upload never arrived" in said, r.output


def _sitl_read_back() -> list:
    from pymavlink import mavutil

    conn = mavutil.mavlink_connection(str(FIXTURES / "sitl_readback.tlog"))
    got = []
    while (msg := conn.recv_match(type="MISSION_ITEM_INT")) is not None:
        got.append(from_item_int(msg))
    return got


def test_arducopter_read_back_compares_equal_to_the_upload():
    """ArduCopter 4.7 SITL's own read-back of the facade mission it flew (its MISSION_ITEM_INT replies,
    copied from shared/data/telemetry/arducopter_sitl_facade/flight.tlog) against the mission uploaded
    (mission.waypoints). ArduPilot returns every command it stores no location for (CONDITION_YAW,
    DO_CHANGE_SPEED, the gimbal, the trigger, RTL) with frame 0 whatever frame it went up with
    (AP_Mission::mission_cmd_to_mavlink_int sets a frame only for location commands): the comparison
    reported 9 of 18 items different, so `skyinspect upload` failed on every ArduPilot vehicle."""
    items, home = read_waypoints(FIXTURES / "mission.waypoints")
    sent, got = with_home(items, home, "ardupilot"), _sitl_read_back()
    assert len(got) == len(sent) == 19 and [g.frame for g in got].count(0) == 10  # home + 9 DO/RTL items
    assert compare(sent, got, skip_home=True) == ()
    # a real change is still caught: a waypoint 0.5 m lower, or flown above sea level instead of home
    lower = MissionItem(got[5].command, got[5].frame, got[5].params[:6] + (got[5].params[6] - 0.5,))
    amsl = MissionItem(got[5].command, 0, got[5].params)
    for changed in (lower, amsl):
        assert [d.split(":")[0] for d in compare(sent, got[:5] + [changed] + got[6:], skip_home=True)] == ["item 5"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"ardupilot_storage": True}], indirect=True)
def test_round_trip_through_ardupilots_mission_storage(vehicle, bridge_plan):
    # a vehicle that stores the items as AP_Mission does (loopback.py: frame 0 for commands without a
    # location, altitudes in whole centimetres, the stop-and-shoot DO_DIGICAM_CONTROL's x as an integer):
    # the example bridge's read-back differed in 284 of 323 items
    r = upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.5, connect_timeout_s=5)
    assert r.same, r.differences[:5]
    assert r.sent == r.received == len(bridge_plan.items) + 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"autopilot": "px4", "px4_storage": True}], indirect=True)
def test_px4_takes_the_whole_mission(vehicle, bridge_plan_px4):
    # PX4 takes NAV_RETURN_TO_LAUNCH only in MAV_FRAME_MISSION (MavlinkMissionManager::
    # parse_mavlink_mission_item: its global-frame branch has no RTL case, so MAV_MISSION_UNSUPPORTED).
    # The plans' RTL went up in frame 3, and PX4 refused every mission at its last item, whether sent
    # by `skyinspect upload` or by QGroundControl, which sends the frame the .plan gives.
    rtl = bridge_plan_px4.items[-1]
    assert rtl.command == 20 and rtl.frame == 2
    r = upload_and_verify(vehicle.gcs_url, bridge_plan_px4.items, bridge_plan_px4.home_lat_lon_alt, "px4",
                          timeout_s=0.5, connect_timeout_s=5)
    assert len(vehicle.mission) == r.sent == len(bridge_plan_px4.items)
    assert r.same, r.differences[:3]  # read back in the *_INT frames, yaw through float radians


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"unsupported": (195, 197), "ardupilot_storage": True}], indirect=True)
def test_ring_orbits_upload_to_arducopter_before_4_7(vehicle, bridge_plan, bridge_plan_px4):
    # ArduCopter takes DO_SET_ROI_LOCATION / DO_SET_ROI_NONE as mission items only since ArduPilot PR
    # 29567 (merged 2025-03 into master, 4.7-dev; issue 28505: as a mission item it 'returns
    # MAV_RESULT_UNSUPPORTED'). Copter 4.3-4.6 refused the example bridge (round pier P2's rings) with
    # MAV_MISSION_UNSUPPORTED at the first ring's ROI. ArduPilot plans now point the rings with
    # DO_SET_ROI (201), taken since Copter 3.2, and free the camera with DO_SET_ROI at 0, 0, 0
    # (ModeAuto::do_roi: an all-zero location cancels the ROI); PX4 plans keep the current commands.
    cmds = {it.command for it in bridge_plan.items}
    assert 201 in cmds and not cmds & {195, 197}
    assert {195, 197} <= {it.command for it in bridge_plan_px4.items}
    r = upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.5, connect_timeout_s=5)
    assert r.same, r.differences[:3]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"ack_at": (5, 15), "ardupilot_storage": True}], indirect=True)
def test_an_upload_cut_short_says_the_vehicle_holds_a_mixed_mission(vehicle, bridge_plan, bridge_plan_px4):
    # ArduPilot cuts its mission to the new count at MISSION_COUNT and stores each item as it arrives: an upload
    # cancelled at item 5 (its 8-s timeout on a lossy link) leaves items 0-4 of this plan and the old mission's
    # from 5 on. The refusal read 'OPERATION_CANCELLED (15) at item 5 (...). Check that item against the commands
    # and ranges the autopilot supports': the item was fine, and nothing said the mission on board was now mixed
    old = with_home(bridge_plan_px4.items, bridge_plan.home_lat_lon_alt, "ardupilot")  # an earlier mission
    vehicle.mission = [_as_msg(k, it) for k, it in enumerate(old)]
    with pytest.raises(TelemetryError) as err:
        upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.5, connect_timeout_s=5)
    said = str(err.value)
    assert "MAV_MISSION_OPERATION_CANCELLED (15)" in said and "gave up waiting" in said, said
    assert "items 0-4 of this plan" in said and "do not fly it in AUTO" in said, said
    sent = with_home(bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot")
    assert len(old) < len(sent) and len(vehicle.mission) == len(old)  # the mix the message describes:
    assert [m.command for m in vehicle.mission[:5]] == [it.command for it in sent[:5]]  # new 0-4,
    assert [(m.command, m.x, m.y) for m in vehicle.mission[5:]] == [(m.command, m.x, m.y) for m in  # then the old
                                                                     (_as_msg(k, it) for k, it in enumerate(old))][5:]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"ack_at": (-1, 14)}], indirect=True)
def test_a_denied_upload_names_the_other_ground_station(vehicle, bridge_plan):
    with pytest.raises(TelemetryError) as err:
        upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.5, connect_timeout_s=5)
    said = str(err.value)
    assert "MAV_MISSION_DENIED (14)" in said and "another ground station" in said, said
    assert "AUTO" not in said  # nothing was stored: the vehicle's mission is as it was


def _as_msg(seq, it):  # type: ignore[no-untyped-def]
    from pymavlink.dialects.v20 import ardupilotmega as mav

    from missions.planning.upload import to_int_fields

    x, y = to_int_fields(it)
    p = it.params
    return mav.MAVLink_mission_item_int_message(1, 1, seq, it.frame, it.command, 0, int(it.autocontinue),
                                                p[0], p[1], p[2], p[3], x, y, p[6], 0)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"list_ack": 14}], indirect=True)
def test_a_refused_read_back_says_what_the_vehicle_said(vehicle, bridge_plan):
    # ArduPilot answers MISSION_REQUEST_LIST with MISSION_ACK MAV_MISSION_DENIED while another ground station
    # uploads to it: the read-back waited for a MISSION_COUNT 6 times and said 'no MISSION_COUNT after 5
    # retries. Check the link', blaming a link that had just carried the whole upload
    with pytest.raises(TelemetryError) as err:
        upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot",
                          timeout_s=0.5, connect_timeout_s=5)
    said = str(err.value)
    assert "mission download: the vehicle refused to send its mission with MAV_MISSION_DENIED (14)" in said, said
    assert "another ground station" in said and "not read back" in said and "Check the link" not in said, said
    assert len(vehicle.mission) == len(bridge_plan.items) + 1  # the upload itself went through


@pytest.mark.timeout(30)
@pytest.mark.parametrize("vehicle", [{"fence_supported": False}], indirect=True)
def test_a_fence_read_from_a_vehicle_without_one_names_it(vehicle):
    # a build without fences answers every MAV_MISSION_TYPE_FENCE message with MAV_MISSION_UNSUPPORTED
    # (GCS_MAVLINK: no protocol for the mission type); the read-back said 'no MISSION_COUNT ... Check the link'
    from missions.planning.upload import download

    conn = connect(vehicle.gcs_url, 5)
    try:
        with pytest.raises(TelemetryError) as err:
            download(conn, 0.3, mission_type=1)
    finally:
        conn.close()
    said = str(err.value)
    assert "fence download: the vehicle refused to send its fence with MAV_MISSION_UNSUPPORTED (3)" in said, said
    assert "no fence over the mission protocol" in said, said
