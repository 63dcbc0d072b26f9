"""Stage files (groundstation.stages): what a rerun reads back is what the first run computed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from gs_fixtures import FLY_HEIGHT_M, corrosion_on_face, crack_on_face, face_flight, face_surface
from hypothesis import given, settings
from hypothesis import strategies as st

from groundstation.pipeline import process
from groundstation.stages import finding_from_dict, finding_to_dict
from skyinspect.findings import Finding


@settings(max_examples=40, deadline=None)
@given(lat=st.floats(-80, 80), lon=st.floats(-179, 179), dlat=st.floats(-1e-5, 1e-5), dlon=st.floats(-1e-5, 1e-5),
       var=st.floats(1e-9, 1e-3))
def test_a_findings_outline_and_covariance_round_trip_exactly(lat: float, lon: float, dlat: float, dlon: float,
                                                             var: float) -> None:
    """Six decimals of a degree are ~0.1 m: outlines were stored rounded to them (and RTK covariances,
    ~1e-5 m^2, to 1e-6), so a rerun that reused the stage published other outlines than the first run."""
    ring = np.array([[lat, lon, 400.0], [lat + dlat, lon, 400.1], [lat + dlat, lon + dlon, 400.2]])
    f = Finding("F-0001", 1, "crack", lat, lon, 400.0, ring, np.zeros(3), 0.9, ((1, 0),), (1, 0),
                cov_ned_m2=np.diag([var, 2 * var, 3 * var]))
    back = finding_from_dict(json.loads(json.dumps(finding_to_dict(f))))
    assert np.array_equal(back.outline_wgs84, ring)
    assert np.array_equal(back.cov_ned_m2, f.cov_ned_m2)


def test_a_rerun_that_reuses_the_stages_publishes_the_same_findings(tmp_path: Path) -> None:
    flight = face_flight(tmp_path / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1),
                                               corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)])
    first = process(flight, tmp_path / "out", face_surface(), progress=False)
    before = (tmp_path / "out" / "findings.geojson").read_bytes()
    again = process(flight, tmp_path / "out", face_surface(), progress=False)
    assert first.findings == again.findings > 0 and "measure" in again.stages_reused
    assert (tmp_path / "out" / "findings.geojson").read_bytes() == before


def _flat_dem(path: Path, height_m: float) -> Path:
    """A flat 200 x 200 m DSM in UTM 32N around the fixtures' home, every cell at ``height_m`` MSL."""
    import rasterio
    from gs_fixtures import HOME
    from pyproj import Transformer
    from rasterio.transform import from_origin

    x, y = Transformer.from_crs(4326, 32632, always_xy=True).transform(HOME[1], HOME[0])
    with rasterio.open(path, "w", driver="GTiff", width=40, height=40, count=1, dtype="float32", crs="EPSG:32632",
                       transform=from_origin(x - 100.0, y + 100.0, 5.0, 5.0)) as ds:
        ds.write(np.full((40, 40), height_m, np.float32), 1)
    return path


def test_a_dem_rewritten_in_place_is_not_reused_from_the_stage_files(tmp_path: Path) -> None:
    """The georeference stage's fingerprint held the DEM's path, not its heights: a DSM corrected and
    written over the old file (ODM run again) was ignored by every rerun into the same results folder."""
    from gs_fixtures import HOME, pose_at, write_record

    from skyinspect.surfaces import load_surface

    flight = write_record(tmp_path / "flight", [(pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 0.0, -90.0), [])])
    dem = _flat_dem(tmp_path / "dsm.tif", HOME[2])
    process(flight, tmp_path / "out", load_surface(dem), progress=False)
    first = json.loads((tmp_path / "out" / "stages" / "detections.json").read_text())["data"]["frames"][0]
    _flat_dem(dem, HOME[2] + 2.0)  # the ground 2 m higher: the camera 2 m nearer
    again = process(flight, tmp_path / "out", load_surface(dem), progress=False)
    second = json.loads((tmp_path / "out" / "stages" / "detections.json").read_text())["data"]["frames"][0]
    assert "georeference" not in again.stages_reused
    assert abs(first["range_m"] - FLY_HEIGHT_M) < 0.01 and abs(second["range_m"] - (FLY_HEIGHT_M - 2.0)) < 0.01
    same = process(flight, tmp_path / "out", load_surface(dem), progress=False)
    assert "georeference" in same.stages_reused  # an unchanged DEM is still reused


def test_publish_folders_left_by_a_killed_run_are_removed_by_the_next(tmp_path: Path) -> None:
    """Products are written into out/.staging-* and moved into place; a run killed meanwhile (SIGKILL, OOM,
    power) left that folder behind, and every later run kept it (three SIGKILLs of process on the Brighton
    flight: three .staging-* folders in the results, beside the products). A live run's folder is kept."""
    import os

    flight = face_flight(tmp_path / "flight", [corrosion_on_face(0.6, FLY_HEIGHT_M - 0.2)])
    out = tmp_path / "out"
    out.mkdir()
    old_style = out / ".staging-9eb46100"  # named before the writer's pid was in the name
    dead = out / ".staging-999999999-0a1b2c3d"  # no such process
    live = out / f".staging-{os.getppid()}-0a1b2c3d"  # another process, still running
    for folder in (old_style, dead, live):
        folder.mkdir()
        (folder / "map.html").write_text("<html>half written")
    process(flight, out, face_surface(), progress=False)
    assert not old_style.exists() and not dead.exists() and live.exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".staging")] == [live.name]



def test_a_stage_passes_on_what_a_rerun_reads_back_from_its_file(tmp_path: Path) -> None:
    """A stage's output was passed on as computed, but a rerun reads it back from its file (metres to the
    micrometre), so a run killed after some stages and run again published other bytes than one run
    through. On the SITL facade flight (57 frames): findings.geojson, fused.json and findings.json after a
    kill once detections.json was written (outlines, sigmas 1e-12 relative apart), and the crack lines in
    findings.kml of every rerun that reused the measure stage (47.397868749 -> 47.397868750 deg)."""
    from gs_fixtures import instance_for, pose_at, write_record

    from groundstation.georef import georeference
    from groundstation.load import load_flight
    from groundstation.stages import georeferenced_from_dict, georeferenced_to_dict, run_stage
    from skyinspect.segmentation import Instance

    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0)
    seen = instance_for(pose, crack_on_face(-0.1, FLY_HEIGHT_M + 0.1))  # on whole pixels, as the post-processing
    flight = load_flight(write_record(tmp_path / "flight", [(pose, [Instance(seen.class_id, seen.score,
                                                                            np.round(seen.polygon_px), seen.area_px)])]))
    path = tmp_path / "stages" / "detections.json"
    runs = [run_stage(path, "georeference", "fp", lambda: georeference(flight, face_surface()), georeferenced_to_dict,
                      georeferenced_from_dict, rerun=False) for _ in range(2)]
    (first, computed), (again, reused) = runs
    assert not computed and reused
    assert np.array_equal(first.detections[0].outline_ned_m, again.detections[0].outline_ned_m)
    assert np.array_equal(first.frames[0].footprint_ned_m, again.frames[0].footprint_ned_m)
