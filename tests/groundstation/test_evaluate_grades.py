"""Crack width and grade against the truth (groundstation.evaluate_grades, via compare_with_truth)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from groundstation.evaluate import compare_with_truth
from skyinspect.geodesy import LocalFrame

FRAME = LocalFrame(47.3977, 8.5458, 488.1)


def _ring(north_m: float, east_m: float = 0.0, tall_m: float = 0.3) -> list[list[float]]:
    """A 2 mm wide plumb crack outline, ``tall_m`` high, on the plane east = ``east_m``."""
    ned = np.array([[north_m, east_m, -5.0], [north_m + 0.002, east_m, -5.0],
                    [north_m + 0.002, east_m, -5.0 - tall_m], [north_m, east_m, -5.0 - tall_m]])
    geo = FRAME.to_geodetic(ned)
    coords = [[float(p[1]), float(p[0]), float(p[2])] for p in geo]
    return coords + coords[:1]


def _feature(ring: list[list[float]], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}, "properties": props}


def _centre(ring: list[list[float]]) -> dict[str, float]:
    lon, lat, alt = np.mean(ring[:-1], axis=0)
    return {"lat": float(lat), "lon": float(lon), "alt_msl_m": float(alt)}


# north position, true width (mm, None: corrosion), what the finding reported: width value/sigma or
# bound, and its primary grade
CASES = {
    "A": (0.0, 0.8, {"width_mm_low": 0.5, "width_mm_high": 1.0}, "CS2"),  # bound holds; CS2 both
    "B": (2.0, 1.5, {"width_mm": 1.0, "width_mm_sigma": 0.1}, "CS2"),  # 5 sigma low; truth CS3
    "C": (4.0, 0.2, {}, "indeterminate"),  # not measured
    "D": (4.2, 0.2, {"width_mm": 0.21, "width_mm_sigma": 0.02}, "CS1"),  # holds; truth CS3: C is 0.2 m away
    "E": (6.0, None, {}, "CS2"),  # corrosion: AASHTO 1000 proves CS2 from its presence alone
}


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    truth, found = [], []
    for i, (name, (north, width, reported, grade)) in enumerate(CASES.items()):
        ring = _ring(north)
        cls = "crack" if width is not None else "corrosion"
        c = _centre(ring)
        truth.append(_feature(ring, {"defect_id": name, "class": cls, "area_m2": 0.0006, "length_mm": 300.0,
                                     "width_mm": width, "centroid_lat_deg": c["lat"], "centroid_lon_deg": c["lon"],
                                     "centroid_alt_msl_m": c["alt_msl_m"]}))
        found.append(_feature(ring, {"finding_id": f"F-{i}", "class": cls, **c, "gsd_mm": 1.0, "length_mm": 300.0,
                                     "width_mm": None, **reported, "grade": grade,
                                     "grade_rule": "aashto-mbei-1130@2" if cls == "crack" else "aashto-mbei-1000@1"}))
    t, f = tmp_path / "truth.geojson", tmp_path / "findings.geojson"
    t.write_text(json.dumps({"type": "FeatureCollection", "features": truth}))
    f.write_text(json.dumps({"type": "FeatureCollection", "features": found}))
    return t, f


def test_width_and_grade_against_the_truth(files: tuple[Path, Path]) -> None:
    truth, findings = files
    cmp = compare_with_truth(findings, truth)
    assert cmp.found_count == 5
    wg = cmp.width_grade
    by_id = {p.defect_id: p for p in wg.pairs}
    # the truth graded by the same rules: width, and crack spacing from the true outlines (C, D 0.2 m apart)
    assert {k: p.true_grade for k, p in by_id.items()} == {"A": "CS2", "B": "CS3", "C": "CS3", "D": "CS3",
                                                           "E": "CS2"}
    assert {k: p.width_holds for k, p in by_id.items()} == {"A": True, "B": False, "C": None, "D": True, "E": None}
    assert (wg.widths_compared, wg.widths_holding) == (3, 2)
    assert wg.width_ratio == pytest.approx(float(np.median([1.0 / 1.5, 0.21 / 0.2])))
    assert len(wg.graded()) == 5 and wg.agreeing() == 2 and wg.indeterminate() == 1
    assert [p.defect_id for p in wg.differing()] == ["B", "D"]
    assert (wg.agreeing("crack"), wg.agreeing("corrosion")) == (1, 1)


def test_a_truth_without_widths_grades_nothing(files: tuple[Path, Path]) -> None:
    """An older truth.geojson (no width_mm): its cracks cannot be graded, so no agreement is claimed."""
    truth, findings = files
    data = json.loads(truth.read_text())
    for f in data["features"]:
        f["properties"].pop("width_mm")
    truth.write_text(json.dumps(data))
    wg = compare_with_truth(findings, truth).width_grade
    assert wg.widths_compared == 0 and math.isnan(wg.width_ratio)
    graded = [p.defect_id for p in wg.graded()]
    # A and B, far from other cracks, are graded by their width alone; the corrosion needs no size
    assert "A" not in graded and "B" not in graded and "E" in graded, graded


def test_a_truth_of_multipolygons_is_graded_as_its_rings(files: tuple[Path, Path]) -> None:
    """compare_with_truth reads a true defect drawn as a MultiPolygon (its largest ring), a LineString or a
    Point; grading the truth took Polygons only: with some such features it ended in 'TypeError: 'numpy.float64'
    object is not iterable' (an empty ring's mean), with all of them no true grade at all, said as none."""
    truth, findings = files
    data = json.loads(truth.read_text())
    for f in data["features"][::2]:  # A, C and E
        f["geometry"] = {"type": "MultiPolygon", "coordinates": [f["geometry"]["coordinates"]]}
    truth.write_text(json.dumps(data))
    wg = compare_with_truth(findings, truth).width_grade
    assert {p.defect_id: p.true_grade for p in wg.pairs} == {"A": "CS2", "B": "CS3", "C": "CS3", "D": "CS3",
                                                              "E": "CS2"}
