"""Pass alignment (groundstation/passes.py): one GNSS error per pass, taken out before fusion."""

from __future__ import annotations

import numpy as np
import pytest

from groundstation.fuse import FuseParams, fuse
from groundstation.georef import STATUS_OK, FrameGeoref, Georeferenced
from groundstation.passes import align_passes, split_passes
from groundstation.plane import plane_basis
from skyinspect.findings import Detection
from skyinspect.geodesy import LocalFrame
from skyinspect.segmentation import CORROSION
from skyinspect.surface import PlaneSurface

FRAME = LocalFrame(47.0, 8.0, 400.0)
SURFACE = PlaneSurface.ground(47.0, 8.0, 400.0)
BASIS = plane_basis(SURFACE, FRAME)  # ground plane: u = east, v = north
DEFECTS_EN = np.array([[0.0, 0.0], [1.3, 0.4], [2.1, -0.5], [3.2, 0.3], [4.4, -0.2]])  # east, north (m)


def _flight(bias_b_en: tuple[float, float], seen_by_b: slice = slice(None), noise_m: float = 0.005,
            seed: int = 0) -> Georeferenced:
    """Two passes over the defects at 10 m: A eastwards (frames 1-10), then a lane change and B
    westwards (frames 11-20) with its own horizontal GNSS error (B's minus A's)."""
    rng = np.random.default_rng(seed)
    frames, dets = [], []
    for k in range(20):
        east = 0.5 * k if k < 10 else 0.5 * (19 - k)
        north = -1.0 if k < 10 else 1.0
        bias = np.zeros(2) if k < 10 else np.array(bias_b_en)
        cam = np.array([north + bias[1], east + bias[0], -10.0])
        frames.append(FrameGeoref(k + 1, float(k), STATUS_OK, cam, None, 0.004, 10.0, None))
        visible = DEFECTS_EN if k < 10 else DEFECTS_EN[seen_by_b]
        for i, (e, n) in enumerate(visible):
            if abs(e - east) > 1.6:
                continue
            c = np.array([e, n]) + bias + rng.normal(0, noise_m, 2)
            ang = np.linspace(0, 2 * np.pi, 16, endpoint=False)
            ring = np.stack([c[1] + 0.05 * np.sin(ang), c[0] + 0.05 * np.cos(ang), np.zeros(16)], axis=1)
            dets.append(Detection(k + 1, i, CORROSION, 0.9, ring, ring.mean(axis=0), None, 0.0078, 0.004, 10.0,
                                  0.0, 0.5, 0.8))
    return Georeferenced(SURFACE, tuple(frames), tuple(dets))


def test_a_lane_change_and_a_pause_start_new_passes() -> None:
    geo = _flight((0.0, 0.0))
    passes = split_passes(geo.frames, BASIS)
    assert [passes[i] for i in range(1, 21)] == [0] * 10 + [1] * 10
    paused = [f if f.frame_index < 6 else FrameGeoref(f.frame_index, f.capture_time_utc_s + 30, f.status,
                                                      f.camera_ned_m, None, f.gsd_m, f.range_m, None)
              for f in geo.frames[:10]]
    assert [split_passes(paused, BASIS)[i] for i in range(1, 11)] == [0] * 5 + [1] * 5


@pytest.mark.parametrize("bias", [(0.3, -0.2), (-0.9, 0.7)])
def test_the_second_pass_is_moved_onto_the_first_and_fusion_reports_each_defect_once(bias) -> None:  # type: ignore[no-untyped-def]
    geo = _flight(bias)
    aligned = align_passes(geo, BASIS)
    assert len(aligned.offsets_m) == 1
    (moved_pass, offset), = aligned.offsets_m.items()
    # the larger pass stays; the other moves by the difference of the two GNSS errors
    expected = -np.array(bias) if moved_pass == 1 else np.array(bias)
    assert offset == pytest.approx(expected, abs=0.01)
    assert len(fuse(geo, FRAME, BASIS, FuseParams(align_passes=False))) == 2 * len(DEFECTS_EN)
    findings = fuse(geo, FRAME, BASIS)
    assert len(findings) == len(DEFECTS_EN)
    assert all(len({v[0] > 10 for v in f.views}) == 2 for f in findings)  # each seen from both passes


def test_exact_poses_are_left_alone() -> None:
    geo = _flight((0.0, 0.0))
    aligned = align_passes(geo, BASIS)
    assert aligned.offsets_m == {} and aligned.geo is geo


def test_one_shared_defect_is_too_little_to_move_a_pass() -> None:
    # pass B saw only the first defect: one defect cannot tell its offset from a neighbour's
    geo = _flight((0.3, -0.2), seen_by_b=slice(0, 1))
    assert align_passes(geo, BASIS).offsets_m == {}


def _partial_flight(half_in_b: bool) -> Georeferenced:
    """Exact poses; pass A detects each 0.2 m rust patch whole, pass B (as a model often does from
    another view) only its upper half, whose centroid (the outline's mean) lies 60 mm above the patch's."""
    frames, dets = [], []
    ang = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    for k in range(20):
        east = 0.5 * k if k < 10 else 0.5 * (19 - k)
        cam = np.array([-1.0 if k < 10 else 1.0, east, -10.0])
        frames.append(FrameGeoref(k + 1, float(k), STATUS_OK, cam, None, 0.004, 10.0, None))
        for i, (e, n) in enumerate(DEFECTS_EN):
            if abs(e - east) > 1.6:
                continue
            a = ang[:17] if k >= 10 and half_in_b else ang  # the northern half: 0..pi
            ring = np.stack([n + 0.1 * np.sin(a), e + 0.1 * np.cos(a), np.zeros(len(a))], axis=1)
            dets.append(Detection(k + 1, i, CORROSION, 0.9, ring, ring.mean(axis=0), None, 0.0078, 0.004, 10.0,
                                  0.0, 0.5, 0.8))
    return Georeferenced(SURFACE, tuple(frames), tuple(dets))


def test_centroids_of_partly_seen_defects_do_not_move_a_pass_their_outlines_must_agree() -> None:
    """Every defect votes the same 60 mm offset (the half's centroid against the whole's), but moving
    pass B by it lays its outlines over A's no better than they lie already: exact poses stay."""
    from groundstation import passes

    geo = _partial_flight(half_in_b=True)
    assert align_passes(geo, BASIS).offsets_m == {}
    # what the check stops: the centroid vote alone would have moved pass B
    check = passes._outlines_agree_better
    try:
        passes._outlines_agree_better = lambda *_a: True  # type: ignore[assignment]
        (offset,) = align_passes(geo, BASIS).offsets_m.values()
    finally:
        passes._outlines_agree_better = check  # type: ignore[assignment]
    half = np.sin(np.linspace(0, 2 * np.pi, 32, endpoint=False)[:17]).mean() * 0.1
    assert offset == pytest.approx([0.0, -half], abs=0.005)


def _lookalike_flight() -> Georeferenced:
    """Exact poses, metre-level stated accuracy (sigma_h 0.5 m), and pass B sees other defects than
    A: three of its own, each 0.8 m east and 0.6 m north of one of A's (the demo flight's upper
    lanes see rust and cracks the lower ones never see whole)."""
    from dataclasses import replace

    geo = _flight((0.0, 0.0), seen_by_b=slice(1, 4))
    dets = tuple(replace(d, sigma_h_m=0.5,
                         outline_ned_m=d.outline_ned_m + (np.array([0.6, 0.8, 0.0]) if d.frame_index > 10 else 0.0),
                         centroid_ned_m=d.centroid_ned_m + (np.array([0.6, 0.8, 0.0]) if d.frame_index > 10 else 0.0))
                 for d in geo.detections)
    return replace(geo, detections=dets)


def test_passes_tied_by_image_tie_points_are_not_moved_by_lookalike_defects() -> None:
    """Two defects whose spacing matches by chance vote a pass offset; image tie points, from the
    whole texture of the overlap, already put the passes together (groundstation.tiepoints): on the
    demo flight simulated with 1 m GNSS error (seed 7) the vote moved the two upper lanes 1.6 m off
    the tie points' answer (12 -> 0 findings on their defects)."""
    from dataclasses import replace

    geo = _lookalike_flight()
    assert align_passes(geo, BASIS).offsets_m  # nothing else to go by: the lookalikes win the vote
    tied = replace(geo, tied_frames=tuple(f.frame_index for f in geo.frames))
    aligned = align_passes(tied, BASIS)
    assert aligned.offsets_m == {} and aligned.geo is tied
    assert len(fuse(tied, FRAME, BASIS)) == len(DEFECTS_EN) + 3
