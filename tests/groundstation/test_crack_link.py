"""Crack linking: pieces of one crack the detector left apart become one finding; others stay apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface

from groundstation.crack_link import linked_labels, polyline_ends, resample
from groundstation.fuse import FuseParams, fuse
from groundstation.georef import georeference
from groundstation.load import load_flight
from groundstation.plane import plane_basis


def _line(*pts: tuple[float, float]) -> np.ndarray:
    return np.array(pts, dtype=np.float64)


def _labels(*lines: np.ndarray) -> list[int]:
    return linked_labels([([line], []) for line in lines])


def test_polyline_ends_point_out_of_the_line() -> None:
    (p0, u0), (p1, u1) = polyline_ends(_line((0, 0), (0.1, 0), (0.1, 0.1)), 0.02)
    assert np.allclose(p0, [0, 0]) and np.allclose(u0, [-1, 0])
    assert np.allclose(p1, [0.1, 0.1]) and np.allclose(u1, [0, 1])
    assert polyline_ends(_line((0, 0), (0, 0)), 0.02) == []


def test_resample_keeps_vertices_and_spacing() -> None:
    pts = resample(_line((0, 0), (0.1, 0)), 0.005)
    assert len(pts) == 21 and np.allclose(pts[[0, -1]], [[0, 0], [0.1, 0]])
    assert np.max(np.linalg.norm(np.diff(pts, axis=0), axis=1)) <= 0.005 + 1e-12


def test_pieces_in_line_link_and_others_do_not() -> None:
    a = _line((0, 0), (0.2, 0))
    assert _labels(a, _line((0.26, 0.01), (0.5, 0.02))) == [0, 0]  # 6 cm gap, in line
    assert _labels(a, _line((0.30, 0), (0.5, 0))) == [0, 1]  # 10 cm: too far
    assert _labels(a, _line((0.02, 0.03), (0.18, 0.03))) == [0, 1]  # side by side, 3 cm apart
    assert _labels(a, _line((0.25, 0.06), (0.25, 0.3))) == [0, 1]  # ahead but 50 deg off a's line
    # a chain, the middle piece given backwards
    assert _labels(a, _line((0.45, 0), (0.26, 0)), _line((0.51, 0), (0.8, 0))) == [0, 0, 0]


def test_a_branch_links_to_the_crack_it_grows_from() -> None:
    trunk = _line((0.0, -0.2), (0.0, 0.2))
    assert _labels(trunk, _line((0.04, 0.0), (0.3, 0.02))) == [0, 0]  # T junction, 4 cm gap
    assert _labels(trunk, _line((0.04, 0.0), (0.04, 0.3))) == [0, 1]  # parallel beside it


def test_fuse_reports_a_broken_crack_once(tmp_path: Path) -> None:
    pieces = [crack_on_face(0.0, FLY_HEIGHT_M, length_m=0.12), crack_on_face(0.17, FLY_HEIGHT_M, length_m=0.12),
              corrosion_on_face(0.6, FLY_HEIGHT_M, size_m=0.05)]
    flight = load_flight(face_flight(tmp_path / "f", pieces, n_frames=3))
    geo = georeference(flight, face_surface())
    basis = plane_basis(geo.surface, flight.origin)
    linked = fuse(geo, flight.origin, basis)
    assert sorted(f.class_name for f in linked) == ["corrosion", "crack"]
    apart = fuse(geo, flight.origin, basis, FuseParams(crack_link_distance_m=0.0))
    assert sorted(f.class_name for f in apart) == ["corrosion", "crack", "crack"]
