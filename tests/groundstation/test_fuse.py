"""Fusion: one defect seen many times is one finding; separate defects stay separate; it is fast."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface, in_flight

from groundstation.fuse import fuse
from groundstation.georef import Georeferenced, georeference
from groundstation.load import load_flight
from groundstation.plane import plane_basis
from skyinspect.findings import Detection
from skyinspect.surface import PlaneSurface


def _fuse_flight(folder: Path):  # type: ignore[no-untyped-def]
    flight = load_flight(folder)
    geo = georeference(flight, face_surface())
    return flight, geo, fuse(geo, flight.origin, plane_basis(geo.surface, flight.origin))


def test_same_defect_in_five_frames_is_one_finding_with_five_views(tmp_path: Path) -> None:
    defect = corrosion_on_face(0.3, FLY_HEIGHT_M, size_m=0.08)
    flight, geo, findings = _fuse_flight(face_flight(tmp_path / "f", [defect], n_frames=5))
    assert len(geo.detections) == 5
    (f,) = findings
    assert f.finding_id == "F-0001" and f.view_count == 5 and f.class_name == "corrosion"
    assert f.views == tuple((k, 0) for k in range(5))
    # the best view is the most frontal one: the camera at north 0.3 m (frame 2) looks straight at it
    assert f.best_view == (2, 0)
    np.testing.assert_allclose(f.centroid_ned_m, in_flight(flight.origin, defect.outline_ned.mean(axis=0))[0],
                               atol=2e-3)


def test_two_separate_defects_are_two_findings_ordered_along_the_face(tmp_path: Path) -> None:
    defects = [corrosion_on_face(0.9, FLY_HEIGHT_M), crack_on_face(-0.2, FLY_HEIGHT_M + 0.2)]
    _, geo, findings = _fuse_flight(face_flight(tmp_path / "f", defects))
    assert len(findings) == 2
    assert [f.finding_id for f in findings] == ["F-0001", "F-0002"]
    # ids run left to right as seen facing the face (looking east, north is on the left)
    assert [f.class_name for f in findings] == ["corrosion", "crack"]
    assert all(f.view_count == 5 for f in findings)


def test_same_place_different_class_stays_apart(tmp_path: Path) -> None:
    defects = [corrosion_on_face(0.3, FLY_HEIGHT_M), crack_on_face(0.25, FLY_HEIGHT_M)]
    _, _, findings = _fuse_flight(face_flight(tmp_path / "f", defects, n_frames=3))
    assert sorted(f.class_name for f in findings) == ["corrosion", "crack"]


def _synthetic_detections(n_frames: int, per_frame: int, rng: np.random.Generator) -> tuple[Detection, ...]:
    """Ground-plane detections of 200 defects along a 200 m strip, each seen from several frames."""
    centres = np.stack([np.linspace(0, 200, 200), rng.uniform(-3, 3, 200)], axis=1)
    dets = []
    for k in range(n_frames):
        for i in range(per_frame):
            c = centres[(k + i * 7) % 200] + rng.normal(0, 0.01, 2)
            ang = np.linspace(0, 2 * np.pi, 24, endpoint=False)
            ring = np.stack([c[0] + 0.05 * np.cos(ang), c[1] + 0.05 * np.sin(ang), np.zeros_like(ang)], axis=1)
            dets.append(Detection(k, i, 2, 0.8, ring, ring.mean(axis=0), None, 0.0078, 0.004, 15.0, 3.0, 0.3, 0.5))
    return tuple(dets)


def test_fusing_a_thousand_frames_takes_seconds() -> None:
    from skyinspect.geodesy import LocalFrame

    frame = LocalFrame(47.0, 8.0, 400.0)
    surface = PlaneSurface.ground(47.0, 8.0, 400.0)
    dets = _synthetic_detections(1000, 5, np.random.default_rng(1))
    geo = Georeferenced(surface, (), dets)
    t0 = time.perf_counter()
    findings = fuse(geo, frame, plane_basis(surface, frame))
    elapsed = time.perf_counter() - t0
    assert len(findings) == 200
    assert sum(f.view_count for f in findings) == 5000
    assert elapsed < 10.0, f"fusing 5,000 detections took {elapsed:.1f} s"


def test_thin_curved_crack_centroid_is_its_centreline_centroid_within_a_fifth_of_a_pixel(tmp_path: Path) -> None:
    """Exact poses: the fused centroid of a crack is the length-weighted centroid of its centreline
    (skyinspect.centreline; the truth's definition). History: the centroid of the outline simplified
    to half a pixel moved 1-3 GSD along a crack ~2 px wide (its local width changed by up to a
    third); the area centroid of the exact outlines still weighed the drawn width."""
    from gs_fixtures import Defect, face_point

    t = np.linspace(0.0, 1.0, 40)
    north, up = -0.2 + 0.35 * t, FLY_HEIGHT_M + 0.04 * np.sin(2.5 * np.pi * t) + 0.05 * t
    d = np.gradient(np.stack([north, up], 1), axis=0)
    nrm = np.stack([-d[:, 1], d[:, 0]], 1) / np.linalg.norm(d, axis=1, keepdims=True) * 0.0015  # 3 mm wide
    ring = np.concatenate([np.stack([north, up], 1) + nrm, (np.stack([north, up], 1) - nrm)[::-1]])
    crack = Defect("curved", 1, np.array([face_point(a, b) for a, b in ring]),
                   np.array([face_point(a, b) for a, b in zip(north, up)]))
    flight, geo, findings = _fuse_flight(face_flight(tmp_path / "f", [crack], n_frames=4, step_m=0.05))
    (f,) = findings
    assert f.view_count == 4
    line = np.stack([north, up], 1)
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    c = ((line[1:] + line[:-1]) / 2 * seg[:, None]).sum(axis=0) / seg.sum()  # on the face (north, up)
    truth = in_flight(flight.origin, face_point(c[0], c[1]))[0]
    err = float(np.linalg.norm(f.centroid_ned_m - truth))
    assert err < 0.2 * f.gsd_m, f"centroid {err * 1000:.2f} mm off, GSD {f.gsd_m * 1000:.2f} mm"


def test_pinched_crack_outline_is_repaired_whole() -> None:
    """A thin crack's contour pinches at kinks (a figure eight); repair must keep every lobe, or
    views of one crack stop overlapping and become separate findings (a bug the demo showed)."""
    from shapely.geometry import Point, Polygon

    from groundstation.fuse import _repair

    gsd = 0.001
    # two thin lobes along a 0.4 m crack, touching at one point (x = 0.2)
    ring = [(0.0, 0.0), (0.1, 0.002), (0.2, 0.0), (0.3, 0.002), (0.4, 0.0), (0.3, -0.002), (0.2, 0.0),
            (0.1, -0.002)]
    pinched = Polygon(ring)
    assert not pinched.is_valid
    repaired = _repair(pinched, gsd)
    assert repaired.is_valid and repaired.geom_type == "Polygon"
    assert repaired.covers(Point(0.1, 0.0)) and repaired.covers(Point(0.3, 0.0))
    assert repaired.bounds[2] - repaired.bounds[0] >= 0.4


def test_a_defect_detected_in_one_of_several_views_that_saw_it_is_not_reported() -> None:
    from types import SimpleNamespace

    from shapely.geometry import box

    from groundstation.fuse import FuseParams, view_supported

    centre = np.array([0.5, 0.5])
    footprints = {i: box(-1 + 0.2 * i, -1, 2 + 0.2 * i, 2) for i in range(4)}  # all four see the centre
    once = [SimpleNamespace(frame_index=2)]
    twice = [SimpleNamespace(frame_index=1), SimpleNamespace(frame_index=2)]
    assert not view_supported(once, centre, footprints)  # seen 4 times, detected once: unconfirmed
    assert view_supported(twice, centre, footprints)
    # only two frames saw it (no overlap to confirm with): a single detection stands
    assert view_supported(once, centre, {0: footprints[0], 1: footprints[1]})
    # a centre outside the other footprints was not "seen" by them
    assert view_supported(once, np.array([5.0, 5.0]), footprints)
    assert view_supported(once, centre, footprints, FuseParams(min_views=1))


def test_pieces_of_one_crack_are_bridged_not_filled_in() -> None:
    """Three thin pieces of a crack seen a little apart: one polygon holding every piece, with
    next to no area added (a closing by the fusion tolerance filled the space between them)."""
    from shapely.geometry import LineString, MultiPolygon

    from groundstation.fuse import bridge_parts

    px = 1e-3
    pieces = [LineString([(0.0, 0.0), (0.10, 0.004)]), LineString([(0.11, 0.012), (0.25, 0.01)]),
              LineString([(0.12, -0.02), (0.20, -0.03)])]
    multi = MultiPolygon([p.buffer(px, cap_style="flat") for p in pieces])
    joined = bridge_parts(multi, 0.5 * px)
    assert joined.geom_type == "Polygon"
    assert joined.buffer(1e-9).contains(multi)
    assert joined.area < 1.1 * multi.area
    assert multi.convex_hull.area > 5 * joined.area  # what the old fallback drew


def test_a_crack_drawn_in_pieces_is_placed_at_the_middle_of_its_whole_length() -> None:
    """A 1 m crack found whole along its first half and in five dashes along the second: its
    centroid is the middle of the whole crack (gaps bridged, as the crack runs through them), not
    pulled towards the dashes, each of which counted its own boundary while the gaps counted nothing
    (the bare union's pieces, before session 15)."""
    from types import SimpleNamespace

    from shapely.geometry import LineString

    from groundstation.fuse import _centre, _merged_outline
    from skyinspect.centreline import shape_centreline_centroid
    from skyinspect.segmentation import CRACK

    px = 1e-3
    spans = [(0.0, 0.5)] + [(0.5 + 0.1 * k + 0.01, 0.5 + 0.1 * k + 0.09) for k in range(5)]
    polys = np.array([LineString([(a, 0.0), (b, 0.0)]).buffer(px, cap_style="flat") for a, b in spans])
    members = [SimpleNamespace(class_id=CRACK, gsd_m=px)]
    outline, exact = _merged_outline(members, polys)  # type: ignore[arg-type]
    u, v = _centre(outline, exact, members)  # type: ignore[arg-type]
    assert abs(u - 0.5) < 0.005 and abs(v) < 1e-3  # the dashes' ends still add a little
    assert shape_centreline_centroid(exact, px / 2)[0] < 0.485  # the pieces alone: 2.5 cm off
