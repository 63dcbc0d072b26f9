"""Measurement: crack length along the skeleton, width, area, and 'not measurable' when too coarse."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface

from groundstation.fuse import fuse
from groundstation.georef import georeference
from groundstation.load import load_flight
from groundstation.measure import MeasureLimits, measure, polyline_length_m
from groundstation.plane import plane_basis


def _findings(folder: Path, limits: MeasureLimits = MeasureLimits()):  # type: ignore[no-untyped-def]
    flight = load_flight(folder)
    geo = georeference(flight, face_surface())
    basis = plane_basis(geo.surface, flight.origin)
    return measure(fuse(geo, flight.origin, basis), geo.detections, basis, limits)


def test_polyline_length() -> None:
    assert math.isclose(polyline_length_m(np.array([[0, 0, 0], [3, 4, 0], [3, 4, 12]])), 17.0)


def test_straight_crack_length_within_one_percent_and_width(tmp_path: Path) -> None:
    crack = crack_on_face(0.0, FLY_HEIGHT_M, length_m=0.30, width_m=0.004)
    (f,) = _findings(face_flight(tmp_path / "f", [crack], n_frames=3))
    length = f.measurements["length_mm"]
    assert length.unit == "mm" and length.value is not None
    assert abs(length.value - 300.0) / 300.0 < 0.01
    assert 0 < length.sigma < 5
    width = f.measurements["width_mm"]
    assert width.value is not None and abs(width.value - 4.0) < 0.2 and width.sigma > 0
    area = f.measurements["area_m2"]
    assert area.unit == "m2" and math.isclose(area.value, 0.30 * 0.004, rel_tol=0.02)
    assert f.skeleton_ned_m is not None


def test_corrosion_area_and_too_coarse_gsd(tmp_path: Path) -> None:
    spot = corrosion_on_face(0.3, FLY_HEIGHT_M, size_m=0.10)
    folder = face_flight(tmp_path / "f", [spot], n_frames=3)
    (f,) = _findings(folder)
    expected = 0.5 * 16 * math.sin(2 * math.pi / 16) * 0.05 ** 2
    assert math.isclose(f.measurements["area_m2"].value, expected, rel_tol=0.01)
    assert "length_mm" not in f.measurements
    (coarse,) = _findings(folder, MeasureLimits(max_gsd_area_m=0.001))
    m = coarse.measurements["area_m2"]
    assert m.value is None and m.note.startswith("not measurable: GSD 1.5 mm > 1.0 mm")


def test_crack_width_not_measurable_when_gsd_too_coarse(tmp_path: Path) -> None:
    crack = crack_on_face(0.0, FLY_HEIGHT_M)
    (f,) = _findings(face_flight(tmp_path / "f", [crack], n_frames=2), MeasureLimits(max_gsd_crack_width_m=0.001))
    assert f.measurements["length_mm"].value is not None
    assert f.measurements["width_mm"].value is None and "not measurable: GSD" in f.measurements["width_mm"].note
