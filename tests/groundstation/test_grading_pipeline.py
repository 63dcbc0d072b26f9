"""The grade stage in the pipeline: grade + clause in every product; resumable like the other stages."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from gs_fixtures import Defect, face_surface

from groundstation.pipeline import STAGES, process


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight

    tmp = tmp_path_factory.mktemp("graded")
    defects: list[Defect] = [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1), corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)]
    folder = face_flight(tmp / "flight", defects)
    out = tmp / "out"
    return process(folder, out, face_surface(), progress=False), out, folder


def _by_class(out: Path) -> dict[str, dict]:
    feats = json.loads((out / "findings.geojson").read_text())["features"]
    return {f["properties"]["class"]: f["properties"] for f in feats}


def test_grade_stage_is_named_and_stored(graded) -> None:  # type: ignore[no-untyped-def]
    summary, out, _ = graded
    assert "grade" in STAGES and STAGES.index("grade") == STAGES.index("publish") - 1
    assert "grade" in summary.seconds_by_stage
    stored = json.loads((out / "stages" / "grades.json").read_text())
    assert stored["stage"] == "grade" and stored["data"]["profile"] == "rc_bridge"


def test_geojson_and_gpkg_carry_grade_and_clause(graded) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd

    _, out, _ = graded
    props = _by_class(out)
    crack = props["crack"]  # 4 mm wide: AASHTO 1130 CS3
    assert crack["grade"] == "CS3" and crack["grade_rule"] == "aashto-mbei-1130@2"
    assert "1.27 mm" in crack["grade_clause"] and crack["priority"] == 2 and crack["due_date"]
    rust = props["corrosion"]
    assert rust["grade"] == "CS2" and rust["grade_bound"] == "at_least" and "iso-4628-3@1" in rust["other_grades"]
    gdf = gpd.read_file(out / "findings.gpkg", layer="findings", engine="pyogrio")
    assert set(gdf["grade"]) == {"CS3", "CS2"} and gdf["grade_clause"].str.len().min() > 20


def test_map_and_reports_show_grade_and_clause(graded) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = graded
    html_map = (out / "map.html").read_text()
    assert "aashto-mbei-1130@2" in html_map and "wide cracks" in html_map
    report = (out / "report.html").read_text()
    assert "Prioritised actions" in report and "CS3 (aashto-mbei-1130@2)" in report and "wide cracks" in report
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils): PDF text not checked")
    text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "aashto-mbei-1130@2" in text and "Prioritised actions" in text
    for fid in json.loads((out / "inspection.json").read_text())["findings"]:
        assert fid in text


def test_grade_stage_is_reused_and_profile_change_regrades(graded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, out, folder = graded
    again = process(folder, out, face_surface(), progress=False)
    assert "grade" in again.stages_reused and "measure" in again.stages_reused
    psc = process(folder, out, face_surface(), progress=False, grading_profile="psc_bridge")
    assert "measure" in psc.stages_reused and "grade" not in psc.stages_reused
    assert _by_class(out)["crack"]["grade_rule"] == "aashto-mbei-1110@2"
    process(folder, out, face_surface(), progress=False)  # back to the default for the other tests
