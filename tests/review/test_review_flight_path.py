"""Where the review app finds the flight's images: inspection.json names the record by an absolute path
(a relative one, as typed to `process`, was looked up from wherever `serve` ran: no views, no word),
a record that is not there is said at start, and a --flight that is not a record is refused."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundstation.review.data import ResultsData
from skyinspect.errors import InputError


def test_inspection_json_names_the_flight_absolutely(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gs_fixtures import FLY_HEIGHT_M, crack_on_face, face_flight, face_surface

    from groundstation.pipeline import process

    face_flight(tmp_path / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1)])
    monkeypatch.chdir(tmp_path)
    process(Path("flight"), Path("results"), face_surface(), progress=False)  # relative, as typed
    named = json.loads((tmp_path / "results" / "inspection.json").read_text())["flight"]
    assert Path(named).is_absolute() and Path(named) == (tmp_path / "flight").resolve()
    monkeypatch.chdir(os.sep)  # serve started from elsewhere still finds the views
    data = ResultsData.open(tmp_path / "results")
    assert data.frames and not data.flight_not_found


def test_a_moved_record_is_said_and_a_wrong_flight_refused(results: Path, tmp_path: Path) -> None:
    meta = json.loads((results / "inspection.json").read_text())
    moved = tmp_path / "moved-flight"
    shutil.copytree(meta["flight"], moved)
    meta["flight"] = str(tmp_path / "gone")
    (results / "inspection.json").write_text(json.dumps(meta))
    data = ResultsData.open(results)
    assert not data.frames and data.flight_not_found == str(tmp_path / "gone")
    assert ResultsData.open(results, moved).frames
    with pytest.raises(InputError, match=r"nothere: not a flight record"):
        ResultsData.open(results, tmp_path / "nothere")


def test_serve_refuses_a_flight_that_is_not_a_record(results: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from skyinspect.cli.main import app

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the app was started")

    monkeypatch.setattr(uvicorn, "run", never)
    out = CliRunner().invoke(app, ["serve", str(results), "--flight", str(tmp_path / "nothere"), "--port", "8765"])
    assert out.exit_code == 2 and "nothere: not a flight record" in " ".join(out.output.split()), out.output
