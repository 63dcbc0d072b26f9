"""findings.gpkg's face view: on a vertical face the WGS84 and UTM layers are 2D projections onto the
map, so every finding is a line there (the demo pier face: areas of 1e-19 deg²) and an engineer
opening the file in QGIS saw no shape. The ``face_findings`` / ``face_frames`` layers hold them in
metres along and up the face, in an engineering CRS whose description gives the PROJ pipeline to
WGS84 (checked here with pyproj, independently of skyinspect's own conversion)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from groundstation.pipeline import process
from groundstation.plane import plane_basis
from skyinspect.geodesy import LocalFrame
from skyinspect.surface import PlaneSurface


@pytest.fixture(scope="module")
def gpkg(face_processed: tuple[object, Path]) -> Path:
    return face_processed[1] / "findings.gpkg"


def test_face_layers_show_the_findings_shapes_that_the_map_layers_flatten(gpkg: Path) -> None:
    utm = pyogrio.read_dataframe(gpkg, layer="findings_utm")
    assert (utm.geometry.area < 1e-6).all()  # the repro: edge-on in plan, no shape to see
    face = pyogrio.read_dataframe(gpkg, layer="face_findings").set_index("finding_id")
    assert face.crs is not None and face.crs.is_engineering
    assert set(face.index) == set(utm["finding_id"])
    # The face looks west; facing it, right is south: u = -north, v = up - 10 m (its reference point)
    rust = face[face["class"] == "corrosion"].iloc[0]
    c = rust.geometry.centroid
    assert (c.x, c.y) == pytest.approx((-0.6, -0.2), abs=0.01)
    assert rust.geometry.area == pytest.approx(16 / 2 * 0.05 ** 2 * np.sin(2 * np.pi / 16), rel=0.1)  # the 16-gon
    crack = face[face["class"] == "crack"].iloc[0].geometry
    x0, y0, x1, y1 = crack.bounds
    assert (x0, x1) == pytest.approx((-0.2, 0.1), abs=0.01) and (y0 + y1) / 2 == pytest.approx(0.1, abs=0.01)
    frames = pyogrio.read_dataframe(gpkg, layer="face_frames")
    assert len(frames) == 5 and (frames.geometry.area > 1.0).all()  # 2 m from the face, 50° FOV: ~1.9 x 1.4 m
    with sqlite3.connect(gpkg) as con:  # QGIS opens them styled as their map layers
        styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles WHERE useAsDefault")}
    assert {"face_findings", "face_frames"} <= styled


def test_the_face_crs_description_converts_to_the_wgs84_layer(gpkg: Path) -> None:
    with sqlite3.connect(gpkg) as con:
        srs_id, = con.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'face_findings'").fetchone()
        desc, = con.execute("SELECT description FROM gpkg_spatial_ref_sys WHERE srs_id = ?", (srs_id,)).fetchone()
    assert "+proj=pipeline" in desc and "MSL" in desc
    to_wgs84 = Transformer.from_pipeline(desc[desc.index("+proj=pipeline"):].splitlines()[0])
    face = pyogrio.read_dataframe(gpkg, layer="face_findings").set_index("finding_id")
    wgs = pyogrio.read_dataframe(gpkg, layer="findings").set_index("finding_id")
    for fid, row in face.iterrows():
        uv = np.asarray(row.geometry.exterior.coords)
        lon, lat, h = to_wgs84.transform(uv[:, 0], uv[:, 1], np.zeros(len(uv)))
        want = np.asarray(wgs.loc[fid].geometry.exterior.coords)
        assert np.abs(lon - want[:, 0]).max() < 1e-9 and np.abs(lat - want[:, 1]).max() < 1e-9  # 0.1 mm
        assert np.abs(h - want[:, 2]).max() < 1e-4


def test_a_set_of_faces_has_a_pair_of_layers_per_face_looked_at(tmp_path: Path) -> None:
    from gs_fixtures import FRAME

    from skyinspect.surfaces.face import FaceSurface
    from skyinspect.surfaces.io import SurfaceSet

    p = face_surface()
    west = FaceSurface(p.lat_deg, p.lon_deg, p.alt_msl_m, (-1.0, 0.0, 0.0), (-5.0, 5.0), (-5.0, 5.0), "Pier A west")
    east = FaceSurface(p.lat_deg, p.lon_deg, p.alt_msl_m, (1.0, 0.0, 0.0), (-5.0, 5.0), (-5.0, 5.0), "pier-a west")
    lat, lon, alt = FRAME.to_geodetic(np.array([0.0, 40.0, -FLY_HEIGHT_M]))
    far = FaceSurface.vertical(float(lat), float(lon), float(alt) - 5, 90.0, (-5.0, 5.0), 10.0, "pier B")
    defects = [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1), corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)]
    process(face_flight(tmp_path / "flight", defects), tmp_path / "out", SurfaceSet((west, far), "pier"),
            progress=False)
    gpkg = tmp_path / "out" / "findings.gpkg"
    faces = sorted(n for n, _ in pyogrio.list_layers(gpkg) if n.startswith("face_"))
    assert faces == ["face_crack_lines", "face_findings", "face_frames"]  # pier B: no frame looked at it
    found = pyogrio.read_dataframe(gpkg, layer="face_findings")
    assert len(found) == 2 and found.crs.name == "skyinspect face 'Pier A west'"
    from groundstation.publish.face_gis import face_layer_names

    class Charts:  # two names with one slug keep two layers
        geo = type("G", (), {"surface": SurfaceSet((west, east, far), "pier"),
                             "frames": [type("Fr", (), {"surface_name": n}) for n in ("Pier A west", "pier-a west")]})()
        flight = type("F", (), {"origin": FRAME})()
    names = face_layer_names(Charts())  # type: ignore[arg-type]
    assert names == [("face_findings_pier_a_west", "face_frames_pier_a_west"),
                     ("face_findings_pier_a_west_2", "face_frames_pier_a_west_2")]


@settings(max_examples=60, deadline=None)
@given(lat=st.floats(-70, 70), lon=st.floats(-179, 179), h=st.floats(-50, 3000),
       azimuth=st.floats(0, 360), tilt=st.floats(-30, 30), east=st.floats(-500, 500), north=st.floats(-500, 500),
       u=st.floats(-300, 300), v=st.floats(-100, 100))
def test_face_metres_to_wgs84_and_back(lat: float, lon: float, h: float, azimuth: float, tilt: float,
                                       east: float, north: float, u: float, v: float) -> None:
    """The pipeline the CRS states is the chart skyinspect draws the face in, both ways."""
    from groundstation.publish.face_gis import face_pipeline

    frame = LocalFrame(lat, lon, h)
    a, t = np.radians(azimuth), np.radians(tilt)
    normal_enu = (np.sin(a) * np.cos(t), np.cos(a) * np.cos(t), np.sin(t))  # a face leaning by tilt
    p_lat, p_lon, p_h = frame.to_geodetic(np.array([north, east, -5.0]))
    chart = plane_basis(PlaneSurface(p_lat, p_lon, p_h, normal_enu, "face"), frame)
    forward = Transformer.from_pipeline(face_pipeline(chart, frame))
    lon_w, lat_w, h_w = forward.transform(u, v, 0.0)
    want = frame.to_geodetic(chart.to_3d(np.array([u, v])))[0]
    assert (lat_w, lon_w) == pytest.approx((want[0], want[1]), abs=1e-9)
    assert h_w == pytest.approx(want[2], abs=1e-4)
    back = forward.transform(lon_w, lat_w, h_w, direction="INVERSE")
    assert back == pytest.approx((u, v, 0.0), abs=1e-4)
