"""Fly a planned orbit (rings or helix) round the simulator's round pier: plan → simulate → onboard
→ process on a cylinder, end to end.

``simulate_plan_on_pier(plan, pier, out_dir, config)`` flies ``plan`` with ``from_plan`` (ROI rings
and per-station-heading helices included) in the pier's frame, drops the photos whose optical axis
misses the mantle or meets it beyond ``max_incidence_deg``, and writes the same folder as
``simulate.simulate``: frames/, truth_masks/, flight.tlog, truth.geojson (outlines on the
cylinder), surface.json (``{"surface": "cylinder", ...}``, read with
``skyinspect.surfaces.load_surface``), camera.yaml and scene.json. Opt-in: the face simulator and
``skyinspect demo`` are untouched.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from skyinspect.findings import MIN_REPORTABLE_AREA_M2

from missions.planning.planner import Plan
from missions.simulator.config import SimConfig
from missions.simulator.cylinder_scene import RoundPier, cylinder_config, cylinder_texture_maps
from missions.simulator.flight import FlightPlan
from missions.simulator.from_plan import PlannedFlight, flight_from_plan, sim_config_for_plan
from missions.simulator.render import RayGrid, render_maps
from missions.simulator.scene import build_texture
from missions.simulator.simulate import SimResult, make_output_folders, write_camera_yaml, write_rendered
from missions.simulator.tlog import GIMBAL_FLAGS, write_flight_tlog
from missions.simulator.truth import CLOSING_MM, defect_features, write_truth


def simulate_cylinder(out_dir: Path, pier: RoundPier, config: SimConfig, flight: FlightPlan) -> SimResult:
    """Render ``flight``'s captures of ``pier`` (textured per ``config``, see cylinder_scene) into
    ``out_dir`` (created; files of the same names are replaced)."""
    t_start = time.perf_counter()
    pier.check_region(config)
    out = make_output_folders(Path(out_dir), "choose a writable out_dir")
    frame = pier.frame()
    bound = pier.bound()
    texture = build_texture(config)
    poses = [flight.pose_at(c.t_s, frame) for c in flight.captures]

    features = defect_features(texture, frame, pier.uv_to_ned)
    n_defects = {"crack": 0, "corrosion": 0}
    for f in features:
        n_defects[f["properties"]["class"]] += 1  # type: ignore[index]
    truth_path = out / "truth.geojson"
    write_truth(truth_path, features, {"simulator": "missions.simulator (round pier)", "config": config.name,
                                       "seed": config.seed, "closing_mm": CLOSING_MM,
                                       "min_area_mm2": {k: v * 1e6 for k, v in MIN_REPORTABLE_AREA_M2.items()},
                                       "altitudes": "MSL (m)", "synthetic": True,
                                       "face_uv": "u = arc length on the cylinder, v = height above its base"})
    surface_path = out / "surface.json"
    surface_path.write_text(json.dumps(pier.surface().to_dict(), indent=1) + "\n")
    camera_path = out / "camera.yaml"
    write_camera_yaml(camera_path, config)
    tlog_path = out / "flight.tlog"
    counts = write_flight_tlog(tlog_path, flight, frame, poses)

    grid = RayGrid(config.camera())
    frames, masks = [], []
    for cap, pose in zip(flight.captures, poses):
        mx, my, rng_m = cylinder_texture_maps(grid, pose, frame, bound, texture)
        r = render_maps(grid, mx, my, rng_m, texture, config, cap.index)
        fp, mp = write_rendered(out, cap.index, r, config.jpeg_quality)
        frames.append(fp)
        masks.append(mp)

    scene = {
        "synthetic": True, "config": config.to_dict(), "round_pier": pier.to_dict(),
        "surface": pier.surface().to_dict(),
        "textured_region_arc_height_m": [config.region_u0_m, config.region_v0_m,
                                         config.region_u0_m + config.region_width_m,
                                         config.region_v0_m + config.region_height_m],
        "camera": {"width_px": config.width_px, "height_px": config.height_px, "fx_px": config.fx_px,
                   "dist_coeffs": list(config.camera().dist_coeffs)},
        "texture_mm_per_px": config.texture_mm_per_px, "frame_count": len(poses), "defects": n_defects,
        "flight_duration_s": round(flight.duration_s, 3),
        "boot_utc_s": config.start_utc_s - config.boot_before_start_s,
        "gimbal_frame": "vehicle_yaw", "gimbal_device_flags": GIMBAL_FLAGS, "tlog_message_counts": counts,
        "frames": [{"file": f"frames/{c.index:06d}.jpg", "mask": f"truth_masks/{c.index:06d}.png", "lane": c.lane,
                    "time_utc_s": round(p.time_utc_s, 6), "lat_deg": p.lat_deg, "lon_deg": p.lon_deg,
                    "alt_msl_m": p.alt_msl_m, "yaw_deg": p.yaw_deg, "gimbal_pitch_deg": p.gimbal_pitch_deg}
                   for c, p in zip(flight.captures, poses)],
    }
    scene_path = out / "scene.json"
    scene_path.write_text(json.dumps(scene, indent=1) + "\n")
    return SimResult(out, tuple(frames), tuple(masks), tlog_path, truth_path, surface_path, camera_path, scene_path,
                     len(poses), n_defects, counts, config.gsd_m, time.perf_counter() - t_start)


def pier_flight_from_plan(plan: Plan, pier: RoundPier, config: SimConfig | None = None,
                          max_incidence_deg: float = 45.0) -> tuple[SimConfig, PlannedFlight]:
    """The simulator config (scene of ``config``, default ``cylinder_config()``, with the plan's
    camera) and the flight of ``plan`` round ``pier``."""
    cfg = sim_config_for_plan(plan, config or cylinder_config())
    return cfg, flight_from_plan(plan, cfg, max_incidence_deg, target=pier)


def simulate_plan_on_pier(plan: Plan, pier: RoundPier, out_dir: Path, config: SimConfig | None = None,
                          max_incidence_deg: float = 45.0) -> SimResult:
    """Fly ``plan`` round ``pier`` and render it (see module doc). Returns SimResult; ``gsd_m`` is the
    plan's flat-face GSD (config standoff / fx), the range to a round pier is the plan's orbit range."""
    cfg, flight = pier_flight_from_plan(plan, pier, config, max_incidence_deg)
    result = simulate_cylinder(Path(out_dir), pier, cfg, flight)
    scene = json.loads(result.scene_json.read_text())
    scene["flown_plan"] = {"asset": plan.asset.name, "autopilot": plan.autopilot, "items": len(plan.items),
                           "planned_photos": plan.photo_count, "photos_flown": len(flight.captures),
                           "photos_dropped_not_facing_pier": flight.dropped_photos,
                           "photo_item_numbers": list(flight.photo_items), "design": plan.design.describe(),
                           "home_lat_lon_alt": list(plan.home_lat_lon_alt)}
    result.scene_json.write_text(json.dumps(scene, indent=1) + "\n")
    return result
