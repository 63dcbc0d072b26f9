"""Comparison with the simulator's truth.geojson."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from gs_fixtures import FRAME, Defect, corrosion_on_face, face_surface

from groundstation.evaluate import compare_with_truth
from groundstation.pipeline import process
from skyinspect.errors import InputError


def _truth_feature(d: Defect, offset_north_m: float = 0.0, cls: str | None = None) -> dict[str, object]:
    ring = FRAME.to_geodetic(d.outline_ned + [offset_north_m, 0.0, 0.0])
    c = FRAME.to_geodetic(d.outline_ned.mean(axis=0) + [offset_north_m, 0.0, 0.0])
    coords = [[float(p[1]), float(p[0]), float(p[2])] for p in ring]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [coords + coords[:1]]},
            "properties": {"defect_id": d.defect_id, "class": cls or ("crack" if d.class_id == 1 else "corrosion"),
                           "area_m2": 0.0, "length_mm": 0.0, "centroid_lat_deg": float(c[0]),
                           "centroid_lon_deg": float(c[1]), "centroid_alt_msl_m": float(c[2])}}


def _write_truth(path: Path, features: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.fixture()
def results(tmp_path: Path, two_defect_flight):  # type: ignore[no-untyped-def]
    folder, defects = two_defect_flight
    process(folder, tmp_path / "out", face_surface(), progress=False)
    return tmp_path / "out" / "findings.geojson", defects


def test_all_found_with_small_error(tmp_path: Path, results) -> None:  # type: ignore[no-untyped-def]
    geojson, defects = results
    truth = _write_truth(tmp_path / "truth.geojson", [_truth_feature(d) for d in defects])
    cmp = compare_with_truth(geojson, truth)
    assert (cmp.true_count, cmp.found_count, cmp.false_positive_count) == (2, 2, 0)
    assert cmp.mean_position_error_m < 0.005
    assert math.isclose(cmp.mean_gsd_m, 0.00147, rel_tol=0.05)
    assert cmp.error_in_gsd < 3.0
    assert cmp.per_class["crack"].found_count == 1 and cmp.per_class["corrosion"].found_count == 1


def test_missed_wrong_class_and_false_positive(tmp_path: Path, results) -> None:  # type: ignore[no-untyped-def]
    geojson, defects = results
    crack, spot = defects
    far = corrosion_on_face(5.0, 10.0)  # never seen
    truth = _write_truth(tmp_path / "truth.geojson",
                         [_truth_feature(crack, cls="corrosion"), _truth_feature(spot, offset_north_m=0.05),
                          _truth_feature(far)])
    cmp = compare_with_truth(geojson, truth)
    assert cmp.true_count == 3
    assert cmp.found_count == 1  # the corrosion, 5 cm off; the crack is reported with the wrong class
    assert cmp.false_positive_count == 1  # the crack finding matches no crack in the truth
    assert math.isclose(cmp.mean_position_error_m, 0.05, abs_tol=0.005)
    assert cmp.per_class["crack"].false_positive_count == 1


def test_accepts_finding_objects_and_rejects_bad_truth(tmp_path: Path, two_defect_flight) -> None:  # type: ignore[no-untyped-def]
    from groundstation.stages import finding_from_dict

    folder, defects = two_defect_flight
    process(folder, tmp_path / "out", face_surface(), progress=False)
    stored = json.loads((tmp_path / "out" / "stages" / "findings.json").read_text())["data"]
    findings = [finding_from_dict(x) for x in stored]
    truth = _write_truth(tmp_path / "truth.geojson", [_truth_feature(d) for d in defects])
    assert compare_with_truth(findings, truth).found_count == 2
    (tmp_path / "bad.geojson").write_text("[1, 2]")
    with pytest.raises(InputError, match="bad.geojson"):
        compare_with_truth(findings, tmp_path / "bad.geojson")
    assert np.isnan(compare_with_truth([], truth).mean_position_error_m)
