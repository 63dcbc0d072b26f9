"""A truth GeoJSON whose structure is not GeoJSON's (features not a list, a feature or its properties not
an object, a geometry without coordinates, a position that is an object) is refused naming the file and
the feature. Found fuzzing read_truth (Hypothesis, 300 files with one value of a two-feature truth
replaced): AttributeError, TypeError and KeyError tracebacks out of `skyinspect process --truth`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from groundstation.evaluate import read_truth
from skyinspect.errors import InputError

RING = [[8.0, 47.0, 500.0], [8.00001, 47.0, 500.0], [8.00001, 47.00001, 500.0], [8.0, 47.0, 500.0]]


def _feature(**over: object) -> dict[str, object]:
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [RING]},
            "properties": {"class": "corrosion"}, **over}


@pytest.mark.parametrize("features, said", [
    (None, r"'features' is a NoneType, expected a list of Feature objects"),
    ([None], r"feature 0 is a NoneType, not a Feature object"),
    ([_feature(), 3], r"feature 1 is a int, not a Feature object"),
    ([_feature(properties=7)], r"feature 0: 'properties' is a int, expected an object"),
    ([_feature(geometry={"type": "Polygon", "coordinates": None})], r"a Polygon has malformed coordinates"),
    ([_feature(geometry={"type": "Polygon", "coordinates": [[RING[0], {"x": 1}, RING[0]]]})],
     r"a Polygon has malformed coordinates"),
    ([_feature(geometry=2.5)], r"unsupported geometry"),
])
def test_a_truth_file_of_another_structure_is_refused_by_name(tmp_path: Path, features: object, said: str) -> None:
    path = tmp_path / "truth.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with pytest.raises(InputError, match=rf"truth\.geojson: {said}"):
        read_truth(path)


def test_a_feature_without_properties_or_geometry_as_rfc_7946_allows_is_said_as_before(tmp_path: Path) -> None:
    path = tmp_path / "truth.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [_feature(properties=None)]}))
    with pytest.raises(InputError, match=r"feature 0 has no 'class' property"):
        read_truth(path)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [_feature(geometry=None)]}))
    with pytest.raises(InputError, match=r"unsupported geometry None"):
        read_truth(path)
