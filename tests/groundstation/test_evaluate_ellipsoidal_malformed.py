"""An ellipsoidal findings.geojson (``vertical_reference`` height "ellipsoidal", as publish writes when the
flight gave its geoid separation) whose coordinates are malformed is refused naming the file and the
feature. Its heights are brought down to MSL before ``_ring_of`` checks the coordinates: a number where a
position list belongs had raised TypeError ('int' object is not subscriptable), a string RecursionError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groundstation.evaluate import read_truth
from skyinspect.errors import InputError

RING = [[8.0, 47.0, 500.0], [8.00001, 47.0, 500.0], [8.00001, 47.00001, 500.0], [8.0, 47.0, 500.0]]


def _write(path: Path, coordinates: object, separation: object = 47.3) -> Path:
    path.write_text(json.dumps({
        "type": "FeatureCollection", "vertical_reference": {"height": "ellipsoidal", "geoid_separation_m": separation},
        "features": [{"type": "Feature", "properties": {"class": "crack"},
                      "geometry": {"type": "Polygon", "coordinates": [RING]}},
                     {"type": "Feature", "properties": {"class": "crack"},
                      "geometry": {"type": "Polygon", "coordinates": coordinates}}]}))
    return path


@pytest.mark.parametrize("coordinates", [5, "abc", [5], ["abc"], [[RING[0], 7, RING[0]]],
                                         [[RING[0], [8.0, 47.0, "high"], RING[0]]], [[RING[0], [8.0, None], RING[0]]]])
def test_malformed_ellipsoidal_coordinates_are_refused_by_file_and_feature(tmp_path: Path, coordinates: object) -> None:
    path = _write(tmp_path / "findings.geojson", coordinates)
    with pytest.raises(InputError, match=r"findings\.geojson: feature 1: .*malformed coordinates"):
        read_truth(path)


def test_a_separation_that_is_not_a_number_is_refused_by_name(tmp_path: Path) -> None:
    path = _write(tmp_path / "findings.geojson", [RING], separation="high")
    with pytest.raises(InputError, match=r"findings\.geojson: vertical_reference.*geoid_separation_m"):
        read_truth(path)


def test_well_formed_ellipsoidal_heights_still_come_down_to_msl(tmp_path: Path) -> None:
    items = read_truth(_write(tmp_path / "findings.geojson", [RING]))
    assert [round(float(z), 6) for z in items[1].ring[:, 2]] == [452.7] * 4
