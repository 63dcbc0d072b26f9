"""The vertical reference of the GIS products. RFC 7946 makes a GeoJSON position's third value the
height above the WGS84 ellipsoid; skyinspect's heights are the telemetry's MSL. findings.geojson
wrote MSL heights as its coordinates and said nothing, a silent claim of ellipsoidal heights that
is wrong by the geoid separation N (-107 to +86 m over the Earth).

Now: where the flight record states N (``meta geoid_separation``, from the receiver's
GPS_RAW_INT.alt_ellipsoid - alt), the coordinates are ellipsoidal (MSL + N) and the file says so;
where it does not, they stay MSL and a foreign member says they are not RFC 7946 heights. KML
(altitudeMode absolute: MSL by its spec) and the GeoPackage stay MSL and say so."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface

from groundstation.pipeline import process
from skyinspect.errors import InputError

KML = "{http://www.opengis.net/kml/2.2}"


def _flight(tmp: Path, separation: object | None) -> Path:
    defects = [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1), corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)]
    folder = face_flight(tmp / "flight", defects)
    if separation is not None:  # as the onboard replay writes it from the telemetry
        with sqlite3.connect(folder / "record.sqlite") as con:
            con.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('geoid_separation', ?)",
                        (json.dumps(separation),))
    return folder


def _heights(out: Path) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict]:
    """finding id → the GeoJSON's and the GeoPackage's outline heights, and the GeoJSON."""
    gj = json.loads((out / "findings.geojson").read_text())
    geo = {f["id"]: np.asarray(f["geometry"]["coordinates"][0])[:, 2] for f in gj["features"]}
    gpkg = pyogrio.read_dataframe(out / "findings.gpkg", layer="findings")
    pkg = {r.finding_id: np.asarray(r.geometry.exterior.coords)[:, 2] for r in gpkg.itertuples()}
    return geo, pkg, gj


def test_without_a_separation_the_geojson_says_its_heights_are_msl(tmp_path: Path) -> None:
    out = tmp_path / "out"
    process(_flight(tmp_path, None), out, face_surface(), progress=False)
    geo, pkg, gj = _heights(out)
    ref = gj["vertical_reference"]  # an RFC 7946 foreign member
    assert ref["height"] == "msl" and ref["rfc7946_ellipsoidal"] is False and ref["geoid_separation_m"] is None
    assert "not" in ref["note"] and "ellipsoid" in ref["note"]
    for fid, z in geo.items():  # MSL, as the GeoPackage: sorted, the rings' start and turn may differ
        assert np.allclose(np.sort(z), np.sort(pkg[fid]), atol=1e-6, rtol=0)
        assert abs(float(np.mean(z)) - gj["features"][0]["properties"]["alt_msl_m"]) < 5


def test_with_the_flights_separation_the_geojson_heights_are_ellipsoidal(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stated = {"n_m": 47.312, "min_m": 47.3, "max_m": 47.33, "samples": 120, "source": "GPS_RAW_INT alt_ellipsoid - alt"}
    process(_flight(tmp_path, stated), out, face_surface(), progress=False)
    geo, pkg, gj = _heights(out)
    ref = gj["vertical_reference"]
    assert ref["height"] == "ellipsoidal" and ref["rfc7946_ellipsoidal"] is True
    assert ref["geoid_separation_m"] == 47.312 and "GPS_RAW_INT" in ref["source"]
    assert geo  # both findings
    for fid, z in geo.items():
        assert np.allclose(np.sort(z), np.sort(pkg[fid]) + 47.312, atol=1e-6, rtol=0)
    # KML altitudeMode absolute is MSL by the KML spec, the GeoPackage MSL: unchanged, and said
    kml = (out / "findings.kml").read_text()
    assert "above mean sea level" in kml
    with sqlite3.connect(out / "findings.gpkg") as con:
        desc = dict(con.execute("SELECT table_name, description FROM gpkg_contents"))
    for layer in ("findings", "findings_utm", "frames", "crack_lines", "flight_path"):
        assert "mean sea level" in desc[layer] and "47.312" in desc[layer], layer


def test_the_truth_comparison_reads_ellipsoidal_heights_back_to_msl(tmp_path: Path) -> None:
    """groundstation.evaluate compares findings.geojson's rings with the truth's MSL rings: read as
    MSL, ellipsoidal rings sat N higher, off a vertical face's defects."""
    from gs_fixtures import FRAME

    from groundstation.evaluate import compare_with_truth

    defects = [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1), corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)]
    features = []
    for d in defects:
        ring = [[float(p[1]), float(p[0]), float(p[2])] for p in FRAME.to_geodetic(d.outline_ned)]
        c = FRAME.to_geodetic(d.outline_ned.mean(axis=0))
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]},
                         "properties": {"defect_id": d.defect_id, "class": "crack" if d.class_id == 1 else "corrosion",
                                        "centroid_lat_deg": float(c[0]), "centroid_lon_deg": float(c[1]),
                                        "centroid_alt_msl_m": float(c[2])}})
    truth = tmp_path / "truth.geojson"
    truth.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    process(_flight(tmp_path, {"n_m": 47.312}), tmp_path / "out", face_surface(), progress=False)
    cmp = compare_with_truth(tmp_path / "out" / "findings.geojson", truth)
    assert (cmp.true_count, cmp.found_count, cmp.false_positive_count) == (2, 2, 0)
    assert cmp.mean_position_error_m < 0.005


@pytest.mark.parametrize("bad", [{"n_m": "high"}, {"n_m": 480.0}, [47.0], {"samples": 3}])
def test_a_bad_separation_in_the_record_is_refused_by_name(tmp_path: Path, bad: object) -> None:
    with pytest.raises(InputError, match="geoid_separation"):
        process(_flight(tmp_path, bad), tmp_path / "out", face_surface(), progress=False)
    assert not (tmp_path / "out" / "findings.geojson").exists()
