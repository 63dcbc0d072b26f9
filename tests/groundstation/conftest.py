"""Fixtures of the ground-station tests (helpers live in gs_fixtures.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helpers module, whatever pytest's import mode
from gs_fixtures import FLY_HEIGHT_M, Defect, corrosion_on_face, crack_on_face, face_flight, face_surface

from skyinspect.pose import Pose


@pytest.fixture(scope="module")
def reg_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The registry of the three example assets (missions/examples): bridge, gasline pipeline, turbine t1."""
    from groundstation.registry import build_registry

    examples = Path(__file__).resolve().parents[2] / "missions" / "examples"
    out = tmp_path_factory.mktemp("reg") / "registry.gpkg"
    build_registry([(examples / "bridge.yaml", "bridge"), (examples / "pipeline.geojson", "gasline"),
                    (examples / "wind_turbine.yaml", "t1")], out)
    return out


@pytest.fixture(scope="module")
def reg(reg_path: Path) -> Any:
    from groundstation.registry import Registry

    return Registry.read(reg_path)  # tests work from the GeoPackage alone


@pytest.fixture()
def two_defect_flight(tmp_path: Path) -> tuple[Path, list[Defect]]:
    defects = [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1), corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)]
    untagged = (Pose.untagged(1.7e9 + 99, "telemetry gap 4.2 s"), [])
    return face_flight(tmp_path / "flight", defects, extra=[untagged]), defects


@pytest.fixture(scope="session")
def face_processed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The two-defect face flight (a crack and a rust patch) processed onto the test face once a session:
    (process's summary, the results folder). Tests read it; one that changes a file copies it first."""
    from groundstation.pipeline import process

    tmp = tmp_path_factory.mktemp("face_processed")
    defects = [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1), corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)]
    summary = process(face_flight(tmp / "flight", defects), tmp / "out", face_surface(), progress=False)
    return summary, tmp / "out"


@pytest.fixture(scope="session")
def facade_poses() -> dict[int, Pose]:
    """The real ArduCopter SITL facade scan's 57 CAMERA_FEEDBACK poses by photo number (1-57), its flight.tlog
    read once a session (test_face_extent_hint, test_facade_without_surface had each parsed it)."""
    from gs_fixtures import FACADE_TLOG

    from onboard.telemetry import TelemetryBuffer

    buffer = TelemetryBuffer.from_tlog(FACADE_TLOG)
    return {e.img_idx: buffer.pose_for_event(e) for e in buffer.camera_events()}
