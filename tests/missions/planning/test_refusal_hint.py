"""A plan the planner itself laid out too far from the faces for the site: its refusal said only the
rules' advice for a hand-made mission ("Move the waypoint away or raise the standoff"), which a `plan` user
cannot follow (no waypoint of theirs; a larger site.min_standoff_m only refuses more). The example bridge at
8 mm cracks on the DJI H20 zoom: the zoom at its widest gives the 4 mm/px at 18.6 m, where pier P1's east face
lanes reach pier P2 and its north face lanes the railway catenary keep-out."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app

from missions.planning import Requirement, get_camera, load_asset
from missions.planning.planner import plan_inspection
from missions.planning.safety import PlanRefusedError

BRIDGE = Path(__file__).resolve().parents[3] / "missions" / "examples" / "bridge.yaml"


def test_a_design_too_far_for_the_site_says_how_to_fly_closer():
    with pytest.raises(PlanRefusedError) as err:
        plan_inspection(load_asset(BRIDGE), get_camera("dji_h20_zoom"), Requirement(crack_width_mm=8.0))
    text = str(err.value)
    assert {r for r, _, _ in err.value.violations} == {"min_standoff", "keep_out"}, err.value.violations
    assert "the planner's passes fly 18.6 m from the structure" in text, text
    assert "4.00 mm/px" in text and "widest" in text, text
    assert "--crack-width-mm 4 flies them 9.3 m out" in text, text


def test_the_cli_prints_the_hint_and_the_narrower_crack_plans(tmp_path):
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["plan", str(BRIDGE), "--out", str(out), "--crack-width-mm", "8"])
    assert r.exit_code == 2 and "--crack-width-mm 4 flies them 9.3 m out" in " ".join(r.output.split()), r.output
    assert not out.exists() or not any(out.iterdir())
    r = CliRunner().invoke(app, ["plan", str(BRIDGE), "--out", str(out), "--crack-width-mm", "4"])
    assert r.exit_code == 0, r.output
