"""Crack length on a whole simulated flight whose poses are off: misplaced views must not add up."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest


@pytest.mark.slow
def test_plain_gnss_error_does_not_multiply_crack_lengths(tmp_path: Path) -> None:
    """1.5 m of GNSS error per lane (the align stage takes most of it out, not all): the same crack
    lands 1-3 cm apart in different frames. Every frame simply added read up to 5.6 m for cracks of
    at most 0.7 m (6.4x the longest single frame); laid on each other, with misplaced frames left
    out, the longest reads 0.89 m (measured). Aligned by passes only (TieParams.per_frame off): each
    frame's own correction (session 21) lays them within a centimetre, and none is left out."""
    from groundstation.pipeline import process
    from groundstation.tiepoints import TieParams
    from missions.simulator.config import SimConfig
    from missions.simulator.oracle import TruthMaskSegmenter
    from missions.simulator.simulate import simulate
    from onboard.replay import run_replay
    from skyinspect.camera import CameraModel
    from skyinspect.surface import PlaneSurface

    sim = tmp_path / "sim"
    simulate(sim, dataclasses.replace(SimConfig(), gnss_error_m=1.5), progress=False)
    run_replay(sim / "frames", sim / "flight.tlog", tmp_path / "flight", TruthMaskSegmenter(sim),
               CameraModel.load(sim / "camera.yaml"), progress=False)
    result = process(tmp_path / "flight", tmp_path / "geo", PlaneSurface.load(sim / "surface.json"), progress=False,
                     tie_params=TieParams(per_frame=False))
    truth = json.loads((sim / "truth.geojson").read_text())["features"]
    longest_true = max(f["properties"]["length_mm"] for f in truth if f["properties"]["class"] == "crack")
    found = json.loads(result.findings_geojson_path.read_text())["features"]
    cracks = [f["properties"] for f in found if f["properties"]["class"] == "crack"]
    assert cracks
    assert all(c["length_mm"] is not None and c["length_mm"] <= 1.4 * longest_true for c in cracks), \
        [(c["length_mm"], c["length_mm_note"]) for c in cracks]
    assert any("left out" in c["length_mm_note"] for c in cracks)
