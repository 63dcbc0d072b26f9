"""findings.gpkg's face view holds the cracks' measured centre lines: layer ``face_crack_lines``.

On a vertical face the ``crack_lines`` layer (WGS84) is edge-on like the outlines: every centre line
lies on the face's line in plan, so an engineer in QGIS could not see the lines a crack's length was
measured along, nor check that length, where ``face_findings`` showed the outline."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from pyproj import Transformer
from gs_fixtures import face_surface

from groundstation.pipeline import process


def test_face_view_has_each_cracks_centre_lines_in_metres_on_the_face(tmp_path: Path,
                                                                     two_defect_flight) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    process(two_defect_flight[0], out, face_surface(), progress=False)
    gpkg = out / "findings.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert "face_crack_lines" in layers, layers
    lines = pyogrio.read_dataframe(gpkg, layer="face_crack_lines")
    plan = pyogrio.read_dataframe(gpkg, layer="crack_lines")
    outlines = pyogrio.read_dataframe(gpkg, layer="face_findings").set_index("finding_id")
    assert sorted(lines["finding_id"]) == sorted(plan["finding_id"]) and len(lines) >= 1
    with sqlite3.connect(gpkg) as con:
        srs = dict(con.execute("SELECT table_name, srs_id FROM gpkg_geometry_columns"))
        styled = {t for (t,) in con.execute("SELECT f_table_name FROM layer_styles")}
        pipeline = con.execute("SELECT description FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
                               (srs["face_crack_lines"],)).fetchone()[0].strip().splitlines()[-1]
    assert srs["face_crack_lines"] == srs["face_findings"] and "face_crack_lines" in styled
    to_wgs84 = Transformer.from_pipeline(pipeline)  # the face chart's own conversion (face_gis)
    plan = plan.set_index("finding_id")
    for row in lines.itertuples():
        # on the face, in its chart: inside the crack's outline, and the same lines as crack_lines
        assert outlines.loc[row.finding_id].geometry.buffer(0.005).contains(row.geometry), row.finding_id
        theirs = plan.loc[row.finding_id]
        assert row.lines == len(row.geometry.geoms) == theirs.lines and row.length_mm == theirs.length_mm
        assert row.geometry.length * 1000 == pytest.approx(row.length_mm, rel=0.005)  # what QGIS measures
        for face_line, wgs84_line in zip(row.geometry.geoms, theirs.geometry.geoms):
            uv = np.asarray(face_line.coords)
            lon, lat, _ = to_wgs84.transform(uv[:, 0], uv[:, 1], np.zeros(len(uv)))
            assert np.allclose(np.column_stack([lon, lat]), np.asarray(wgs84_line.coords)[:, :2], atol=1e-9, rtol=0)
