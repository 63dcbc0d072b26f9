"""Image tie points between passes (groundstation/tiepoints.py) on a simulated flight whose telemetry
carries one GNSS error per lane (SimConfig.gnss_error_m) while its frames are rendered true."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from groundstation.fuse import FuseParams
from groundstation.pipeline import process
from groundstation.tiepoints import TieParams
from missions.simulator import SimConfig, simulate
from missions.simulator.flight import gnss_error_ned, plan_flight
from missions.simulator.oracle import TruthMaskSegmenter
from onboard.replay import run_replay
from skyinspect.camera import CameraModel
from skyinspect.surface import PlaneSurface


@pytest.fixture(scope="module")
def noisy_flight(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimConfig]:
    root = tmp_path_factory.mktemp("tie")
    config = replace(SimConfig.small(), gnss_error_m=0.3, rtk=False)
    simulate(root / "sim", config)
    run_replay(root / "sim" / "frames", root / "sim" / "flight.tlog", root / "flight", TruthMaskSegmenter(root / "sim"),
               CameraModel.load(root / "sim" / "camera.yaml"), progress=False)
    return root, config


def _process(root: Path, name: str, **kw):  # type: ignore[no-untyped-def]
    return process(root / "flight", root / name, PlaneSurface.load(root / "sim" / "surface.json"), progress=False, **kw)


def test_the_second_lane_is_moved_by_its_true_relative_error(noisy_flight) -> None:  # type: ignore[no-untyped-def]
    import logging

    root, config = noisy_flight
    plan = plan_flight(config)
    err = {lane: gnss_error_ned(plan, next(c.t_s for c in plan.captures if c.lane == lane)) for lane in (1, 2)}
    summary = _process(root, "aligned")
    aligned, out = summary.findings, summary.out
    plain = _process(root, "plain", tie_params=TieParams(min_shift_m=1e9), fuse_params=FuseParams(align_passes=False)).findings
    # the aligned flight's cameras: lane 2's moved onto lane 1's error (within a few cm), lane 1's kept
    cams = {f["frame_index"]: np.array(f["camera_ned_m"]) for f in
            json.loads((out / "stages" / "aligned.json").read_text())["data"]["frames"]}
    raw = {f["frame_index"]: np.array(f["camera_ned_m"]) for f in
           json.loads((out / "stages" / "detections.json").read_text())["data"]["frames"]}
    lane_of = {c.index: c.lane for c in plan.captures}
    moves = {lane_of[i]: cams[i] - raw[i] for i in cams}
    n = PlaneSurface.load(root / "sim" / "surface.json").normal_ned()

    def in_plane(x: np.ndarray) -> np.ndarray:
        return x - float(x @ n) * n

    # each lane's range error goes (test below); in the plane the reference lane stays and the other
    # moves by the lanes' difference
    assert np.linalg.norm(in_plane(moves[1])) < 1e-6 or np.linalg.norm(in_plane(moves[2])) < 1e-6
    moved_lane = 2 if np.linalg.norm(in_plane(moves[2])) > 1e-6 else 1
    other = 3 - moved_lane
    np.testing.assert_allclose(in_plane(moves[moved_lane]), in_plane(err[other] - err[moved_lane]), atol=0.06)
    assert aligned <= plain
    # both lanes were linked: fusion's vote by defects leaves them as the tie points put them
    tied = json.loads((out / "stages" / "aligned.json").read_text())["data"]["tied_frames"]
    assert tied == sorted(lane_of)
    # the user is told: the summary counts the moved frames, the report says so in its data quality
    assert summary.frames_realigned == len(plan.captures)
    assert summary.max_realign_m == pytest.approx(max(np.linalg.norm(m) for m in moves.values()), abs=1e-3)
    assert "corrected by image tie points" in (out / "report.html").read_text()
    logging.getLogger(__name__).info("findings %d aligned vs %d plain", aligned, plain)


def test_exact_telemetry_moves_nothing(tmp_path: Path) -> None:
    config = SimConfig.small()
    simulate(tmp_path / "sim", config)
    run_replay(tmp_path / "sim" / "frames", tmp_path / "sim" / "flight.tlog", tmp_path / "flight",
               TruthMaskSegmenter(tmp_path / "sim"), CameraModel.load(tmp_path / "sim" / "camera.yaml"), progress=False)
    assert _process(tmp_path, "out").frames_realigned == 0
    a = json.loads((tmp_path / "out" / "stages" / "aligned.json").read_text())["data"]
    b = json.loads((tmp_path / "out" / "stages" / "detections.json").read_text())["data"]
    # the lanes were linked by tie points with nothing to move: recorded as tied (below), nothing else differs
    assert a.pop("tied_frames") == sorted(f["frame_index"] for f in b["frames"])
    assert b.pop("tied_frames") == []
    assert a == b


def test_lanes_tie_points_find_together_are_tied_when_nothing_moves(tmp_path: Path) -> None:
    """Exact telemetry: the tie points link the lanes and find them together, so nothing moves. Before, realign then returned the flight
    without ``tied_frames``, and fusion's vote on defect centroids, searching 3 sigma of the stated
    accuracy, could still move a lane by two lookalike defects (tests/groundstation/test_passes.py:
    exact poses, sigma_h 0.5 m): the protection held only where tie points had moved a lane."""
    from groundstation.georef import georeference
    from groundstation.load import load_flight
    from groundstation.tiepoints import realign

    config = SimConfig.small()
    simulate(tmp_path / "sim", config)
    run_replay(tmp_path / "sim" / "frames", tmp_path / "sim" / "flight.tlog", tmp_path / "flight",
               TruthMaskSegmenter(tmp_path / "sim"), CameraModel.load(tmp_path / "sim" / "camera.yaml"), progress=False)
    flight = load_flight(tmp_path / "flight")
    geo = georeference(flight, PlaneSurface.load(tmp_path / "sim" / "surface.json"))
    out, moved = realign(flight, geo)
    assert moved == {}
    assert out.tied_frames == tuple(sorted(f.frame_index for f in geo.frames))
    assert out.frames == geo.frames and out.detections == geo.detections


def test_every_lane_range_error_is_taken_out_by_its_own_overlap(noisy_flight) -> None:  # type: ignore[no-untyped-def]
    """A camera position error along the surface normal is a range error: everything that lane casts
    is scaled by (range + error) / range (the small flight's first lane: 0.15 m at 1.5 m, 10 %). The
    passes' links take out only the lanes' differences, so the reference lane's error scaled every
    finding; two overlapping frames of one lane, whose GNSS baseline is right (one error per lane),
    see it as parallax that does not fit, and fix it."""
    root, config = noisy_flight
    plan = plan_flight(config)
    lane_of = {c.index: c.lane for c in plan.captures}
    err = {lane: gnss_error_ned(plan, next(c.t_s for c in plan.captures if c.lane == lane)) for lane in (1, 2)}
    out = _process(root, "ranged").out
    n = PlaneSurface.load(root / "sim" / "surface.json").normal_ned()
    cams = {f["frame_index"]: np.array(f["camera_ned_m"]) for f in
            json.loads((out / "stages" / "aligned.json").read_text())["data"]["frames"]}
    raw = {f["frame_index"]: np.array(f["camera_ned_m"]) for f in
           json.loads((out / "stages" / "detections.json").read_text())["data"]["frames"]}
    assert max(abs(float(err[lane] @ n)) for lane in (1, 2)) > 0.1  # the flight does carry range errors
    for i, cam in cams.items():
        true_cam = raw[i] - err[lane_of[i]]
        assert abs(float((cam - true_cam) @ n)) < 0.02, (i, lane_of[i], float((cam - true_cam) @ n))


def test_a_long_pass_fits_its_range_on_a_bounded_spread_of_overlapping_pairs() -> None:
    """One number per pass is fitted: all overlapping pairs of a 200-frame lane were 1,000+ fits and
    O(frames²) footprint tests (align 5 -> 123 s at 1,000 frames). Now at most ``range_max_pairs``,
    each within ``range_window`` frames and overlapping, spread from the lane's start to its end."""
    from shapely.geometry import box

    from groundstation.tiepoints import _range_pairs

    frames = list(range(1, 201))
    prints = {i: box(0.3 * i, 0.0, 0.3 * i + 2.0, 1.5) for i in frames}  # 0.3 m steps, 2 m wide views
    params = TieParams()
    pairs = _range_pairs(frames, prints, params)
    assert 2 <= len(pairs) <= params.range_max_pairs
    for a, b in pairs:
        share = prints[a].intersection(prints[b]).area / prints[a].area
        assert 0 < b - a <= params.range_window and share >= params.min_overlap
    assert pairs[0][0] <= 5 and pairs[-1][1] >= 195
    short = _range_pairs(frames[:3], prints, params)  # a 3-frame lane keeps every overlapping pair
    assert short == [(1, 2), (1, 3), (2, 3)]


def test_a_bounded_face_is_aligned_as_its_plane_is(noisy_flight) -> None:  # type: ignore[no-untyped-def]
    """A pier face given as a bounded ``face`` (what docs/georeferencing.md recommends, so a frame past
    its end is not placed on an imaginary extension) is as planar as an infinite ``plane``, but the
    passes' alignment (tie points: each pass's range, the passes onto each other, each frame; and
    fusion's vote) ran for a ``plane`` only. On the real ArduCopter SITL facade scan with one plain-GNSS
    error per lane (0.5-0.9 m along the face's normal) every frame's casts were scaled 6-11 %, one
    crack's sightings moved 0.15 m from frame to frame, none overlapped, and 2 of the 6 cracks were not
    reported at all (each sighting alone, dropped by the view support). The same flight on the same
    plane bounded to 100 x 100 m now has the plane's corrections."""
    from skyinspect.surfaces.face import FaceSurface

    root, _ = noisy_flight
    plane = PlaneSurface.load(root / "sim" / "surface.json")
    face = FaceSurface(plane.lat_deg, plane.lon_deg, plane.alt_msl_m, plane.normal_enu, (-50.0, 50.0), (-50.0, 50.0),
                       plane.name)
    on_plane = _process(root, "on_plane")
    on_face = process(root / "flight", root / "on_face", face, progress=False)
    assert on_plane.frames_realigned > 0
    assert on_face.frames_realigned == on_plane.frames_realigned
    assert on_face.max_realign_m == pytest.approx(on_plane.max_realign_m, abs=1e-6)

    def cams(out: Path) -> dict[int, np.ndarray]:
        return {f["frame_index"]: np.array(f["camera_ned_m"]) for f in
                json.loads((out / "stages" / "aligned.json").read_text())["data"]["frames"]}

    a, b = cams(on_plane.out), cams(on_face.out)
    assert a.keys() == b.keys() and all(np.allclose(a[i], b[i], atol=1e-6) for i in a)
    assert on_face.findings == on_plane.findings
