"""Close the loop: plan a pier-face scan of the simulator's face → fly it in the simulator →
onboard replay (truth-mask segmenter) → ground-station processing → compare with the truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from missions.planning.assets import Bridge, Pier, Site
from missions.planning.cameras import CameraProfile
from missions.planning.design import Requirement
from missions.planning.planner import plan_inspection
from missions.simulator.config import SimConfig
from missions.simulator.from_plan import flight_from_plan, sim_config_for_plan, simulate_plan
from missions.simulator.scene import FACE_BASE_AMSL_M, face_frame

# 320 x 240 px, 5 um pixels, 5 mm lens: fx = 1000 px; 3 mm cracks / 2 px → 1.5 mm/px at 1.5 m.
SMALL_CAMERA = CameraProfile("sim-small", 1.6, 1.2, 320, 240, 5.0, exposure_s=0.001, min_trigger_interval_s=0.2)


def _latlon(n: float, e: float) -> tuple[float, float]:
    lat, lon, _ = face_frame().to_geodetic(np.array([n, e, 0.0]))
    return float(lat), float(lon)


def pier_face_asset(config: SimConfig) -> Bridge:
    """A box pier whose west face is the simulator's textured region (face frame: u = north,
    v = height above the base = AGL; the face is the plane east = 0)."""
    width = 0.6
    site = Site(ground_alt_msl_m=FACE_BASE_AMSL_M, home_lat_lon=_latlon(config.region_u0_m, -8.0),
                min_standoff_m=1.0, min_flight_agl_m=2.0, max_speed_m_s=1.0, climb_speed_m_s=1.0)
    pier = Pier("sim face", "box", _latlon(config.region_u0_m + config.region_width_m / 2, width / 2),
                config.region_v0_m + config.region_height_m, length_m=config.region_width_m, width_m=width,
                heading_deg=0.0)
    deck = (_latlon(60, -5), _latlon(60, 5), _latlon(65, 5), _latlon(65, -5))  # far away: not over the pier
    return Bridge("simulator pier face", site, deck, 12.0, 13.0, (pier,), pier_scan_bottom_agl_m=config.region_v0_m)


@pytest.fixture(scope="module")
def plan_and_config():  # type: ignore[no-untyped-def]
    config = SimConfig.small()
    req = Requirement(crack_width_mm=3.0, pixels_across_crack=2.0, front_overlap=0.5, side_overlap=0.5)
    return plan_inspection(pier_face_asset(config), SMALL_CAMERA, req), config


def test_flight_follows_the_plan(plan_and_config) -> None:  # type: ignore[no-untyped-def]
    plan, config = plan_and_config
    cfg = sim_config_for_plan(plan, config)
    assert cfg.fx_px == pytest.approx(1000.0) and cfg.standoff_m == pytest.approx(plan.design.standoff_m)
    flight = flight_from_plan(plan, cfg)
    west = [s for p in plan.passes if "(W)" in p.name for s in p.stations()]
    assert len(flight.captures) == len(west) > 0
    assert flight.dropped_photos == plan.photo_count - len(west)
    frame = face_frame()
    home = plan.frame
    for cap, (p_home, yaw, pitch) in zip(flight.captures, west):
        pose = flight.pose_at(cap.t_s, frame)
        lat, lon, alt = home.to_geodetic(np.asarray(p_home))
        got = frame.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m).reshape(3)
        want = frame.to_ned(lat, lon, alt).reshape(3)
        assert np.allclose(got, want, atol=0.01), (got, want)
        assert got[1] == pytest.approx(-plan.design.standoff_m, abs=0.01)  # at the standoff, west of the face
        assert abs((pose.yaw_deg - yaw + 180) % 360 - 180) < 1.0 and pose.gimbal_pitch_deg == pytest.approx(pitch)
    assert all(b.t_s > a.t_s for a, b in zip(flight.captures, flight.captures[1:]))


def test_plan_simulate_onboard_process_end_to_end(tmp_path: Path, plan_and_config) -> None:  # type: ignore[no-untyped-def]
    from groundstation.evaluate import compare_with_truth
    from groundstation.pipeline import process
    from missions.simulator.oracle import TruthMaskSegmenter
    from onboard.replay import run_replay
    from skyinspect.camera import CameraModel
    from skyinspect.surface import PlaneSurface

    plan, config = plan_and_config
    sim = tmp_path / "sim"
    result = simulate_plan(plan, sim, config)
    assert result.n_frames >= 4 and result.gsd_m == pytest.approx(0.0015)
    scene = json.loads((sim / "scene.json").read_text())
    assert scene["flown_plan"]["photos_flown"] == result.n_frames

    record = tmp_path / "record"
    summary = run_replay(sim / "frames", sim / "flight.tlog", record, TruthMaskSegmenter(sim),
                         CameraModel.load(sim / "camera.yaml"), progress=False)
    assert summary.frames == result.n_frames
    out = tmp_path / "results"
    process(record, out, PlaneSurface.load(sim / "surface.json"), progress=False)
    cmp = compare_with_truth(out / "findings.geojson", sim / "truth.geojson")
    print(f"frames {result.n_frames}, truth {cmp.true_count}, found {cmp.found_count}, "
          f"false {cmp.false_positive_count}, error {cmp.mean_position_error_m * 1000:.2f} mm = "
          f"{cmp.error_in_gsd:.2f} GSD", cmp.per_class)
    # SimConfig.small()'s scene: 3 corrosion patches + 1 crack in the truth (0300's edge sliver is not
    # pasted since session 8; measured then: 4 of 4 found, 0 false, 0.92 GSD). Its crack (0.6 mm/px
    # patch) is sub-pixel at 1.5 mm/px and could leave a stray fragment (1 false positive, ~2-3 cm
    # centroid offset; simulate()'s own serpentine flight once measured 3.93 GSD overall). So:
    # everything found, corrosion within 3 GSD, and overall no worse than that.
    gsd = result.gsd_m
    assert cmp.true_count == 4 and cmp.found_count == cmp.true_count
    assert cmp.per_class["corrosion"].found_count == cmp.per_class["corrosion"].true_count == 3
    assert cmp.per_class["corrosion"].mean_position_error_m <= 3.0 * gsd
    assert cmp.per_class["corrosion"].false_positive_count == 0
    assert cmp.false_positive_count <= 1
    assert cmp.error_in_gsd <= 3.93
