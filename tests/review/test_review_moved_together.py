"""A results folder moved together with its flight record (the folder holding both copied to a
laptop, as `skyinspect demo` lays them out: flight/ beside results/) still shows every view: the
record is looked for beside the results when the absolute path inspection.json names is gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, face_flight, processed_and_moved

from groundstation.review.data import ResultsData


def test_the_record_beside_the_moved_results_is_found_and_checked(tmp_path: Path) -> None:
    moved = processed_and_moved(tmp_path)
    data = ResultsData.open(moved / "results")
    # before: no views, "the flight record .../site/flight is not there ... pass --flight"
    assert data.frames and not data.flight_not_found
    assert data.view_crop(next(iter(data.findings)), 0) is not None
    # another flight of the same folder name beside it is not taken for this one
    other = tmp_path / "other"
    face_flight(other / "flight", [corrosion_on_face(0.3, FLY_HEIGHT_M)], n_frames=3)
    meta = json.loads((moved / "results" / "inspection.json").read_text())
    meta["start_time_utc_s"] += 3600.0  # another flight: it started an hour later
    meta["flight"] = str(tmp_path / "gone" / "flight")
    shutil.copytree(moved / "results", other / "results")
    (other / "results" / "inspection.json").write_text(json.dumps(meta))
    data = ResultsData.open(other / "results")
    assert not data.frames and data.flight_not_found
