"""Work orders, the report and the review app say where on its component a finding is (face, metres along
it from a named corner, metres above the base), not only latitude, longitude and height MSL. Expected values
are worked out from the fixture's own geometry: the pier's west face is the test face (east = 2 m), 6 m long
centred 0.1 m north of home, so its left end seen facing it (looking east) is its north end, 3.1 m north."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from groundstation.registry import build_registry
from groundstation.workorders import CSV_COLUMNS

OLD_COLUMNS = ("work_order_id", "asset_id", "component", "component_id", "finding_id", "defect", "grade", "rule",
               "clause", "priority", "due_date", "action", "description", "position", "evidence", "found_as")


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from gs_fixtures import FLY_HEIGHT_M, HOME, bridge_on_face, crack_on_face, face_flight, face_surface

    from groundstation.pipeline import process

    tmp = tmp_path_factory.mktemp("loc")
    asset = bridge_on_face(tmp, [(0.1, 6.0)])
    reg = tmp / "reg.gpkg"
    build_registry([(asset, "creek")], reg)
    # one crack on the pier (its west face), one 1.5 m north of the pier's end: on no component
    flight = face_flight(tmp / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1),
                                          crack_on_face(4.6, FLY_HEIGHT_M - 0.3)], n_frames=12, step_m=0.4)
    out = tmp / "out"
    process(flight, out, face_surface(), progress=False, registry=reg)
    import yaml

    ground = float(yaml.safe_load(asset.read_text())["site"]["ground_alt_msl_m"])
    return out, {"ground_msl": ground, "home_msl": HOME[2]}


def _rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "workorders.csv").read_text(encoding="utf-8-sig"))))


def test_new_columns_come_after_the_old_ones() -> None:
    assert CSV_COLUMNS[:len(OLD_COLUMNS)] == OLD_COLUMNS
    assert {"location", "face", "along_face_m", "above_base_m", "chainage_m"} <= set(CSV_COLUMNS[len(OLD_COLUMNS):])


def test_a_crack_on_a_pier_face_is_placed_on_that_face(processed: tuple[Path, dict]) -> None:
    out, geo = processed
    on = [r for r in _rows(out) if r["component_id"] == "creek/P1"]
    assert len(on) == 1, _rows(out)
    r = on[0]
    # the crack runs north from -0.1 m at 10.1 m above home; its centroid is mid-crack (0.05 m north)
    lat, lon, alt = (float(x) for x in r["position (lat, lon WGS84; alt m MSL)"].split(";")[0].split(","))
    assert r["face"] == "west face" and r["reference"].startswith("north-west corner")
    assert float(r["along_face_m"]) == pytest.approx(3.1 - 0.05, abs=0.05)
    assert float(r["above_base_m"]) == pytest.approx(alt - geo["ground_msl"], abs=0.01)
    assert float(r["above_base_m"]) == pytest.approx(geo["home_msl"] + 10.1 - geo["ground_msl"], abs=0.05)
    assert r["across_face_m"] == "" and r["chainage_m"] == ""
    assert "west face" in r["location"] and "m along" in r["location"]
    order = next(o for o in json.loads((out / "workorders.json").read_text())["work_orders"]
                 if o["finding_id"] == r["finding_id"])
    assert order["along_face_m"] == pytest.approx(float(r["along_face_m"]), abs=0.006)
    assert order["face"] == "west face"


def test_an_unassigned_finding_has_empty_cells_and_says_so(processed: tuple[Path, dict]) -> None:
    out, _ = processed
    off = [r for r in _rows(out) if not r["component_id"]]
    assert off, _rows(out)
    for r in off:
        assert r["location"].startswith("not assigned to a registry component")
        assert all(r[k] == "" for k in ("face", "along_face_m", "above_base_m", "chainage_m", "from_root_m"))


def test_the_report_cards_and_actions_give_the_location(processed: tuple[Path, dict]) -> None:
    out, _ = processed
    html = (out / "report.html").read_text()
    r = next(r for r in _rows(out) if r["component_id"] == "creek/P1")
    assert r["location"] in html.replace("&#x27;", "'")
    assert html.count(r["location"]) >= 2  # the finding's card and its action


def test_the_review_app_summary_gives_the_location(processed: tuple[Path, dict]) -> None:
    from groundstation.review.data import ResultsData

    out, _ = processed
    data = ResultsData.open(out)
    r = next(r for r in _rows(out) if r["component_id"] == "creek/P1")
    assert data.summary(r["finding_id"], None)["location"] == r["location"]


def test_the_pdf_report_gives_the_location(processed: tuple[Path, dict]) -> None:
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils): PDF text not checked")
    out, _ = processed
    text = " ".join(subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    r = next(r for r in _rows(out) if r["component_id"] == "creek/P1")
    assert f"{float(r['along_face_m']):.2f} m along" in text and "west face" in text
    assert "Where: pier P1: west face" in text


def test_the_gis_products_give_the_location(processed: tuple[Path, dict]) -> None:
    """findings.gpkg (findings, findings_utm, face_findings), findings.geojson, findings.kml and map.html carry
    the location the work orders give: an engineer clicking the finding in QGIS or the map sees it."""
    import html as htmlmod
    import sqlite3

    import geopandas as gpd

    out, _ = processed
    r = next(r for r in _rows(out) if r["component_id"] == "creek/P1")
    off = next(r for r in _rows(out) if not r["component_id"])
    for layer in ("findings", "findings_utm", "face_findings"):
        gdf = gpd.read_file(out / "findings.gpkg", layer=layer, engine="pyogrio").set_index("finding_id")
        row = gdf.loc[r["finding_id"]]
        assert row["face"] == "west face" and row["location"] == r["location"], layer
        assert row["reference"] == r["reference"], layer
        assert row["along_face_m"] == pytest.approx(float(r["along_face_m"]), abs=1e-6), layer
        assert row["above_base_m"] == pytest.approx(float(r["above_base_m"]), abs=1e-6), layer
        assert gdf.loc[off["finding_id"], "location"] == off["location"], layer
    with sqlite3.connect(out / "findings.gpkg") as con:  # numbers as numbers (QGIS sorts and filters them)
        kinds = {c[1]: c[2] for c in con.execute("PRAGMA table_info(findings)")}
    assert kinds["along_face_m"] == "REAL" and kinds["from_root_m"] == "REAL" and kinds["face"] == "TEXT"
    props = {f["id"]: f["properties"] for f in json.loads((out / "findings.geojson").read_text())["features"]}
    assert props[r["finding_id"]]["location"] == r["location"]
    assert props[r["finding_id"]]["along_face_m"] == pytest.approx(float(r["along_face_m"]), abs=1e-6)
    kml = htmlmod.unescape(htmlmod.unescape((out / "findings.kml").read_text()))
    assert f"<th align='left'>location</th><td>{r['location']}</td>" in kml
    page = (out / "map.html").read_text()
    assert "location" in page and f"{float(r['along_face_m']):.2f} m along" in page
