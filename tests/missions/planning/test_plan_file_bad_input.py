"""A hand-edited .plan that cannot be sent is refused by name before `upload` opens the link.

Found by editing the bridge example's mission.plan as a user might: each case was a Python traceback
(AttributeError, TypeError, ValueError, struct.error), the value-range ones only after the vehicle had been
sent MISSION_COUNT and the first items of the upload."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app
from skyinspect.errors import InputError

from missions.planning.export import write_all
from missions.planning.fence import fence_from_qgc
from missions.planning.formats import load_qgc_plan, qgc_plan_mission
from missions.planning.loopback import free_port
from missions.planning.mission import NAV_WAYPOINT


def _first_waypoint(doc: dict[str, Any]) -> dict[str, Any]:
    return next(q for q in doc["mission"]["items"] if q["command"] == NAV_WAYPOINT)


def _set(where: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda doc: where(doc).__setitem__(key, value)


def _wp_param(i: int, value: object) -> Callable[[dict[str, Any]], None]:
    return lambda doc: _first_waypoint(doc)["params"].__setitem__(i, value)


def _fence_vertex(value: object) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc["geoFence"]["polygons"][0]["polygon"].__setitem__(0, value)


CASES = {  # edit -> what the message must say
    "home-text": (_set(lambda d: d["mission"], "plannedHomePosition", ["47.39", "8.54", "488"]),
                  r"mission.plannedHomePosition: expected \[latitude, longitude, altitude\]"),
    "home-null": (_set(lambda d: d["mission"], "plannedHomePosition", [None, 8.54, 488.0]),
                  r"mission.plannedHomePosition: expected"),
    "home-lat-300": (_set(lambda d: d["mission"], "plannedHomePosition", [300.0, 8.54, 488.0]),
                     r"mission.plannedHomePosition: expected"),
    "items-number": (_set(lambda d: d["mission"], "items", 5), r"mission.items: expected a list of items, got 5"),
    "items-null": (_set(lambda d: d["mission"], "items", None), r"mission.items: expected a list of items, got None"),
    "command-negative": (_set(_first_waypoint, "command", -1), r"mission.items\[\d+\].command: expected a MAV_CMD"),
    "command-too-big": (_set(_first_waypoint, "command", 70000), r"mission.items\[\d+\].command: expected a MAV_CMD"),
    "command-fraction": (_set(_first_waypoint, "command", 16.7), r"mission.items\[\d+\].command: expected a MAV_CMD"),
    "frame-too-big": (_set(_first_waypoint, "frame", 300), r"mission.items\[\d+\].frame: expected a MAV_FRAME"),
    "waypoint-lat-null": (_wp_param(4, None), r"mission.items\[\d+\].params\[4\]: expected a latitude"),
    "waypoint-lat-300": (_wp_param(4, 300.0), r"mission.items\[\d+\].params\[4\]: expected a latitude"),
    "waypoint-lon-inf": (_wp_param(5, 1e400), r"mission.items\[\d+\].params\[5\]: expected a longitude"),
    "fence-list": (_set(lambda d: d, "geoFence", [1]), r"geoFence: expected a mapping"),
    "fence-text": (_set(lambda d: d, "geoFence", "x"), r"geoFence: expected a mapping"),
    "polygons-number": (_set(lambda d: d["geoFence"], "polygons", 3), r"geoFence.polygons: expected a list"),
    "circles-mapping": (_set(lambda d: d["geoFence"], "circles", {"a": 1}), r"geoFence.circles: expected a list"),
    "vertex-bool": (_fence_vertex([True, 8.5]), r"geoFence.polygons\[0\].polygon\[0\]: expected \[latitude"),
    "circle-infinite": (_set(lambda d: d["geoFence"], "circles",
                             [{"circle": {"center": [47.3977, 8.5455], "radius": 1e400}, "inclusion": True}]),
                        r"geoFence.circles\[0\].circle.radius: expected a radius"),
}


@pytest.fixture(scope="module")
def plan_doc(bridge_plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("plan")
    write_all(bridge_plan, folder)
    doc = json.loads((folder / "mission.plan").read_text())
    assert doc["geoFence"]["polygons"], "the example plan carries a fence"
    return doc


def _edited(plan_doc: dict[str, Any], case: str, tmp_path: Path) -> Path:
    doc = json.loads(json.dumps(plan_doc))
    CASES[case][0](doc)
    path = tmp_path / f"{case}.plan"
    path.write_text(json.dumps(doc))  # Python writes 1e400 as Infinity, None as null
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_an_unsendable_plan_is_refused_by_name(plan_doc: dict[str, Any], case: str, tmp_path: Path) -> None:
    path = _edited(plan_doc, case, tmp_path)
    doc = load_qgc_plan(path)
    with pytest.raises(InputError, match=rf"{case}\.plan: {CASES[case][1]}"):
        qgc_plan_mission(doc, path)
        fence_from_qgc(doc, path)


def test_upload_refuses_before_the_link(plan_doc: dict[str, Any], tmp_path: Path) -> None:
    """Nothing listens on the port: a refusal that came only after connecting would say 'no HEARTBEAT'."""
    for case in ("waypoint-lat-null", "command-too-big", "fence-text"):
        path = _edited(plan_doc, case, tmp_path)
        result = CliRunner().invoke(app, ["upload", str(path), "--connect", f"udpout:127.0.0.1:{free_port()}"])
        said = " ".join(result.output.split())
        assert result.exit_code == 2, (case, said)
        assert f"{case}.plan" in said and "HEARTBEAT" not in said and "Traceback" not in said, (case, said)
