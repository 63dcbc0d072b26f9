"""A truth file in the wrong CRS is refused naming the file (its metres read as degrees had crashed
compare_with_truth with a GEOS traceback), and a WGS84 one with a "crs" member is still read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groundstation.evaluate import read_truth
from skyinspect.errors import InputError

RING_WGS84 = [[8.5457930, 47.3978570, 494.9], [8.5457930, 47.3978580, 494.9], [8.5457930, 47.3978580, 495.0],
              [8.5457930, 47.3978570, 494.9]]
RING_UTM = [[465725.85, 5249478.13, 494.9], [465725.85, 5249478.24, 494.9], [465725.85, 5249478.24, 495.0],
            [465725.85, 5249478.13, 494.9]]


def _truth(path: Path, ring: list[list[float]], crs: str | None = None) -> Path:
    data: dict[str, object] = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"defect_id": 1, "class": "crack"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    if crs is not None:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("crs", [None, "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"])
def test_wgs84_truth_is_read(tmp_path: Path, crs: str | None) -> None:
    (item,) = read_truth(_truth(tmp_path / "truth.geojson", RING_WGS84, crs))
    assert item.cls == "crack" and item.ring.shape == (4, 3)


def test_a_truth_file_declaring_a_projected_crs_is_refused(tmp_path: Path) -> None:
    path = _truth(tmp_path / "truth_utm.geojson", RING_UTM, "urn:ogc:def:crs:EPSG::32632")
    with pytest.raises(InputError, match=r"truth_utm\.geojson: declares its coordinates in .*32632.*ogr2ogr"):
        read_truth(path)


def test_projected_coordinates_without_a_crs_member_are_refused(tmp_path: Path) -> None:
    path = _truth(tmp_path / "truth_utm.geojson", RING_UTM)
    with pytest.raises(InputError, match=r"truth_utm\.geojson: coordinates such as .* are not longitude, latitude"):
        read_truth(path)


def test_malformed_positions_are_refused(tmp_path: Path) -> None:
    path = _truth(tmp_path / "truth.geojson", [["a", "b"], [1]])  # type: ignore[list-item]
    with pytest.raises(InputError, match=r"truth\.geojson: a Polygon has malformed coordinates"):
        read_truth(path)
