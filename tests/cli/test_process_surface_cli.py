"""`skyinspect process --surface FILE`: every surface kind the pipeline georeferences onto is read as
that kind (a face file was read as an infinite plane, its extent silently dropped; cylinders, DEMs and
sets were refused as "not a valid surface file"), and a nonsense surface file is refused before
anything is written, naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gs_fixtures import FLY_HEIGHT_M, crack_on_face, face_flight, face_surface
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def flight(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A camera 2 m west of the test face, one 0.3 m crack near the face's reference point."""
    tmp = tmp_path_factory.mktemp("surface_cli")
    return face_flight(tmp / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1)])


def _face_file(folder: Path, u_range_m: list[float], name: str) -> Path:
    data = face_surface().to_dict() | {"surface": "face", "name": name, "u_range_m": u_range_m,
                                       "v_range_m": [-5.0, 5.0]}
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def _findings(results: Path) -> int:
    return len(json.loads((results / "findings.geojson").read_text())["features"])


def test_a_face_file_keeps_its_extent(flight: Path, tmp_path: Path) -> None:
    covering = _face_file(tmp_path, [-5.0, 5.0], "covering")
    code, out = _run("process", str(flight), "--out", str(tmp_path / "on"), "--surface", str(covering))
    assert code == 0, out
    assert _findings(tmp_path / "on") == 1
    # the cameras look at the face's reference point; a face that starts 20 m along is missed by every
    # frame (read as an infinite plane it still held the crack)
    elsewhere = _face_file(tmp_path, [20.0, 30.0], "elsewhere")
    code, out = _run("process", str(flight), "--out", str(tmp_path / "off"), "--surface", str(elsewhere))
    assert code == 0, out
    assert _findings(tmp_path / "off") == 0
    assert "extent" in out


def test_a_surface_set_file_is_read(flight: Path, tmp_path: Path) -> None:
    surface_set = tmp_path / "set.json"
    surface_set.write_text(json.dumps({"surface": "set", "name": "pier",
                                       "surfaces": [face_surface().to_dict()]}))
    code, out = _run("process", str(flight), "--out", str(tmp_path / "res"), "--surface", str(surface_set))
    assert code == 0, out
    assert _findings(tmp_path / "res") == 1


@pytest.mark.parametrize("edit, expected", [
    ({"surface": "sphere"}, "unknown surface type 'sphere'"),
    ({"point": {"lat_deg": 470.0, "lon_deg": 8.5, "alt_msl_m": 498.0}}, "not a WGS84 position"),
])
def test_a_nonsense_surface_is_refused_naming_the_file(flight: Path, tmp_path: Path, edit: dict[str, object],
                                                       expected: str) -> None:
    bad = tmp_path / "surface.json"
    bad.write_text(json.dumps(face_surface().to_dict() | edit))
    code, out = _run("process", str(flight), "--out", str(tmp_path / "res"), "--surface", str(bad))
    flat = " ".join(out.split())
    assert code == 2 and "surface.json" in flat and expected in flat and "Traceback" not in out, out
    assert not (tmp_path / "res").exists()


def test_a_surface_file_holding_a_list_is_refused(flight: Path, tmp_path: Path) -> None:
    bad = tmp_path / "surface.json"
    bad.write_text(json.dumps([face_surface().to_dict()]))
    code, out = _run("process", str(flight), "--out", str(tmp_path / "res"), "--surface", str(bad))
    assert code == 2 and "surface.json" in out and "not a surface object" in " ".join(out.split()), out
    assert not (tmp_path / "res").exists()


@pytest.mark.parametrize("name, content", [("dsm.tif", None), ("fake.tif", "not a raster"),
                                           ("dem.json", '{"surface": "set", "surfaces": [{"surface": "dem", '
                                                        '"path": "gone.tif"}]}')])
def test_a_dem_that_cannot_be_read_leaves_no_results_folder(flight: Path, tmp_path: Path, name: str,
                                                             content: str | None) -> None:
    """The DEM was read only when georeferencing began, after the results folder had been created."""
    surface = tmp_path / name
    if content is not None:
        surface.write_text(content)
    code, out = _run("process", str(flight), "--out", str(tmp_path / "res"), "--surface", str(surface))
    assert code == 2 and "Traceback" not in out and ".tif" in out, out
    assert not (tmp_path / "res").exists()


def test_the_sitl_facade_geometry_file_is_refused_saying_what_a_surface_file_needs(flight: Path,
                                                                                    tmp_path: Path) -> None:
    """The real SITL facade scan's geometry.json (tests/data/telemetry/arducopter_sitl_facade) describes
    the face by its two ends, not as a surface file; passed as --surface it was refused with
    "not a valid surface file (KeyError: 'point')" and a pointer into the source code."""
    geometry = Path(__file__).resolve().parents[1] / "data" / "telemetry" / "arducopter_sitl_facade" / "geometry.json"
    code, out = _run("process", str(flight), "--out", str(tmp_path / "res"), "--surface", str(geometry))
    flat = " ".join(out.split())
    assert code == 2 and "geometry.json" in flat and "Traceback" not in out, out
    assert "KeyError" not in flat
    assert "no 'point'" in flat and "read as a plane" in flat and "normal_enu" in flat
    assert "face_south_end" in flat  # what the file holds instead
    assert "docs/georeferencing.md" in flat
    assert not (tmp_path / "res").exists()
