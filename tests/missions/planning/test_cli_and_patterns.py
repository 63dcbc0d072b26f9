"""`skyinspect plan` / `skyinspect upload` end to end, and the turbine and pipeline patterns."""

from __future__ import annotations

from dataclasses import replace

import pytest
import typer
from typer.testing import CliRunner

from skyinspect.cli import plan as plan_cli
from skyinspect.cli.main_errors import handle_errors

from missions.planning import Requirement, get_camera, load_asset, plan_inspection
from missions.planning.loopback import LoopbackVehicle, free_port
from missions.planning.mission import DO_DIGICAM_CONTROL, DO_SET_ROI, DO_SET_ROI_LOCATION, NAV_WAYPOINT

from .conftest import EXAMPLES

app = typer.Typer()
app.command("plan")(handle_errors(plan_cli.plan_command))
app.command("upload")(handle_errors(plan_cli.upload_command))
runner = CliRunner()


@pytest.mark.timeout(60)
def test_plan_then_upload(tmp_path):
    out = tmp_path / "out"
    r = runner.invoke(app, ["plan", str(EXAMPLES / "bridge.yaml"), "--crack-width-mm", "2.0", "--exposure-s", "0.0005",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["mission.kml", "mission.plan", "mission.waypoints", "preview.html"]
    v = LoopbackVehicle(free_port(), lifetime_s=20.0)
    v.start()
    v.ready.wait(5)
    try:
        r = runner.invoke(app, ["upload", str(out / "mission.plan"), "--connect", v.gcs_url, "--timeout-s", "0.5"])
    finally:
        v.stop()
        v.join(3)
    assert r.exit_code == 0, r.output
    assert "identical" in r.output
    # the plan's fence (site fence + the railway keep-out) goes up with it since session 22, and is said so
    assert "uploaded a fence of 8 points (1 inclusion, 1 exclusion polygons)" in " ".join(r.output.split())


@pytest.mark.parametrize("args, match", [
    (["--camera", "dji_p1_35mm"], "cannot reach GSD"),  # 0.3 mm cracks at 3 m with a 35 mm lens
    (["--autopilot", "inav"], "--autopilot"),
    (["--camera", "nope"], "--camera"),
])
def test_refusals_write_nothing(tmp_path, args, match):
    out = tmp_path / "out"
    r = runner.invoke(app, ["plan", str(EXAMPLES / "bridge.yaml"), "--out", str(out)] + args)
    assert r.exit_code == 2 and match in r.output.replace("\n", " "), r.output
    assert not out.exists()


def test_out_that_is_a_file_refused_before_planning(tmp_path, monkeypatch):
    # was refused only after planning and the coverage check (minutes on fine cracks), as
    # "cannot create the output folder ([Errno 17] File exists: ...)" with no fix
    from missions.planning import planner

    monkeypatch.setattr(planner, "plan_flights", lambda *a, **k: pytest.fail("planned before checking --out"))
    out = tmp_path / "mission.plan"
    out.write_text("old")
    for target, got in ((out, "a file"), (out / "sub", f"a file at {out}")):
        r = runner.invoke(app, ["plan", str(EXAMPLES / "bridge.yaml"), "--out", str(target)])
        assert r.exit_code == 2, r.output
        assert f"--out {target}: expected a folder, got {got}. Give a new or existing folder" in \
            r.output.replace("\n", ""), r.output
    assert out.read_text() == "old"


@pytest.mark.parametrize("value", ["0", "-1"])
def test_upload_timeout_must_be_positive(tmp_path, value):
    # was 'no MISSION_REQUEST/ACK after 5 retries (count not answered). Check the link' with a vehicle answering
    r = runner.invoke(app, ["upload", str(tmp_path / "mission.plan"), "--connect", "udpout:127.0.0.1:9",
                            "--timeout-s", value])
    assert r.exit_code == 2 and f"--timeout-s: expected seconds in (0, 600), got {value}" in r.output, r.output


def test_turbine_tower_and_blades():
    plan = plan_inspection(load_asset(EXAMPLES / "wind_turbine.yaml"), get_camera("dji_h20_zoom"),
                           Requirement(crack_width_mm=8.0, exposure_s=0.0005))
    names = {p.name.split(" station")[0] for p in plan.passes}
    assert any(n.startswith("tower helix turn") for n in names)
    for k in (1, 2, 3):
        assert any(n.startswith(f"blade {k} front") for n in names)
        assert any(n.startswith(f"blade {k} back") for n in names)
    cmds = [it.command for it in plan.items]
    assert DO_DIGICAM_CONTROL in cmds and not {DO_SET_ROI, DO_SET_ROI_LOCATION} & set(cmds)  # helix: heading per station
    rings = plan_inspection(replace(load_asset(EXAMPLES / "wind_turbine.yaml"), orbit_pattern="rings"),
                            get_camera("dji_h20_zoom"), Requirement(crack_width_mm=8.0, exposure_s=0.0005))
    assert any(p.name.startswith("tower ring") for p in rings.passes)
    assert DO_SET_ROI in [it.command for it in rings.items]  # ArduPilot: DO_SET_ROI (MAV_ROI_LOCATION)


def test_pipeline_corridor_two_lines():
    plan = plan_inspection(load_asset(EXAMPLES / "pipeline.geojson"), get_camera("dji_h20_zoom"),
                           Requirement(crack_width_mm=3.0, exposure_s=0.0005))
    lines = {p.name.split(" ch ")[0] for p in plan.passes}
    assert lines == {"line 1", "line 2"}
    assert any("ch 50-100 m" in p.name for p in plan.passes)  # chainage every 50 m
    assert all(g == -45.0 for p in plan.passes for g in p.gimbal_pitch_deg)
    assert sum(1 for it in plan.items if it.command == NAV_WAYPOINT) > 10


@pytest.mark.timeout(120)
def test_turbine_blades_round_a_side_the_camera_cannot_see():
    """Blade 2's edge A would need the camera to look up 60 deg and is not flown; the move from its
    front to its back went straight through the blade (refused at every crack width under 6 mm,
    "passes 7.95 m from blade 2"). It now rounds the blade corner by corner through that side."""
    from missions.planning.planner import plan_flights

    flights = plan_flights(load_asset(EXAMPLES / "wind_turbine.yaml"), get_camera("dji_h20_zoom"),
                           Requirement(crack_width_mm=4.0))
    # 3 flights since the estimate lands at the autopilot's land speeds (27.7, 29.3, 3.8 min; 2 before), of 1,067,
    # 881 and 36 items with home; 4 since flights also fit ArduCopter's 650 stored items (587, 586, 617, 203)
    assert len(flights) == 4 and all("min_standoff" in p.checks_passed for p in flights)
    assert [len(p.items) + 1 for p in flights] == [587, 586, 617, 203]
    assert any("blade 2 edge A: camera would look up" in n for n in flights[0].notes)
    import math

    import numpy as np

    back = next(ps for p in flights for ps in p.passes if ps.name == "blade 2 back")
    blade2 = next(s for s in flights[0].solids if s.name == "blade 2")
    half = flights[0].asset.blade_max_chord_m / 2
    corner = math.sqrt(2) * (half + flights[0].design.standoff_m) - half  # two sides' offsets together
    # the two corners through the unflown side, at the standoff from both sides it joins (a generic
    # detour went round 3.7 m wider and 12 m longer)
    assert [round(float(blade2.distance_m(np.asarray(v)[None])[0]), 2) for v in back.via_ned] == \
        [round(corner, 2)] * 2
