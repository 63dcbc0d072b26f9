"""Fixtures of the ground-station tests (helpers live in gs_fixtures.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the helpers module, whatever pytest's import mode
from gs_fixtures import FLY_HEIGHT_M, Defect, corrosion_on_face, crack_on_face, face_flight

from skyinspect.pose import Pose


@pytest.fixture()
def two_defect_flight(tmp_path: Path) -> tuple[Path, list[Defect]]:
    defects = [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1), corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)]
    untagged = (Pose.untagged(1.7e9 + 99, "telemetry gap 4.2 s"), [])
    return face_flight(tmp_path / "flight", defects, extra=[untagged]), defects
