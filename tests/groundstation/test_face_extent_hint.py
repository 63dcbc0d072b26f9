"""What `process` says when a face surface's extent is given the wrong way round, on the real ArduCopter
SITL facade scan (tests/data/telemetry/arducopter_sitl_facade: flight.tlog's CAMERA_FEEDBACK poses and
gimbal, the face from the data's geometry.json: a west-facing pier face 30 m long from its south end).

A face's u runs to the viewer's right when facing it, from its point: for this face, from the south end
towards the south, so the face is u_range_m [-30, 0]. Written [0, 30] (north of the point, the natural
reading of 'the face runs 30 m north'), 43 of 57 frames were 'not georeferenced' and process said only
'all: image centre ray meets the plane of face ... outside its extent (at u=-6.00 m, v=4.97 m)'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gs_fixtures import FACADE_CAMERA, write_record

from groundstation.pipeline import process
from skyinspect.pose import Pose
from skyinspect.surfaces.face import FaceSurface

# geometry.json: face_south_end, base 488.1 m AMSL, 30 m long, 20 m high, outward normal 270 deg
SOUTH_END = (47.397742, 8.545793064977508, 488.1)


def _face(u_range_m: tuple[float, float]) -> FaceSurface:
    return FaceSurface.vertical(*SOUTH_END, 270.0, u_range_m, 20.0, name="pier west face")


@pytest.fixture(scope="module")
def facade_record(tmp_path_factory: pytest.TempPathFactory, facade_poses: dict[int, Pose]) -> Path:
    """Every photo's pose, at the log's CAMERA_FOV_STATUS field of view (docs/georeferencing.md)."""
    poses = list(facade_poses.values())
    assert len(poses) == 57
    return write_record(tmp_path_factory.mktemp("facade") / "flight", [(p, []) for p in poses], FACADE_CAMERA)


def test_a_mirrored_face_extent_is_named_with_the_range_that_holds_the_views(facade_record: Path,
                                                                              tmp_path: Path) -> None:
    wrong = process(facade_record, tmp_path / "wrong", _face((0.0, 30.0)), progress=False)
    assert wrong.frames_not_georeferenced == 43  # the 14 on the end at u = 0 see a strip of [0, 30]
    text = wrong.why_not_georeferenced()
    assert "u runs to the viewer's right" in text and "towards the south" in text
    assert "u_range_m [-30, -0]" not in text and "u_range_m [-30, 0]" in text
    # the centres' span on the face's chart: the lanes' ends 0.0 and 28.3 m along the face (verification.txt),
    # their heights 5.0 (gimbal 0) to 15.6 m (lane 4, gimbal -10: 'axis hits face at 15.58')
    span = re.search(r"at u (-?[\d.]+) to (-?[\d.]+) m, v (-?[\d.]+) to (-?[\d.]+) m", text)
    assert span is not None
    assert [float(x) for x in span.groups()] == pytest.approx([-28.3, 0.0, 5.0, 15.6], abs=0.15)
    assert "holds 3 of 57 of them, the mirrored [-30, 0] 54" in text


def test_the_right_extent_georeferences_every_view_and_gives_no_hint(facade_record: Path, tmp_path: Path) -> None:
    right = process(facade_record, tmp_path / "right", _face((-30.0, 0.0)), progress=False)
    assert right.frames_georeferenced == 57 and right.why_not_georeferenced() == ""
    short = process(facade_record, tmp_path / "short", _face((-10.0, 0.0)), progress=False)
    assert short.frames_not_georeferenced > 0  # a face really shorter than the flight: no mirrored range holds it
    assert "u runs to the viewer's right" not in short.why_not_georeferenced()
