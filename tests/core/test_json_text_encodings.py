"""JSON inputs an operator writes (camera calibration, surface, truth GeoJSON) are read in the encodings
JSON allows and Windows tools write: UTF-8 with a byte-order mark (Notepad's "UTF-8 with BOM",
PowerShell's Set-Content -Encoding UTF8) and UTF-16 (PowerShell 5's `>` and Out-File). Found fuzzing
CameraModel.load (Hypothesis, one byte flipped): a byte that is no UTF-8 was a UnicodeDecodeError
traceback out of `skyinspect onboard --camera` (exit 1); a calibration with a BOM was refused as
'not valid JSON (Unexpected UTF-8 BOM)', a UTF-16 one was the traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skyinspect.camera import CameraModel
from skyinspect.errors import CalibrationError, InputError
from skyinspect.surface import PlaneSurface

CAMERA = {"image_width": 64, "image_height": 48, "camera_matrix": [[55, 0, 31.5], [0, 55, 23.5], [0, 0, 1]],
          "distortion_coefficients": [0, 0, 0, 0, 0], "name": "Brücke cam"}
PLANE = {"surface": "plane", "point": {"lat_deg": 47.0, "lon_deg": 8.0, "alt_msl_m": 500.0}, "normal_enu": [0, 0, 1]}
TRUTH = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
    [[8.0, 47.0, 500.0], [8.00001, 47.0, 500.0], [8.00001, 47.00001, 500.0], [8.0, 47.0, 500.0]]]},
    "properties": {"class": "corrosion", "note": "Rost unter der Brücke"}}]}
ENCODINGS = {"utf-8-bom": "utf-8-sig", "utf-16": "utf-16", "utf-16-le-bom": "utf-16"}


def _written(path: Path, data: object, encoding: str) -> Path:
    path.write_bytes(json.dumps(data, ensure_ascii=False).encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_json_inputs_in_the_encodings_windows_writes_are_read(tmp_path: Path, encoding: str) -> None:
    from groundstation.evaluate import read_truth
    from skyinspect.surfaces.io import load_surface

    assert CameraModel.load(_written(tmp_path / "cam.json", CAMERA, encoding)).name == "Brücke cam"
    assert load_surface(_written(tmp_path / "surface.json", PLANE, encoding)).kind == "plane"
    assert len(read_truth(_written(tmp_path / "truth.geojson", TRUTH, encoding))) == 1


def test_json_that_is_no_unicode_text_is_refused_naming_the_byte(tmp_path: Path) -> None:
    from groundstation.evaluate import read_truth
    from skyinspect.surfaces.io import load_surface

    with pytest.raises(CalibrationError, match=r"cam\.json: expected UTF-8 JSON, got byte 0xfc at 155"):
        CameraModel.load(_written(tmp_path / "cam.json", CAMERA, "latin-1"))  # the 'ü' of Brücke
    plane = {**PLANE, "name": "Brücke"}
    with pytest.raises(InputError, match=r"surface\.json: expected UTF-8 JSON, got byte 0xfc"):
        load_surface(_written(tmp_path / "surface.json", plane, "latin-1"))
    with pytest.raises(InputError, match=r"^\S*surface\.json: expected UTF-8 JSON, got byte 0xfc"):
        PlaneSurface.load(tmp_path / "surface.json")  # said once, not wrapped in 'not a valid surface file'
    with pytest.raises(InputError, match=r"truth\.geojson: expected UTF-8 JSON, got byte 0xfc"):
        read_truth(_written(tmp_path / "truth.geojson", TRUTH, "latin-1"))
