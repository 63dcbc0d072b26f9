"""Publishing: the whole pipeline on a small record; every product opens and names every finding."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from gs_fixtures import Defect, face_surface

from groundstation.pipeline import process

LAYERS = {"findings", "findings_utm", "crack_lines", "frames", "flight_path", "layer_styles",  # layer_styles: QGIS
          "face_findings", "face_frames", "face_crack_lines"}  # the fixtures look at a vertical face


@pytest.fixture()
def processed(tmp_path: Path, two_defect_flight: tuple[Path, list[Defect]]):  # type: ignore[no-untyped-def]
    folder, _ = two_defect_flight
    out = tmp_path / "out"
    return process(folder, out, face_surface(), progress=False), out, folder


def test_summary_counts(processed) -> None:  # type: ignore[no-untyped-def]
    summary, out, _ = processed
    assert (summary.frames_total, summary.frames_tagged, summary.frames_untagged) == (6, 5, 1)
    assert summary.frames_georeferenced == 5 and summary.detections == 10 and summary.findings == 2
    assert not any(p.name.startswith(".staging") for p in out.iterdir())


def test_gpkg_layers_open(processed) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd
    import pyogrio

    _, out, _ = processed
    layers = {name for name, _ in pyogrio.list_layers(out / "findings.gpkg")}
    assert layers == LAYERS
    findings = gpd.read_file(out / "findings.gpkg", layer="findings", engine="pyogrio")
    assert findings.crs.to_epsg() == 4326
    for col in ("finding_id", "class", "score", "views", "lat", "lon", "alt_msl_m", "length_mm", "width_mm",
                "area_m2", "ce90_m", "best_frame"):
        assert col in findings.columns, col
    assert sorted(findings["finding_id"]) == ["F-0001", "F-0002"]
    projected = gpd.read_file(out / "findings.gpkg", layer="findings_utm", engine="pyogrio")
    assert projected.crs.is_projected and projected.crs.utm_zone is not None
    from pyproj import Transformer

    assert len(projected) == len(findings)
    to_utm = Transformer.from_crs(4326, projected.crs, always_xy=True)
    e, n = to_utm.transform(findings["lon"].iloc[0], findings["lat"].iloc[0])
    assert 166_000 < e < 834_000  # a UTM easting in metres, not degrees
    assert projected.geometry.iloc[0].distance(gpd.points_from_xy([e], [n])[0]) < 0.05
    frames = gpd.read_file(out / "findings.gpkg", layer="frames", engine="pyogrio")
    assert len(frames) == 5 and set(frames["pose_status"]) == {"ok"}
    path = gpd.read_file(out / "findings.gpkg", layer="flight_path", engine="pyogrio")
    assert len(path) == 1 and path.geometry.iloc[0].geom_type == "LineString"
    # the crack's measured centre line: 3D, on the crack, as long as its length_mm (0.3 m, 4 mm wide)
    lines = gpd.read_file(out / "findings.gpkg", layer="crack_lines", engine="pyogrio")
    crack = findings[findings["class"] == "crack"].iloc[0]
    assert list(lines["finding_id"]) == [crack["finding_id"]] and lines.geometry.iloc[0].has_z
    assert lines["length_mm"].iloc[0] == pytest.approx(crack["length_mm"])
    from skyinspect.geodesy import LocalFrame

    at_crack = LocalFrame(crack["lat"], crack["lon"], crack["alt_msl_m"])
    parts = [at_crack.to_ned(*np.array(g.coords)[:, [1, 0, 2]].T) for g in lines.geometry.iloc[0].geoms]
    drawn_m = sum(float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) for p in parts)
    assert drawn_m * 1000 == pytest.approx(crack["length_mm"], rel=0.03)
    assert max(float(np.abs(p).max()) for p in parts) < 0.2  # on the 0.3 m crack, around its centroid


def test_geojson_is_rfc7946(processed) -> None:  # type: ignore[no-untyped-def]
    from shapely.geometry import shape

    _, out, _ = processed
    data = json.loads((out / "findings.geojson").read_text())
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 2
    for feat in data["features"]:
        geom = shape(feat["geometry"])
        assert geom.is_valid and geom.has_z
        lon, lat, _ = feat["geometry"]["coordinates"][0][0]
        assert abs(lat - feat["properties"]["lat"]) < 1e-3 and abs(lon - feat["properties"]["lon"]) < 1e-3


def test_map_and_report_name_every_finding(processed) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = processed
    html_map = (out / "map.html").read_text()
    assert "F-0001" in html_map and "data:image/jpeg;base64," in html_map
    # opens offline, on everything drawn, with its layer list open (the collapsed icon is an image)
    assert not re.search(r'<script src="https?://|<link rel="stylesheet" href="https?://', html_map)
    assert re.search(r"\.fitBounds\(\s*\[\[", html_map) and '"collapsed": false' in html_map
    report = (out / "report.html").read_text()
    assert "F-0002" in report
    assert "<th>Camera</th><td>" in report and " px, fx " in report  # which intrinsics the positions rest on
    pdf = out / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils): PDF text not checked")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for fid in ("F-0001", "F-0002"):
        assert fid in text
    assert "test-model-v1" in text


def test_rerun_reuses_stages_and_rerun_flag_forces(processed) -> None:  # type: ignore[no-untyped-def]
    _, out, folder = processed
    again = process(folder, out, face_surface(), progress=False)
    assert again.stages_reused == ("georeference", "align", "fuse", "measure", "grade") and again.findings == 2
    forced = process(folder, out, face_surface(), progress=False, rerun=True)
    assert forced.stages_reused == ()
    other_surface = process(folder, out, None, progress=False)  # a different surface: recompute
    assert "georeference" not in other_surface.stages_reused


def test_failed_publish_leaves_no_products(tmp_path: Path, two_defect_flight, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import groundstation.publish.report_pdf as report

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report, "write_pdf", boom)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        process(two_defect_flight[0], out, face_surface(), progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["stages"]


def test_a_findings_card_is_never_split_across_pdf_pages(processed, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                        monkeypatch) -> None:
    """Cards taller than the old 60-mm look-ahead (long grading clauses) spilled their last lines
    onto the next page, one page holding only the tail of a clause; each card now starts a page
    when it would not fit."""
    from groundstation.georef import georeference
    from groundstation.load import load_flight
    from groundstation.plane import plane_basis
    from groundstation.publish import report_pdf as report
    from groundstation.publish.context import PublishInput

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils): PDF pages not checked")
    _, out, folder = processed
    flight = load_flight(folder)
    geo = georeference(flight, face_surface())
    inp = PublishInput(flight, geo, (), plane_basis(geo.surface, flight.origin))
    clause = "a clause that runs long " * 40
    rows = [report.ReportRow(f"F-{i:04d}", "crack", "47.1, 8.5", "100 mm", "1 mm", "0.1 m2", "0.05 m", "3",
                             None, "CS2", clause, f"end of F-{i:04d}") for i in range(1, 13)]
    monkeypatch.setattr(report, "report_rows", lambda _inp, _crops: rows)
    pdf = tmp_path / "cards.pdf"
    report.write_pdf(inp, pdf, out / "schematic.png", {})
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    n_pages = int(next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")))
    seen = []
    for page in range(1, n_pages + 1):
        text = " ".join(subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                                       capture_output=True, text=True, check=True).stdout.split())
        for i in range(1, 13):
            head, tail = f"F-{i:04d} crack" in text, f"end of F-{i:04d}" in text
            assert head == tail, f"F-{i:04d} split across page {page}"
            if head:
                seen.append(i)
    assert sorted(seen) == list(range(1, 13))
