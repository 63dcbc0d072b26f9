"""The GeoPackage's plan layers (findings, findings_utm) hold valid 2D polygons for findings on a
vertical face. Seen from above, an outline on a wall is a sliver a few nanometres wide along the wall;
as written it crossed itself (the demo pier: 3 of 16 outlines), and QGIS processing stops on invalid
geometry. There each is now the plan footprint it covers along the wall (the 2D hull of its own
vertices, each with its Z), valid in the CRS it is written in. findings.geojson and findings.kml are 3D
products (heights; KML's absolute altitude, which Google Earth draws on the wall) and keep the outline
itself: a hull is another shape on the wall (the demo's placement against the truth, read from the
GeoJSON, went 2.32 -> 7.19 GSD with it). The KML's lon/lat are written to the bit (at 9 decimals every
demo outline had its vertices on one meridian)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import shape
from shapely.validation import explain_validity


KML = "{http://www.opengis.net/kml/2.2}"


def _invalid(geoms: dict[str, Any]) -> dict[str, str]:
    return {k: explain_validity(g) for k, g in geoms.items() if not g.is_valid}


@pytest.mark.parametrize("layer", ["findings", "findings_utm"])
def test_every_plan_layer_polygon_is_valid_and_3d(face_processed: tuple[Any, Path], layer: str) -> None:
    gpkg = face_processed[1] / "findings.gpkg"
    df = pyogrio.read_dataframe(gpkg, layer=layer)
    assert len(df) == 2 and set(df.geometry.geom_type) == {"Polygon"} and df.geometry.has_z.all()
    assert _invalid(dict(zip(df["finding_id"], df.geometry))) == {}
    assert pyogrio.read_info(gpkg, layer=layer)["geometry_type"] == "Polygon Z"  # one type for the layer


def test_geojson_and_kml_polygons_are_valid(face_processed: tuple[Any, Path]) -> None:
    out = face_processed[1]
    data = json.loads((out / "findings.geojson").read_text())
    assert _invalid({f["id"]: shape(f["geometry"]) for f in data["features"]}) == {}
    root = ET.parse(out / "findings.kml").getroot()
    rings = {pm.get("id"): [tuple(float(v) for v in c.split(",")) for c in pm.find(
        f"{KML}Polygon/{KML}outerBoundaryIs/{KML}LinearRing/{KML}coordinates").text.split()]
        for pm in root.iter(f"{KML}Placemark") if pm.find(f"{KML}Polygon") is not None}
    assert len(rings) == 2
    assert _invalid({k: shapely.Polygon(r) for k, r in rings.items()}) == {}


@pytest.fixture(scope="module")
def face_input(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The PublishInput of the two-defect face flight, as process hands it to publish."""
    import groundstation.pipeline as pipeline
    from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface

    tmp = tmp_path_factory.mktemp("planvalid")
    defects = [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1), corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)]
    flight = face_flight(tmp / "flight", defects)
    seen: list[Any] = []
    real = pipeline._publish_atomically
    pipeline._publish_atomically = (  # type: ignore[assignment]
        lambda i, out, **k: (seen.append(i), real(i, out, **k))[1])
    try:
        pipeline.process(flight, tmp / "out", face_surface(), progress=False)
    finally:
        pipeline._publish_atomically = real  # type: ignore[assignment]
    return seen[0]


def test_a_wall_outline_that_crosses_itself_from_above_is_valid_in_the_plan_layers_and_itself_in_3d(face_input: Any, tmp_path: Path) -> None:
    """The face flight's outlines happen to be valid from above; the demo pier's F-0001/3/10 were not
    (slivers 1e-9 m wide whose two sides swap across the wall line by float noise). Here the rendered
    rust outline's vertices are moved 1e-12 degree (75 nm) east or west: the side going one way west
    below its middle and east above it, the side coming back the other way round, so from above it is a
    figure of eight along the wall, as the demo's were; the plan layers must still be valid, and the
    GeoJSON and KML must keep every vertex of the outline."""
    import dataclasses

    from groundstation.publish.gis import write_geojson, write_gpkg
    from groundstation.publish.kml import write_kml

    rust = next(f for f in face_input.findings if f.class_name == "corrosion")
    zigzag = rust.outline_wgs84.copy()
    above = np.sign(zigzag[:, 0] - np.median(zigzag[:, 0]))  # lat
    n, south, north = len(zigzag), int(np.argmin(zigzag[:, 0])), int(np.argmax(zigzag[:, 0]))
    side = np.where((np.arange(n) - south) % n <= (north - south) % n, 1.0, -1.0)  # going north, coming back
    zigzag[:, 1] += 1e-12 * above * side  # lon
    ring = [(lon, lat) for lat, lon, _ in zigzag]
    assert not shapely.Polygon(ring).is_valid  # the repro: self-intersecting from above
    findings = tuple(dataclasses.replace(f, outline_wgs84=zigzag) if f is rust else f for f in face_input.findings)
    inp = dataclasses.replace(face_input, findings=findings)
    write_gpkg(inp, tmp_path / "findings.gpkg")
    write_geojson(inp, tmp_path / "findings.geojson")
    write_kml(inp, tmp_path / "findings.kml")
    for layer in ("findings", "findings_utm"):
        df = pyogrio.read_dataframe(tmp_path / "findings.gpkg", layer=layer)
        assert set(df.geometry.geom_type) == {"Polygon"} and df.geometry.has_z.all()
        assert _invalid(dict(zip(df["finding_id"], df.geometry))) == {}, layer
    wgs = pyogrio.read_dataframe(tmp_path / "findings.gpkg", layer="findings").set_index("finding_id")
    footprint = wgs.loc[rust.finding_id].geometry
    assert set(footprint.exterior.coords) <= {(lon, lat, alt) for lat, lon, alt in zigzag}  # its own 3D points
    lo, hi = zigzag.min(axis=0), zigzag.max(axis=0)
    assert footprint.bounds == pytest.approx((lo[1], lo[0], hi[1], hi[0]), abs=1e-15)  # its whole span
    # the 3D products keep the outline itself, every vertex (lon, lat to the bit), not its plan hull
    own = {(lon, lat) for lat, lon, _ in zigzag}
    data = json.loads((tmp_path / "findings.geojson").read_text())
    geo = next(f for f in data["features"] if f["id"] == rust.finding_id)["geometry"]["coordinates"][0]
    assert {(x, y) for x, y, _ in geo} == own and len(geo) == len(zigzag) + 1
    root = ET.parse(tmp_path / "findings.kml").getroot()
    rings = {pm.get("id"): [tuple(float(v) for v in c.split(",")) for c in pm.find(
        f"{KML}Polygon/{KML}outerBoundaryIs/{KML}LinearRing/{KML}coordinates").text.split()]
        for pm in root.iter(f"{KML}Placemark") if pm.find(f"{KML}Polygon") is not None}
    assert len(rings) == 2
    assert {(x, y) for x, y, _ in rings[rust.finding_id]} == own and len(rings[rust.finding_id]) == len(zigzag) + 1
