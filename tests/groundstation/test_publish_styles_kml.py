"""QGIS layer styles inside findings.gpkg, and findings.kml: read back as QGIS / Google Earth would."""

from __future__ import annotations

import json
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from gs_fixtures import face_flight, face_surface

from groundstation.grading import Grade
from groundstation.pipeline import process
from groundstation.publish.qgis_styles import (INDETERMINATE_COLOUR_HEX, PRIORITY_COLOURS_HEX, LayerStyle,
                                               grade_categories, write_layer_styles)
from skyinspect.errors import RecordError

# The columns QGIS creates for layer_styles (QgsOgrProviderMetadata::saveStyle), in order.
QGIS_COLUMNS = ["id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time"]
KML = "{http://www.opengis.net/kml/2.2}"


@pytest.fixture(scope="module")
def results(face_processed: tuple[object, Path]) -> Path:
    return face_processed[1]


def _rows(gpkg: Path) -> list[dict]:
    con = sqlite3.connect(gpkg)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM layer_styles ORDER BY id")]
    finally:
        con.close()


def _rgb(hex_rgb: str) -> str:
    h = hex_rgb.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4))


def _categories(qml: str) -> dict[str, str]:
    """value -> fill colour 'r,g,b' of a categorised renderer."""
    root = ET.fromstring(qml)
    renderer = root.find("renderer-v2")
    colours = {}
    for sym in renderer.find("symbols"):
        colours[sym.get("name")] = sym.find("layer/Option/Option[@name='color']").get("value")
    return {c.get("value"): ",".join(colours[c.get("symbol")].split(",")[:3]) for c in renderer.find("categories")}


def test_layer_styles_table_has_the_qgis_schema(results: Path) -> None:
    con = sqlite3.connect(results / "findings.gpkg")
    try:
        cols = [r[1] for r in con.execute("PRAGMA table_info(layer_styles)")]
        contents = con.execute("SELECT data_type, identifier FROM gpkg_contents WHERE table_name = 'layer_styles'").fetchall()
    finally:
        con.close()
    assert cols == QGIS_COLUMNS
    assert contents == [("attributes", "layer_styles")]  # registered, so OGR (and QGIS through it) sees it
    import pyogrio

    assert len(pyogrio.read_dataframe(results / "findings.gpkg", layer="layer_styles")) == len(_rows(results / "findings.gpkg"))


def test_each_style_names_an_existing_layer_and_its_geometry_column(results: Path) -> None:
    gpkg = results / "findings.gpkg"
    con = sqlite3.connect(gpkg)
    try:
        geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        features = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")}
    finally:
        con.close()
    rows = _rows(gpkg)
    assert {r["f_table_name"] for r in rows} == {"findings", "findings_utm", "crack_lines", "frames", "flight_path",
                                                 "face_findings", "face_frames", "face_crack_lines"}  # a vertical face
    for r in rows:
        assert r["f_table_name"] in features and r["f_geometry_column"] == geom[r["f_table_name"]]
        assert (r["f_table_catalog"], r["f_table_schema"]) == ("", "")  # what QGIS's lookup filters on
        assert 0 < len(r["styleName"]) <= 30 and r["update_time"]
        root = ET.fromstring(r["styleQML"])  # parses as XML
        assert root.tag == "qgis" and root.find("renderer-v2") is not None
        assert root.find("renderer-v2").get("type") in ("categorizedSymbol", "singleSymbol")
    for table in geom:
        assert sum(r["useAsDefault"] for r in rows if r["f_table_name"] == table) == 1, table


def test_findings_coloured_by_grade_by_default_and_by_class(results: Path) -> None:
    gpkg = results / "findings.gpkg"
    rows = {(r["f_table_name"], r["styleName"]): r for r in _rows(gpkg)}
    con = sqlite3.connect(gpkg)
    try:
        columns = {r[1] for r in con.execute("PRAGMA table_info(findings)")}
        grades = {g for (g,) in con.execute("SELECT DISTINCT grade FROM findings")}
    finally:
        con.close()
    by_class, by_grade = rows[("findings", "by class")], rows[("findings", "by grade")]
    assert (by_grade["useAsDefault"], by_class["useAsDefault"]) == (1, 0)  # the findings are graded
    # the class a reviewer gave, else the class as found (process applies the review: test_publish_styles_relabelled)
    assert ET.fromstring(by_class["styleQML"]).find("renderer-v2").get("attr") == "review_class"
    assert "review_class" in columns
    cats = _categories(by_class["styleQML"])
    assert cats["crack"] == _rgb("#d62728") and cats["corrosion"] == _rgb("#ff7f0e")  # red, orange
    assert ET.fromstring(by_grade["styleQML"]).find("renderer-v2").get("attr") == "grade" and "grade" in columns
    gcats = _categories(by_grade["styleQML"])
    assert grades == {"CS3", "CS2"} and grades <= set(gcats)  # every grade in the layer has its colour
    assert gcats["CS3"] == _rgb(PRIORITY_COLOURS_HEX[2]) and gcats["CS2"] == _rgb(PRIORITY_COLOURS_HEX[3])
    assert rows[("findings_utm", "by grade")]["styleQML"] == by_grade["styleQML"]


def test_frames_outline_and_flight_path_line(results: Path) -> None:
    rows = {r["f_table_name"]: r for r in _rows(results / "findings.gpkg")}
    frames = ET.fromstring(rows["frames"]["styleQML"]).find("renderer-v2/symbols/symbol")
    assert frames.get("type") == "fill" and frames.find("layer").get("class") == "SimpleFill"
    assert frames.find("layer/prop[@k='style']").get("v") == "no"  # outline only
    path = ET.fromstring(rows["flight_path"]["styleQML"]).find("renderer-v2/symbols/symbol")
    assert path.get("type") == "line" and path.find("layer").get("class") == "SimpleLine"


def test_grade_categories_colour_by_priority() -> None:
    def g(state: str, rule: str, prio: int | None) -> Grade:
        return Grade("F", rule, state, "", "", "", prio, None, "")

    cats = grade_categories([g("CAT2", "epri-blade@1", 4), g("CAT5", "epri-blade@1", 1), g("indeterminate", "", None),
                             g("CS2", "a@1", 3), g("CS2", "b@1", 2)])
    assert [c[0] for c in cats] == ["CAT5", "CS2", "CAT2", "indeterminate"]  # most urgent first
    colours = {c[0]: c[2] for c in cats}
    assert colours["CAT5"] == PRIORITY_COLOURS_HEX[1] and colours["indeterminate"] == INDETERMINATE_COLOUR_HEX
    assert colours["CS2"] == PRIORITY_COLOURS_HEX[2]  # two rules disagree: the more urgent priority wins
    assert "a@1, b@1" in dict((c[0], c[1]) for c in cats)["CS2"]


def test_rewriting_styles_replaces_them_and_a_missing_layer_is_refused(results: Path, tmp_path: Path) -> None:
    gpkg = shutil.copy(results / "findings.gpkg", tmp_path / "copy.gpkg")
    qml = _rows(Path(gpkg))[0]["styleQML"]
    assert write_layer_styles(Path(gpkg), [LayerStyle("frames", "mine", qml, "test", True)]) == 1
    assert [(r["f_table_name"], r["styleName"]) for r in _rows(Path(gpkg))] == [("frames", "mine")]
    with pytest.raises(RecordError, match="no layer nope"):
        write_layer_styles(Path(gpkg), [LayerStyle("nope", "x", qml, "test", True)])
    assert [r["styleName"] for r in _rows(Path(gpkg))] == ["mine"]  # the failed call changed nothing


def test_kml_has_one_placemark_per_finding_in_lon_lat_alt(results: Path) -> None:
    features = json.loads((results / "findings.geojson").read_text())["features"]
    root = ET.parse(results / "findings.kml").getroot()
    assert root.tag == f"{KML}kml"
    doc = root.find(f"{KML}Document")
    styles = {s.get("id") for s in doc.findall(f"{KML}Style")}
    folders = doc.findall(f"{KML}Folder")
    placemarks = folders[0].findall(f"{KML}Placemark")
    assert len(placemarks) == len(features) == 2
    # the second folder: the crack's measured centre lines, 3D, on the crack
    (lines,) = folders[1].findall(f"{KML}Placemark")
    crack = next(f["properties"] for f in features if f["properties"]["class"] == "crack")
    assert lines.find(f"{KML}name").text == f"{crack['finding_id']} lines"
    for text in [c.text for c in lines.iter(f"{KML}coordinates")]:
        for lon, lat, alt in (tuple(float(v) for v in c.split(",")) for c in text.split()):
            assert abs(lon - crack["lon"]) < 1e-4 and abs(lat - crack["lat"]) < 1e-4
            assert abs(alt - crack["alt_msl_m"]) < 0.5
    by_id = {f["properties"]["finding_id"]: f for f in features}
    assert {pm.find(f"{KML}name").text for pm in placemarks} == set(by_id)
    for pm in placemarks:
        feat = by_id[pm.find(f"{KML}name").text]
        props = feat["properties"]
        assert pm.find(f"{KML}styleUrl").text.lstrip("#") in styles
        desc = pm.find(f"{KML}description").text
        assert props["class"] in desc and props["grade"] in desc and "m MSL" in desc
        poly = pm.find(f"{KML}Polygon")
        assert poly.find(f"{KML}altitudeMode").text == "absolute"
        text = poly.find(f"{KML}outerBoundaryIs/{KML}LinearRing/{KML}coordinates").text
        coords = [tuple(float(v) for v in c.split(",")) for c in text.split()]
        assert all(len(c) == 3 for c in coords) and coords[0] == coords[-1]  # 3D, closed
        for lon, lat, alt in coords:  # lon first: 8.5 deg E, 47.4 deg N; altitude MSL on the face
            assert abs(lon - props["lon"]) < 1e-4 and abs(lat - props["lat"]) < 1e-4
            assert abs(alt - props["alt_msl_m"]) < 0.5
        ring = feat["geometry"]["coordinates"][0]
        assert len(coords) == len(ring)
        for (lon, lat, alt), (glon, glat, galt) in zip(coords, ring):  # the same ring as GeoJSON, to 0.1 mm
            assert abs(lon - glon) < 1e-8 and abs(lat - glat) < 1e-8 and abs(alt - galt) < 1e-3
        data = {d.get("name"): d.find(f"{KML}value").text for d in pm.findall(f"{KML}ExtendedData/{KML}Data")}
        assert data["finding_id"] == props["finding_id"] and data["grade_rule"] == props["grade_rule"]


def test_no_findings_still_styles_the_layers_and_writes_an_empty_kml(tmp_path: Path) -> None:
    out = tmp_path / "out"
    process(face_flight(tmp_path / "flight", []), out, face_surface(), progress=False)
    rows = _rows(out / "findings.gpkg")
    assert {(r["f_table_name"], r["styleName"], r["useAsDefault"]) for r in rows if r["f_table_name"] == "findings"} \
        == {("findings", "by class", 1)}  # nothing graded: by class, and no grade style
    assert {r["f_table_name"] for r in rows} == {"findings", "findings_utm", "crack_lines", "frames", "flight_path",
                                                 "face_findings", "face_frames", "face_crack_lines"}  # a vertical face
    root = ET.parse(out / "findings.kml").getroot()
    assert root.findall(f".//{KML}Placemark") == []
