"""Shared fixtures: the example bridge planned once (1.5 mm cracks keep it small: 80 photos)."""

from __future__ import annotations

from pathlib import Path

import pytest

from missions.planning import Requirement, get_camera, load_asset, plan_inspection

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "missions" / "examples"
FIXTURES = ROOT / "tests" / "data" / "missions"
FAST = Requirement(crack_width_mm=1.5, exposure_s=0.0005)


@pytest.fixture(scope="session")
def bridge():
    return load_asset(EXAMPLES / "bridge.yaml")


@pytest.fixture(scope="session")
def bridge_plan(bridge):
    return plan_inspection(bridge, get_camera("dji_h20_zoom"), FAST, "ardupilot")


@pytest.fixture(scope="session")
def bridge_plan_px4(bridge):
    return plan_inspection(bridge, get_camera("dji_h20_zoom"), FAST, "px4")
