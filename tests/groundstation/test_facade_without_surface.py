"""`process` on a facade scan without --surface: the default ground plane at the take-off altitude. On the
real ArduCopter SITL facade scan (tests/data/telemetry/arducopter_sitl_facade: flight.tlog's 57
CAMERA_FEEDBACK poses, gimbal 0 / -3 / -7 / -10 deg by lane) the 42 tilted frames were georeferenced onto
the ground 98-172 m away at 0.70-4.10 m a pixel, and process said only that the 15 level ones missed it.
With every lane tilted (any gimbal pitch below 0), nothing at all was said."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gs_fixtures import FACADE_CAMERA as CAMERA
from gs_fixtures import pose_at, write_record

from groundstation.pipeline import process
from skyinspect.pose import Pose


@pytest.fixture(scope="module")
def tilted_lanes(tmp_path_factory: pytest.TempPathFactory, facade_poses: dict[int, Pose]) -> Path:
    """Lanes 2-4 of the scan (photos 16-57, gimbal -3, -7, -10 deg), every second photo."""
    poses = [p for i, p in facade_poses.items() if i > 15][::2]
    assert len(poses) == 21 and all(p.gimbal_pitch_deg < -2.9 for p in poses)
    return write_record(tmp_path_factory.mktemp("facade") / "flight", [(p, []) for p in poses], CAMERA)


def test_a_facade_scan_processed_without_its_surface_is_told_to_give_it(tilted_lanes: Path, tmp_path: Path) -> None:
    summary = process(tilted_lanes, tmp_path / "out", None, progress=False)
    assert summary.frames_georeferenced == 21 and summary.frames_not_georeferenced == 0
    note = summary.level_on_ground
    assert "21 of 21" in note and "below the horizon" in note
    assert "--surface" in note and "docs/georeferencing.md" in note
    assert "median 7.0 deg" in note  # the lanes' gimbal pitch: -3, -7, -10 deg


def test_the_command_line_says_it(tilted_lanes: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    result = CliRunner().invoke(app, ["process", str(tilted_lanes), "--out", str(tmp_path / "out")])
    flat = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "warning: 21 of 21 georeferenced frames met the default ground plane" in flat


def test_a_mapping_flight_on_the_default_ground_is_not_told(tmp_path: Path) -> None:
    """Nadir and 45-degree oblique photos of the ground: the default plane is what they looked at."""
    frames = [(pose_at(np.array([k * 2.0, 0.0, -40.0]), 0.0, pitch, t=1.7e9 + k), [])
              for k, pitch in enumerate((-90.0, -90.0, -45.0, -45.0))]
    summary = process(write_record(tmp_path / "f", frames, CAMERA), tmp_path / "out", None, progress=False)
    assert summary.frames_georeferenced == 4
    assert summary.level_on_ground == ""
