"""A surface set whose members are not surface objects (file names, as one might expect to list the faces'
own files, or numbers) is refused naming the file, the member and the fix. Found fuzzing load_surface
(Hypothesis, one value of a plane/face/cylinder/set file replaced): an AttributeError traceback ("'str'
object has no attribute 'get'") out of `skyinspect process --surface`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app
from skyinspect.errors import InputError
from skyinspect.surfaces.io import load_surface

FACE = {"surface": "face", "name": "north", "point": {"lat_deg": 47.0, "lon_deg": 8.0, "alt_msl_m": 500.0},
        "normal_enu": [0, 1, 0], "u_range_m": [-5, 5], "v_range_m": [0, 10]}


@pytest.mark.parametrize("members, said", [
    (["north.json"], r"surfaces\[0\] is a str \('north\.json'\), not a surface object"),
    ([FACE, 7], r"surfaces\[1\] is a int \(7\), not a surface object"),
    ("north.json", r"'surfaces' is a str, not a list of surface objects"),
])
def test_a_set_member_that_is_no_surface_object_is_refused_by_name(tmp_path: Path, members: object, said: str) -> None:
    path = tmp_path / "pier.json"
    path.write_text(json.dumps({"surface": "set", "name": "pier", "surfaces": members}))
    with pytest.raises(InputError, match=rf"pier\.json: .*{said}"):
        load_surface(path)


def test_process_refuses_it_with_exit_2_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "pier.json"
    path.write_text(json.dumps({"surface": "set", "surfaces": ["north.json"]}))
    (tmp_path / "flight").mkdir()
    result = CliRunner().invoke(app, ["process", str(tmp_path / "flight"), "--out", str(tmp_path / "out"),
                                      "--surface", str(path)])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "pier.json" in said and "Traceback" not in said, said
