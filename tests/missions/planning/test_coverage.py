"""Coverage: the planned frames, projected through CameraModel, cover the requested surfaces."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from missions.planning import get_camera, load_asset, plan_inspection
from missions.planning.coverage import plan_coverage
from missions.planning.patterns_tower import SURFACE_SAMPLES_PER_USED_WIDTH

from .conftest import EXAMPLES, FAST


def test_pier_faces_fully_covered_at_requested_overlap(bridge_plan):
    req = bridge_plan.design.requirement
    covs = plan_coverage(bridge_plan)
    planar = [c for c in covs if c.area_covered_fraction is not None]
    assert len(planar) == 4
    for c in planar:
        assert c.covered_fraction == 1.0
        assert c.area_covered_fraction > 1 - 1e-9, c
        if c.min_front_overlap is not None:
            assert c.min_front_overlap >= req.front_overlap - 1e-6, c
        assert c.min_side_overlap >= req.side_overlap - 1e-6, c
        assert abs(c.median_gsd_m - bridge_plan.design.gsd_m_per_px) / bridge_plan.design.gsd_m_per_px < 0.02


def test_coverage_reports_each_photo_it_checks(bridge_plan):
    """The CLI's progress bar: one call per photo checked, as many as coverage_frame_count says."""
    from missions.planning.coverage import coverage_frame_count

    calls = []
    covs = plan_coverage(bridge_plan, on_frame=lambda: calls.append(1))
    assert len(calls) == coverage_frame_count(bridge_plan) == sum(c.frames for c in covs) > 0


def test_round_pier_fully_covered(bridge_plan):
    req = bridge_plan.design.requirement
    c = next(c for c in plan_coverage(bridge_plan) if c.surface == "pier P2")
    assert c.covered_fraction == 1.0 and c.covered_at_gsd_fraction == 1.0, c
    assert c.max_gsd_m <= 1.02 * req.gsd_required_m, c  # exact local GSD of each point's best photo
    assert c.used_front_overlap >= req.front_overlap - 1 / SURFACE_SAMPLES_PER_USED_WIDTH, c
    assert c.used_side_overlap >= req.side_overlap - 1 / SURFACE_SAMPLES_PER_USED_WIDTH, c


def test_tower_covered():
    plan = plan_inspection(load_asset(EXAMPLES / "wind_turbine.yaml"), get_camera("dji_h20_zoom"),
                           type(FAST)(crack_width_mm=8.0, exposure_s=0.0005))
    (c,) = [c for c in plan_coverage(plan) if c.surface == "tower"]
    assert c.covered_fraction == 1.0 and c.covered_at_gsd_fraction == 1.0


def test_deck_top_grid_covered(bridge):
    from dataclasses import replace

    plan = plan_inspection(replace(bridge, inspect_piers=("P1",), inspect_deck_top=True), get_camera("dji_h20_zoom"),
                           type(FAST)(crack_width_mm=3.0, exposure_s=0.0005))
    (c,) = [c for c in plan_coverage(plan) if c.surface == "deck top"]
    assert c.covered_fraction == 1.0
    assert all(g == -90.0 for p in plan.passes if p.name.startswith("deck") for g in p.gimbal_pitch_deg)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.sets(st.integers(0, 59), max_size=25), max_size=5), max_size=4))
def test_used_overlaps_match_counting_pair_by_pair(lanes_of_sets):
    """The sparse products give what comparing every pair of point sets gives."""
    import numpy as np

    from missions.planning.coverage import _used_overlaps

    used = [np.array(sorted(s), dtype=np.int64) for lane in lanes_of_sets for s in lane]
    lanes = [[(None, None)] * len(lane) for lane in lanes_of_sets]
    sets = [[set(s) for s in lane] for lane in lanes_of_sets]
    fronts = [len(a & b) / len(a) for lane in sets for a, b in zip(lane[:-1], lane[1:]) if a]
    sides = [max(len(a & b) for b in nxt) / len(a) for lane, nxt in zip(sets[:-1], sets[1:]) if nxt
             for a in lane if a]
    got = _used_overlaps(lanes, used, 60)  # type: ignore[arg-type]
    assert got["used_front_overlap"] == (min(fronts) if fronts else None)
    assert got["used_side_overlap"] == (min(sides) if sides else None)
    assert got["covered_at_gsd_fraction"] == len(set().union(*[s for lane in sets for s in lane])) / 60
