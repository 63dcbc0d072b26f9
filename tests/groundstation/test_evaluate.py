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


def test_measurements_are_scored_against_the_truth(tmp_path: Path, results) -> None:  # type: ignore[no-untyped-def]
    geojson, (crack, spot) = results
    c, s = _truth_feature(crack), _truth_feature(spot)
    c["properties"]["length_mm"] = 300.0  # type: ignore[index]
    s["properties"]["area_m2"] = 0.5 * 16 * math.sin(2 * math.pi / 16) * 0.05 ** 2  # type: ignore[index]
    cmp = compare_with_truth(geojson, _write_truth(tmp_path / "truth.geojson", [c, s]))
    assert abs(cmp.crack_length_ratio - 1.0) < 0.01 and abs(cmp.corrosion_area_ratio - 1.0) < 0.01
    c["properties"]["length_mm"] = 600.0  # type: ignore[index]
    cmp = compare_with_truth(geojson, _write_truth(tmp_path / "truth2.geojson", [c, s]))
    assert abs(cmp.crack_length_ratio - 0.5) < 0.01
    # truth without sizes (the fixture's zeros) scores nothing rather than dividing by zero
    cmp = compare_with_truth(geojson, _write_truth(tmp_path / "truth3.geojson", [_truth_feature(crack)]))
    assert math.isnan(cmp.crack_length_ratio) and math.isnan(cmp.corrosion_area_ratio)


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


def _strip_feature(frame: object, n0_m: float, n1_m: float, d_m: float, props: dict[str, object]) -> dict[str, object]:
    """A 2 mm strip on a vertical face (north/down plane), as a GeoJSON polygon feature."""
    ned = np.array([[n0_m, 0.0, d_m - 0.001], [n1_m, 0.0, d_m - 0.001], [n1_m, 0.0, d_m + 0.001],
                    [n0_m, 0.0, d_m + 0.001], [n0_m, 0.0, d_m - 0.001]])
    geo = frame.to_geodetic(ned)  # type: ignore[attr-defined]
    c = frame.to_geodetic(np.array([(n0_m + n1_m) / 2, 0.0, d_m]))  # type: ignore[attr-defined]
    coords = [[float(p[1]), float(p[0]), float(p[2])] for p in geo]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [coords]},
            "properties": {**props, "centroid_lat_deg": float(c[0]), "centroid_lon_deg": float(c[1]),
                           "centroid_alt_msl_m": float(c[2]), "lat": float(c[0]), "lon": float(c[1]),
                           "alt_msl_m": float(c[2])}}


def test_a_fragment_of_one_crack_never_counts_as_finding_its_neighbour(tmp_path: Path) -> None:
    # A 0.6 m crack found in two pieces; a 5 cm crack 10 cm above its end is not found. The second
    # piece's centroid is 17 cm from the small crack's: a centroid radius would "find" it.
    from skyinspect.geodesy import LocalFrame

    frame = LocalFrame(47.0, 8.0, 500.0)
    truth = _write_truth(tmp_path / "truth.geojson", [
        _strip_feature(frame, 0.0, 0.6, 0.0, {"defect_id": "A", "class": "crack"}),
        _strip_feature(frame, 0.65, 0.70, -0.10, {"defect_id": "B", "class": "crack"})])
    found = _write_truth(tmp_path / "found.geojson", [
        _strip_feature(frame, 0.25, 0.35, 0.0, {"finding_id": "F1", "class": "crack", "gsd_mm": 1.0}),
        _strip_feature(frame, 0.50, 0.58, 0.0, {"finding_id": "F2", "class": "crack", "gsd_mm": 1.0})])
    cmp = compare_with_truth(found, truth)
    assert cmp.matches == (("A", "F1"),)
    # F2 is a second piece of A: a duplicate (a real crack reported twice), not a false alarm
    assert (cmp.found_count, cmp.false_positive_count, cmp.duplicate_count) == (1, 0, 1)
    assert cmp.per_class["crack"].duplicate_count == 1
    # where the found pixels lie (exactly on the crack) vs how much of it was found (a sixth)
    assert cmp.mean_position_error_m < 1e-3 and cmp.mean_placement_error_m < 1e-4
    assert math.isclose(cmp.mean_coverage, (0.10 + 2 * 0.002) / 0.6, rel_tol=0.05)


def _across_feature(frame: object, n_m: float, d0_m: float, d1_m: float, props: dict[str, object]) -> dict[str, object]:
    """A 2 mm strip running down the face (plumb) at north ``n_m``: a formwork joint line."""
    ned = np.array([[n_m - 0.001, 0.0, d0_m], [n_m + 0.001, 0.0, d0_m], [n_m + 0.001, 0.0, d1_m],
                    [n_m - 0.001, 0.0, d1_m], [n_m - 0.001, 0.0, d0_m]])
    geo = frame.to_geodetic(ned)  # type: ignore[attr-defined]
    c = frame.to_geodetic(np.array([n_m, 0.0, (d0_m + d1_m) / 2]))  # type: ignore[attr-defined]
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[float(p[1]), float(p[0]), float(p[2])]
                                                                                 for p in geo]]},
            "properties": {**props, "centroid_lat_deg": float(c[0]), "centroid_lon_deg": float(c[1]),
                           "centroid_alt_msl_m": float(c[2]), "lat": float(c[0]), "lon": float(c[1]),
                           "alt_msl_m": float(c[2])}}


def test_a_line_that_only_crosses_a_crack_never_takes_its_match(tmp_path: Path) -> None:
    # A 0.6 m crack found over its first 0.4 m (centroid 10 cm off the truth's), and a 0.4 m joint
    # line crossing it right at its centroid: the line's centroid is nearer, but it lies on the crack
    # for 2 mm of its length. The crack's own finding is the match; the line is a false positive.
    from skyinspect.geodesy import LocalFrame

    frame = LocalFrame(47.0, 8.0, 500.0)
    truth = _write_truth(tmp_path / "truth.geojson", [_strip_feature(frame, 0.0, 0.6, 0.0,
                                                                     {"defect_id": "A", "class": "crack"})])
    found = _write_truth(tmp_path / "found.geojson", [
        _strip_feature(frame, 0.0, 0.4, 0.0, {"finding_id": "F1", "class": "crack", "gsd_mm": 1.0}),
        _across_feature(frame, 0.3, -0.2, 0.2, {"finding_id": "F1-J", "class": "crack", "gsd_mm": 1.0})])
    cmp = compare_with_truth(found, truth)
    assert cmp.matches == (("A", "F1"),)
    assert (cmp.found_count, cmp.false_positive_count, cmp.duplicate_count) == (1, 1, 0)
    assert math.isclose(cmp.mean_position_error_m, 0.1, abs_tol=2e-3)
