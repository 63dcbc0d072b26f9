"""The inspection-flight simulator (small config: 320x240 px, 6 frames, under a second per run)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skyinspect.camera import CameraModel
from skyinspect.errors import InputError
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import GimbalFrame, Pose
from skyinspect.segmentation import CLASS_NAMES
from skyinspect.surface import PlaneSurface

from missions.simulator import SimConfig, SimResult, simulate
from missions.simulator.flight import _stations
from missions.simulator.scene import FACE_BASE_AMSL_M, build_texture
from missions.simulator.tlog import read_tlog

# Home of the SITL facade flight: a LocalFrame other than the simulator's own (face south end),
# so the projection test also checks that the geodetic round trip is frame-independent.
HOME = LocalFrame(47.397742, 8.545594, 488.1)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> SimResult:
    return simulate(tmp_path_factory.mktemp("sim_a"), SimConfig.small(), progress=False)


def _poses(run: SimResult) -> list[Pose]:
    scene = json.loads(run.scene_json.read_text())
    return [Pose(f["time_utc_s"], f["lat_deg"], f["lon_deg"], f["alt_msl_m"], f["alt_rel_m"], f["roll_deg"],
                 f["pitch_deg"], f["yaw_deg"], f["gimbal_roll_deg"], f["gimbal_pitch_deg"], f["gimbal_yaw_deg"],
                 GimbalFrame.VEHICLE_YAW) for f in scene["frames"]]


def test_outputs_and_counts(run: SimResult) -> None:
    assert run.n_frames == 6 == len(run.frames) == len(run.truth_masks)
    assert [p.name for p in run.frames] == [f"{i:06d}.jpg" for i in range(1, 7)]
    feedback = [m for _, m in read_tlog(run.tlog) if m.get_type() == "CAMERA_FEEDBACK"]
    assert len(feedback) == run.n_frames == run.message_counts["CAMERA_FEEDBACK"]
    for jpg, png in zip(run.frames, run.truth_masks):
        img = cv2.imread(str(jpg), cv2.IMREAD_COLOR)
        mask = cv2.imread(str(png), cv2.IMREAD_UNCHANGED)
        assert img.shape == (240, 320, 3) and mask.shape == (240, 320) and mask.dtype == np.uint8
        assert set(np.unique(mask)) <= {0, 1, 2}
        assert 60 < img.mean() < 200  # a lit concrete face, not black or blown out
    assert run.n_defects["crack"] >= 1 and run.n_defects["corrosion"] >= 1


def test_camera_yaml_round_trips(run: SimResult) -> None:
    assert CameraModel.load(run.camera_yaml) == SimConfig.small().camera()


def test_surface_json_is_the_face(run: SimResult) -> None:
    s = PlaneSurface.load(run.surface_json)
    assert s.normal_enu == pytest.approx((-1.0, 0.0, 0.0))
    assert s.alt_msl_m == FACE_BASE_AMSL_M
    # Every capture is standoff_m west of the plane, looking at it.
    for pose in _poses(run):
        cam = HOME.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m)
        dist = float((cam - s.point_ned(HOME)) @ s.normal_ned())
        assert dist == pytest.approx(SimConfig.small().standoff_m, abs=0.01)


def test_truth_geojson(run: SimResult) -> None:
    fc = json.loads(run.truth_geojson.read_text())
    assert fc["type"] == "FeatureCollection"
    ids = [f["properties"]["defect_id"] for f in fc["features"]]
    assert ids == list(range(1, len(ids) + 1))
    cfg = SimConfig.small()
    tex = build_texture(cfg)
    for f in fc["features"]:
        p = f["properties"]
        assert f["geometry"]["type"] == "Polygon"
        ring = np.array(f["geometry"]["coordinates"][0])
        assert ring.shape[1] == 3 and len(ring) >= 4 and (ring[0] == ring[-1]).all()
        lon, lat, alt = ring.mean(axis=0)
        assert 8.5 < lon < 8.6 and 47.3 < lat < 47.5  # RFC 7946 order: lon, lat, alt
        u0, v0, u1, v1 = p["bbox_face_uv_m"]
        assert FACE_BASE_AMSL_M + v0 - 1e-3 <= ring[:, 2].min() <= ring[:, 2].max() <= FACE_BASE_AMSL_M + v1 + 1e-3
        assert p["centroid_alt_msl_m"] == pytest.approx(FACE_BASE_AMSL_M + p["face_v_m"], abs=0.01)
        assert cfg.region_u0_m <= p["face_u_m"] <= cfg.region_u0_m + cfg.region_width_m
        assert p["class"] in CLASS_NAMES[1:] and p["area_m2"] > 0 and p["texture"]
        if p["class"] == "crack":
            assert p["length_mm"] > 100 and 0.5 <= p["max_width_mm"] < 10
    # Areas add up to the label texture (components below the speck limit are the only loss).
    for cid, name in ((1, "crack"), (2, "corrosion")):
        total = sum(f["properties"]["area_m2"] for f in fc["features"] if f["properties"]["class"] == name)
        assert total == pytest.approx((tex.labels == cid).sum() * tex.m_per_px ** 2, rel=0.02)


def _project(camera: CameraModel, pose: Pose, lat: float, lon: float, alt: float) -> np.ndarray:
    p = HOME.to_ned(lat, lon, alt) - HOME.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m)
    return camera.project((pose.r_ned_cam().T @ p)[None, :])[0]


def test_truth_points_project_onto_their_class(run: SimResult) -> None:
    camera = CameraModel.load(run.camera_yaml)
    fc = json.loads(run.truth_geojson.read_text())
    masks = [cv2.imread(str(p), cv2.IMREAD_UNCHANGED) for p in run.truth_masks]
    checked = {"crack": 0, "corrosion": 0}
    for f in fc["features"]:
        p = f["properties"]
        cid = CLASS_NAMES.index(p["class"])
        points = [(p["label_point_lat_deg"], p["label_point_lon_deg"], p["label_point_alt_msl_m"])]
        if abs(p["label_point_face_u_m"] - p["face_u_m"]) + abs(p["label_point_face_v_m"] - p["face_v_m"]) < 0.002:
            points.append((p["centroid_lat_deg"], p["centroid_lon_deg"], p["centroid_alt_msl_m"]))  # centroid on it
        for pose, mask in zip(_poses(run), masks):
            for lat, lon, alt in points:
                u, v = _project(camera, pose, lat, lon, alt)
                if not (3 <= u < camera.width_px - 3 and 3 <= v < camera.height_px - 3):
                    continue
                c, r = int(round(u)), int(round(v))
                window = mask[r - 2:r + 3, c - 2:c + 3]
                assert (window == cid).any(), f"defect {p['defect_id']} ({p['class']}) projects to ({u:.1f}, {v:.1f})"
                checked[p["class"]] += 1
    assert checked["crack"] >= 2 and checked["corrosion"] >= 2


def test_deterministic(run: SimResult, tmp_path: Path) -> None:
    again = simulate(tmp_path / "b", SimConfig.small(), progress=False)
    for a, b in [(run.tlog, again.tlog), (run.truth_geojson, again.truth_geojson), (run.scene_json, again.scene_json),
                 (run.camera_yaml, again.camera_yaml), (run.surface_json, again.surface_json),
                 *zip(run.frames, again.frames), *zip(run.truth_masks, again.truth_masks)]:
        assert a.read_bytes() == b.read_bytes(), a.name
    other = simulate(tmp_path / "c", SimConfig.small(seed=8), progress=False)
    assert other.frames[0].read_bytes() != run.frames[0].read_bytes()


def test_bad_config_is_an_input_error() -> None:
    with pytest.raises(InputError, match="standoff_m"):
        SimConfig(standoff_m=0.0)
    with pytest.raises(InputError, match="region inside the 30 m face"):
        SimConfig(region_u0_m=28.0)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(("name", "value"), [
    ("fx_px", 0.0), ("fx_px", -1000.0), ("fx_px", NAN), ("fx_px", INF), ("k1", NAN), ("k2", INF),
    ("standoff_m", INF), ("speed_m_s", INF), ("hold_start_s", -5.0), ("hold_start_s", NAN), ("hold_end_s", INF),
    ("exposure_s", -1.0), ("exposure_s", NAN), ("noise_sigma", -1.0), ("noise_sigma", NAN), ("gain_jitter", -1.0),
    ("gain_jitter", 5.0), ("gain_jitter", NAN), ("boot_before_start_s", -100.0), ("boot_before_start_s", NAN),
    ("start_utc_s", NAN), ("start_utc_s", -1.0), ("start_utc_s", 1e30), ("wobble_roll_pitch_deg", NAN),
    ("wobble_roll_pitch_deg", 200.0), ("yaw_jitter_deg", NAN), ("gimbal_pitch_deg", NAN), ("gimbal_pitch_deg", 120.0),
    ("texture_mm_per_px", INF), ("texture_mm_per_px", 1e-3), ("texture_mm_per_px", 0.0),
    ("texture_mm_per_px", 1e-200), ("gnss_error_m", INF), ("gnss_white_m", INF), ("height_px", 200_000), ("seed", -1),
])
def test_every_config_number_is_checked(name: str, value: float) -> None:
    """These ran silently (NaN distortion, negative noise, gain or blur) or failed half-way through
    writing the output folder with a bare ZeroDivisionError, ValueError or MemoryError."""
    with pytest.raises(InputError, match=name):
        SimConfig(**{name: value})


@given(st.floats(0.0, 10.0), st.floats(0.1, 8.0), st.floats(0.2, 2.0), st.floats(0.0, 0.9))
def test_stations_cover_region_with_overlap(lo: float, length: float, footprint: float, overlap: float) -> None:
    c = _stations(lo, length, footprint, overlap)
    if length <= footprint:
        assert len(c) == 1
        return
    assert c[0] - footprint / 2 == pytest.approx(lo) and c[-1] + footprint / 2 == pytest.approx(lo + length)
    assert np.all(np.diff(c) <= footprint * (1 - overlap) + 1e-9)


def test_main_patches_drops_scraps_only() -> None:
    from missions.simulator.scene import main_patches

    mask = np.zeros((60, 60), bool)
    mask[5:35, 5:35] = True  # 900 px: the patch
    mask[40:50, 40:50] = True  # 100 px: 11 %, kept
    mask[55:58, 5:8] = True  # 9 px: 1 %, a scrap
    kept = main_patches(mask, 0.1)
    assert kept[10, 10] and kept[45, 45] and not kept[56, 6]
    assert kept.sum() == 1000
    assert main_patches(mask[:35, :35], 0.1).sum() == 900  # one component: unchanged


def test_default_corrosion_textures_lose_only_their_scraps() -> None:
    """The committed corrosion masks: 0448's four specks on intact tread plate and the edge slivers
    of 0300 and 0761 go (< 10 % of the main patch); every patch of 20 % or more stays."""
    from missions.simulator.scene import CORROSION_SCRAP_FRACTION, load_patch, main_patches

    for stem, patches in (("corrosion_0300_jpg", 3), ("corrosion_0448_jpg", 1), ("corrosion_0761_jpg", 2)):
        _, mask = load_patch(stem)
        n = cv2.connectedComponents(main_patches(mask, CORROSION_SCRAP_FRACTION).astype(np.uint8))[0] - 1
        assert n == patches, stem


def test_a_run_into_an_earlier_runs_folder_leaves_none_of_its_frames(tmp_path: Path) -> None:
    """A longer earlier flight's extra frames stayed in frames/, and a replay took them for this one's."""
    from missions.simulator.simulate import make_output_folders

    out = make_output_folders(tmp_path / "sim", "fix")
    (out / "frames" / "000099.jpg").write_bytes(b"an earlier run's")
    (out / "truth_masks" / "000099.png").write_bytes(b"an earlier run's")
    (out / "frames" / "notes.txt").write_text("the user's own")
    make_output_folders(out, "fix")
    assert [p.name for p in (out / "frames").iterdir()] == ["notes.txt"]
    assert not any((out / "truth_masks").iterdir())


@pytest.mark.parametrize("name", ["camera.yaml", "scene.json", "flight.tlog", "truth.geojson", "surface.json"])
def test_an_output_file_blocked_by_a_folder_is_refused_before_anything_is_written(tmp_path: Path, name: str) -> None:
    """camera.yaml as a folder gave an OpenCV traceback (exit 1) and scene.json one only after every
    frame was rendered; both left a half-written output folder behind."""
    from skyinspect.errors import RecordError

    out = tmp_path / "sim"
    (out / name).mkdir(parents=True)
    with pytest.raises(RecordError, match=name):
        simulate(out, SimConfig.small(), progress=False)
    assert [p.name for p in out.iterdir()] == [name]
