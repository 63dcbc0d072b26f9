"""A JSON calibration that holds no object (null, a number, a list, a string) is refused as the YAML reader
refuses one: 'expected a mapping of calibration keys'. Found fuzzing CameraModel.load (Hypothesis, values
replaced): `null` or a number was a TypeError traceback ("argument of type 'NoneType' is not iterable") out
of `skyinspect onboard --camera`; a list or string was said to miss every key."""

from __future__ import annotations

from pathlib import Path

import pytest

from skyinspect.camera import CameraModel
from skyinspect.errors import CalibrationError


@pytest.mark.parametrize("text, kind", [("null", "null"), ("42", "number"), ("[55, 0, 31.5]", "list"),
                                        ('"camera.yaml"', "string")])
def test_a_json_calibration_that_is_no_object_is_refused_by_name(tmp_path: Path, text: str, kind: str) -> None:
    path = tmp_path / "cam.json"
    path.write_text(text)
    with pytest.raises(CalibrationError, match=rf"cam\.json: expected a mapping of calibration keys, got a JSON "
                                               rf"{kind}"):
        CameraModel.load(path)
