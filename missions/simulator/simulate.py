"""simulate(): build the scene, plan the flight, render frames + truth masks, write the .tlog,
truth.geojson, surface.json, camera.yaml and scene.json into one output folder."""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from skyinspect.errors import RecordError, describe

from missions.simulator.config import SimConfig
from missions.simulator.flight import FlightPlan, plan_flight
from missions.simulator.render import RayGrid, RenderedFrame, encode_jpeg, encode_png, render_frame
from missions.simulator.scene import (FACE_BASE_AMSL_M, FACE_HEIGHT_M, FACE_LENGTH_M, FACE_NORMAL_ENU,
                                      FACE_SOUTH_LAT_DEG, FACE_SOUTH_LON_DEG, build_texture, face_frame, face_surface)
from missions.simulator.tlog import GIMBAL_FLAGS, write_flight_tlog
from missions.simulator.truth import CLOSING_MM, defect_features, write_truth
from skyinspect.findings import MIN_REPORTABLE_AREA_M2


@dataclass(frozen=True)
class SimResult:
    out_dir: Path
    frames: tuple[Path, ...]
    truth_masks: tuple[Path, ...]
    tlog: Path
    truth_geojson: Path
    surface_json: Path
    camera_yaml: Path
    scene_json: Path
    n_frames: int
    n_defects: dict[str, int]
    message_counts: dict[str, int]
    gsd_m: float
    elapsed_s: float = field(default=0.0, compare=False)


def write_camera_yaml(path: Path, config: SimConfig) -> None:
    """OpenCV FileStorage YAML, the format CameraModel.load() reads."""
    cam = config.camera()
    fs = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
    try:
        fs.write("name", cam.name)
        fs.write("image_width", cam.width_px)
        fs.write("image_height", cam.height_px)
        fs.write("camera_matrix", cam.matrix)
        fs.write("distortion_coefficients", np.asarray(cam.dist_coeffs, dtype=np.float64).reshape(1, 5))
    finally:
        fs.release()


def _progress(enabled: bool, total: int):  # type: ignore[no-untyped-def]
    if not enabled:
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn("[bold]rendering frames"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())


OUTPUT_FILES = ("truth.geojson", "surface.json", "camera.yaml", "flight.tlog", "scene.json")


def make_output_folders(out: Path, fix: str) -> Path:
    """``out``/frames and ``out``/truth_masks, created and emptied of an earlier run's frames (a
    longer earlier flight's extra frames stayed, and a replay took them for this flight's); a
    RecordError naming ``out`` if they cannot be."""
    digits = "[0-9]" * 6
    # checked before anything is made: a folder in a file's place failed only once its turn came (camera.yaml
    # with an OpenCV traceback, scene.json after every frame), leaving a half-written output behind
    for name in OUTPUT_FILES:
        if (out / name).exists() and not (out / name).is_file():
            raise RecordError(describe(out / name, "expected a file to write (or nothing), got a folder",
                                       f"remove or rename it, or {fix}"))
    try:
        for sub, pattern in (("frames", f"{digits}.jpg"), ("truth_masks", f"{digits}.png")):
            (out / sub).mkdir(parents=True, exist_ok=True)
            for old in (out / sub).glob(pattern):
                old.unlink()
    except OSError as exc:
        raise RecordError(describe(out, f"cannot create the output folder ({exc})", fix)) from exc
    return out


def write_rendered(out: Path, index: int, rendered: RenderedFrame, jpeg_quality: int) -> tuple[Path, Path]:
    """Write one rendered frame and its truth mask (``out``/frames, ``out``/truth_masks)."""
    fp, mp = out / "frames" / f"{index:06d}.jpg", out / "truth_masks" / f"{index:06d}.png"
    fp.write_bytes(encode_jpeg(rendered.image_bgr, jpeg_quality))
    mp.write_bytes(encode_png(rendered.labels))
    return fp, mp


def simulate(out_dir: Path, config: SimConfig | None = None, progress: bool = True,
             flight: FlightPlan | None = None) -> SimResult:
    """Run the simulator into ``out_dir`` (created; existing files of the same names are replaced).

    ``flight`` replaces the built-in serpentine scan (e.g. a planned mission, see from_plan.py)."""
    t_start = time.perf_counter()
    config = config or SimConfig()
    out = make_output_folders(Path(out_dir), "choose a writable --out")

    frame = face_frame()
    surface = face_surface()
    texture = build_texture(config)
    plan = flight if flight is not None else plan_flight(config)
    poses = [plan.pose_at(c.t_s, frame) for c in plan.captures]

    features = defect_features(texture, frame)
    n_defects = {"crack": 0, "corrosion": 0}
    for f in features:
        n_defects[f["properties"]["class"]] += 1  # type: ignore[index]
    truth_path = out / "truth.geojson"
    write_truth(truth_path, features, {"simulator": "missions.simulator", "config": config.name, "seed": config.seed,
                                       "closing_mm": CLOSING_MM,
                                       "min_area_mm2": {k: v * 1e6 for k, v in MIN_REPORTABLE_AREA_M2.items()},
                                       "altitudes": "MSL (m)", "synthetic": True})
    surface_path = out / "surface.json"
    surface.save(surface_path)
    camera_path = out / "camera.yaml"
    write_camera_yaml(camera_path, config)
    tlog_path = out / "flight.tlog"
    counts = write_flight_tlog(tlog_path, plan, frame, poses)

    grid = RayGrid(config.camera())
    frames: list[Path] = []
    masks: list[Path] = []
    with _progress(progress, len(poses)) as bar:
        task = bar.add_task("render", total=len(poses)) if bar is not None else None
        for cap, pose in zip(plan.captures, poses):
            r = render_frame(grid, pose, frame, surface, texture, config, cap.index)
            fp, mp = write_rendered(out, cap.index, r, config.jpeg_quality)
            frames.append(fp)
            masks.append(mp)
            if bar is not None:
                bar.advance(task)

    fw, fh = config.footprint_m
    scene = {
        "synthetic": True,
        "config": config.to_dict(),
        "camera": {"width_px": config.width_px, "height_px": config.height_px, "fx_px": config.fx_px,
                   "hfov_deg": round(config.hfov_deg, 4), "dist_coeffs": list(config.camera().dist_coeffs)},
        "gsd_mm_per_px": round(config.gsd_m * 1000, 4), "standoff_m": config.standoff_m,
        "footprint_m": [round(fw, 4), round(fh, 4)], "motion_blur_px": round(config.motion_blur_px, 3),
        "texture_mm_per_px": config.texture_mm_per_px,
        "face": {"source": "shared/data/telemetry/arducopter_sitl_facade/geometry.json",
                 "south_end_lat_deg": FACE_SOUTH_LAT_DEG, "south_end_lon_deg": FACE_SOUTH_LON_DEG,
                 "base_amsl_m": FACE_BASE_AMSL_M, "length_m": FACE_LENGTH_M, "height_m": FACE_HEIGHT_M,
                 "normal_enu": list(FACE_NORMAL_ENU), "u_axis": "north from the south end", "v_axis": "up from the base"},
        "textured_region_face_uv_m": [config.region_u0_m, config.region_v0_m,
                                      config.region_u0_m + config.region_width_m,
                                      config.region_v0_m + config.region_height_m],
        "lanes_face_v_m": [round(v, 4) for v in plan.lane_heights_m],
        "stations_face_u_m": [round(u, 4) for u in plan.stations_u_m],
        "frame_count": len(poses), "defects": n_defects, "flight_duration_s": round(plan.duration_s, 3),
        "boot_utc_s": config.start_utc_s - config.boot_before_start_s,
        "gimbal_frame": "vehicle_yaw", "gimbal_device_flags": GIMBAL_FLAGS,
        "tlog_message_counts": counts,
        "frames": [{"file": f"frames/{c.index:06d}.jpg", "mask": f"truth_masks/{c.index:06d}.png", "lane": c.lane,
                    "time_utc_s": round(p.time_utc_s, 6), "lat_deg": p.lat_deg, "lon_deg": p.lon_deg,
                    "alt_msl_m": p.alt_msl_m, "alt_rel_m": round(p.alt_rel_m, 4), "roll_deg": p.roll_deg,
                    "pitch_deg": p.pitch_deg, "yaw_deg": p.yaw_deg, "gimbal_roll_deg": p.gimbal_roll_deg,
                    "gimbal_pitch_deg": p.gimbal_pitch_deg, "gimbal_yaw_deg": p.gimbal_yaw_deg}
                   for c, p in zip(plan.captures, poses)],
    }
    scene_path = out / "scene.json"
    scene_path.write_text(json.dumps(scene, indent=1) + "\n")
    return SimResult(out, tuple(frames), tuple(masks), tlog_path, truth_path, surface_path, camera_path, scene_path,
                     len(poses), n_defects, counts, config.gsd_m, time.perf_counter() - t_start)
