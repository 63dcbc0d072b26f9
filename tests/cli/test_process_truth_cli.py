"""`skyinspect process --truth`: a missing or wrong truth file is refused before anything is written
(it was read only after every product had been written, then the command failed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gs_fixtures import FLY_HEIGHT_M, crack_on_face, face_flight, face_surface
from typer.testing import CliRunner

from skyinspect.cli.main import app


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("truth_cli")
    surface = tmp / "surface.json"
    face_surface().save(surface)
    return face_flight(tmp / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1)]), surface


@pytest.mark.parametrize("content, expected", [
    (None, "file not found"),
    ({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2056"}},
      "features": []}, "declares its coordinates in"),
])
def test_a_bad_truth_file_is_refused_before_processing(site: tuple[Path, Path], tmp_path: Path,
                                                       content: dict[str, object] | None, expected: str) -> None:
    flight, surface = site
    truth = tmp_path / "truth.geojson"
    if content is not None:
        truth.write_text(json.dumps(content))
    result = CliRunner().invoke(app, ["process", str(flight), "--out", str(tmp_path / "res"), "--surface",
                                      str(surface), "--truth", str(truth)])
    flat = " ".join(result.output.split())
    assert result.exit_code == 2 and "truth.geojson" in flat and expected in flat, result.output
    assert not (tmp_path / "res").exists()
