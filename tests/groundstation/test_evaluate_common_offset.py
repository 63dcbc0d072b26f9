"""A flight shifted as a whole (plain GNSS: the error tie points leave) is scored after taking out its
common offset too, beside the strict numbers (groundstation.evaluate_offset)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from groundstation.evaluate import compare_with_truth
from skyinspect.geodesy import LocalFrame

FRAME = LocalFrame(47.0, 8.0, 400.0)
SHIFT_NED_M = np.array([0.62, -0.35, 0.0])  # the flight's common error: 0.71 m toward 330.6°


def _defects() -> list[tuple[str, np.ndarray]]:
    """Six defects 1.5 m apart on level ground: 0.1 m rust squares and 0.3 m x 4 mm cracks."""
    out = []
    for i in range(6):
        n0, e0 = 1.5 * (i % 3), 1.5 * (i // 3)
        if i % 2:
            ring = [[n0, e0, 0], [n0 + 0.1, e0, 0], [n0 + 0.1, e0 + 0.1, 0], [n0, e0 + 0.1, 0]]
            out.append(("corrosion", np.array(ring, dtype=float)))
        else:
            ring = [[n0, e0, 0], [n0 + 0.3, e0, 0], [n0 + 0.3, e0 + 0.004, 0], [n0, e0 + 0.004, 0]]
            out.append(("crack", np.array(ring, dtype=float)))
    return out


def _feature(cls: str, ring_ned: np.ndarray, props: dict[str, object]) -> dict[str, object]:
    geo = FRAME.to_geodetic(ring_ned)
    coords = [[float(p[1]), float(p[0]), float(p[2])] for p in geo]
    c = FRAME.to_geodetic(ring_ned.mean(axis=0))
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [coords + coords[:1]]},
            "properties": {"class": cls, "lat": float(c[0]), "lon": float(c[1]), "alt_msl_m": float(c[2]),
                           "centroid_lat_deg": float(c[0]), "centroid_lon_deg": float(c[1]),
                           "centroid_alt_msl_m": float(c[2]), **props}}


def _write(path: Path, features: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _case(tmp_path: Path, shifts_ned_m: list[np.ndarray]) -> tuple[Path, Path]:
    defects = _defects()
    truth = _write(tmp_path / "truth.geojson", [_feature(cls, ring, {"defect_id": f"D{i}"})
                                                 for i, (cls, ring) in enumerate(defects)])
    found = [_feature(cls, ring + s, {"finding_id": f"F{i}", "gsd_mm": 1.0, "ce90_m": 1.32})
             for i, ((cls, ring), s) in enumerate(zip(defects, shifts_ned_m))]
    found.append(_feature("corrosion", np.array([[9, 9, 0], [9.1, 9, 0], [9.1, 9.1, 0], [9, 9.1, 0]], dtype=float)
                          + SHIFT_NED_M, {"finding_id": "FP", "gsd_mm": 1.0, "ce90_m": 1.32}))
    return _write(tmp_path / "findings.geojson", found), truth


def test_a_flight_shifted_as_a_whole_is_scored_after_its_common_offset_too(tmp_path: Path) -> None:
    findings, truth = _case(tmp_path, [SHIFT_NED_M] * 6)
    cmp = compare_with_truth(findings, truth)
    # the strict numbers stay what they are: 0.71 m is no match at 5 cm
    assert (cmp.found_count, cmp.false_positive_count) == (0, 7)
    off = cmp.common_offset
    assert off is not None and off.support == 6
    assert np.allclose(off.offset_ned_m, SHIFT_NED_M, atol=0.002)
    assert math.isclose(off.horizontal_m, 0.712, abs_tol=0.002)
    assert math.isclose(off.bearing_deg, 330.6, abs_tol=0.3)
    assert math.isclose(off.ce90_m, 1.32)
    after = cmp.offset_removed
    assert after is not None
    assert (after.true_count, after.found_count, after.false_positive_count, after.duplicate_count) == (6, 6, 1, 0)
    assert after.mean_position_error_m < 0.002 and after.mean_placement_error_m < 0.002


def test_no_offset_leaves_the_comparison_as_it_was(tmp_path: Path) -> None:
    findings, truth = _case(tmp_path, [np.zeros(3)] * 6)
    cmp = compare_with_truth(findings, truth)
    assert (cmp.found_count, cmp.false_positive_count) == (6, 1)
    assert cmp.offset_removed is None  # under the matching distance: nothing to take out


def test_offsets_that_do_not_agree_are_not_taken_out(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    shifts = [np.array([r * math.cos(a), r * math.sin(a), 0.0])
              for r, a in zip(rng.uniform(0.3, 0.7, 6), np.linspace(0, 2 * math.pi, 6, endpoint=False))]
    cmp = compare_with_truth(*_case(tmp_path, shifts))
    assert cmp.common_offset is None and cmp.offset_removed is None
    assert cmp.found_count == 0


def test_the_table_prints_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from skyinspect.cli.demo import console, print_comparison

    monkeypatch.setattr(console, "_width", 200)  # one line per row, whatever the terminal
    with console.capture() as shifted:
        print_comparison(compare_with_truth(*_case(tmp_path, [SHIFT_NED_M] * 6)))
    text = shifted.get()
    assert "common offset" in text and "0.71 m toward 331°" in text and "within the findings' CE90 1.32 m" in text
    assert "6 (100%)" in text  # found after taking it out
    (tmp_path / "b").mkdir()
    with console.capture() as exact:
        print_comparison(compare_with_truth(*_case(tmp_path / "b", [np.zeros(3)] * 6)))
    assert "common offset" not in exact.get()
