"""`upload` on a link that carries more than one vehicle's autopilot (a router shared by two vehicles) refuses to
guess which one gets the mission, and ``--system-id`` chooses it."""

from __future__ import annotations

import pytest

from skyinspect.errors import TelemetryError

from missions.planning.upload import upload_and_verify


@pytest.mark.timeout(60)
@pytest.mark.parametrize("vehicle", [{"other_vehicle": 7}], indirect=True)
def test_two_autopilots_on_the_link_are_named_and_nothing_is_sent(vehicle, bridge_plan) -> None:
    # Before: the mission went to whichever HEARTBEAT came first, here system 7 (which never answers):
    # 'mission upload: no MISSION_REQUEST/ACK after 5 retries (count not answered). Check the link'.
    with pytest.raises(TelemetryError) as err:
        upload_and_verify(vehicle.gcs_url, bridge_plan.items, bridge_plan.home_lat_lon_alt, "ardupilot", timeout_s=0.3)
    said = str(err.value)
    assert "systems 1 and 7" in said and "--system-id" in said and "nothing was sent" in said, said
    assert vehicle.mission == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("vehicle", [{"other_vehicle": 7}], indirect=True)
def test_system_id_chooses_the_vehicle(vehicle, bridge_plan, tmp_path) -> None:
    from typer.testing import CliRunner

    from missions.planning.export import write_all

    from .test_cli_and_patterns import app

    plan_file = write_all(bridge_plan, tmp_path / "out")[0]
    r = CliRunner().invoke(app, ["upload", str(plan_file), "--connect", vehicle.gcs_url, "--system-id", "1",
                                 "--timeout-s", "0.5"])
    said = " ".join(r.output.split())
    assert r.exit_code == 0 and "identical" in said and "system 1" in said, r.output
    assert len(vehicle.mission) == len(bridge_plan.items) + 1  # ArduPilot's home first


@pytest.mark.timeout(60)
@pytest.mark.parametrize("vehicle", [{"other_vehicle": 7, "other_vehicle_late": True}], indirect=True)
def test_a_vehicle_heard_only_during_the_upload_is_warned_of(vehicle, bridge_plan, tmp_path) -> None:
    # Its HEARTBEAT came after the first vehicle's had been taken: the plan went to the first; say so.
    from typer.testing import CliRunner

    from missions.planning.export import write_all

    from .test_cli_and_patterns import app

    plan_file = write_all(bridge_plan, tmp_path / "out")[0]
    r = CliRunner().invoke(app, ["upload", str(plan_file), "--connect", vehicle.gcs_url, "--timeout-s", "0.5"])
    said = " ".join(r.output.split())
    assert r.exit_code == 0 and "to system 1 at" in said, r.output
    assert "the autopilot of system 7 was heard on this link too" in said and "--system-id" in said, r.output
