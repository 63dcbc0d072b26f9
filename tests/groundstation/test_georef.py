"""Georeferencing: pixel → surface → pixel round trips, known centroids, frames that miss."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from gs_fixtures import (CAMERA, FACE_EAST_M, FLY_HEIGHT_M, FRAME, HOME, corrosion_on_face, face_flight,
                         face_point, face_surface, in_flight, instance_for, pose_at, write_record)
from hypothesis import given, settings
from hypothesis import strategies as st

from groundstation.georef import cast_pixels, default_surface, georeference
from groundstation.load import load_flight
from groundstation.plane import plane_basis
from skyinspect.camera import CameraModel
from skyinspect.surface import PlaneSurface

DISTORTED = CameraModel.from_fov(1280, 960, 60.0, dist_coeffs=(-0.03, 0.01, 0.0005, -0.0003, 0.0))


@settings(max_examples=200, deadline=None)
@given(yaw=st.floats(0, 360), pitch=st.floats(-90, -20), roll=st.floats(-10, 10),
       height=st.floats(5, 120), u=st.floats(0, 1279), v=st.floats(0, 959), distorted=st.booleans())
def test_pixel_surface_pixel_round_trip(yaw: float, pitch: float, roll: float, height: float, u: float,
                                        v: float, distorted: bool) -> None:
    camera = DISTORTED if distorted else CAMERA
    pose = pose_at(np.array([3.0, -4.0, -height]), yaw, pitch)
    pose = type(pose)(**{**vars(pose), "gimbal_roll_deg": roll})
    basis = plane_basis(PlaneSurface.ground(*HOME), FRAME)
    cam = FRAME.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m)
    pts, rng, hit = cast_pixels(np.array([[u, v]]), camera, pose.r_ned_cam(), cam, basis)
    if not hit[0]:  # a pixel above the horizon at this attitude: nothing to round-trip
        return
    assert abs(pts[0, 2]) < 1e-6  # on the ground plane (down = 0 at home)
    back = camera.project((pts - cam) @ pose.r_ned_cam())
    assert np.max(np.abs(back - [[u, v]])) < 1e-6


def test_image_centre_of_face_camera_lands_straight_ahead(tmp_path: Path) -> None:
    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0)
    write_record(tmp_path / "f", [(pose, [])])
    flight = load_flight(tmp_path / "f")
    geo = georeference(flight, face_surface())
    fr = geo.frames[0]
    assert fr.status == "ok"
    assert math.isclose(fr.range_m, FACE_EAST_M, rel_tol=1e-9)
    assert math.isclose(fr.gsd_m, FACE_EAST_M / CAMERA.fx_px, rel_tol=1e-9)
    # the footprint is centred on the point straight ahead
    centre = fr.footprint_ned_m.mean(axis=0)
    np.testing.assert_allclose(centre, in_flight(flight.origin, np.array([0.0, FACE_EAST_M, -FLY_HEIGHT_M]))[0],
                               atol=1e-6)


def test_known_polygon_centroid_area_and_uncertainty(tmp_path: Path) -> None:
    defect = corrosion_on_face(0.3, FLY_HEIGHT_M - 0.2, size_m=0.10)
    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0)
    write_record(tmp_path / "f", [(pose, [instance_for(pose, defect)])])
    flight = load_flight(tmp_path / "f")
    geo = georeference(flight, face_surface())
    (det,) = geo.detections
    np.testing.assert_allclose(det.centroid_ned_m, in_flight(flight.origin, defect.outline_ned.mean(axis=0))[0],
                               atol=2e-4)
    expected_area = 0.5 * 16 * math.sin(2 * math.pi / 16) * 0.05 ** 2  # regular 16-gon, radius 5 cm
    assert math.isclose(det.area_m2, expected_area, rel_tol=2e-3)
    assert math.isclose(det.incidence_deg, math.degrees(math.atan(math.hypot(0.3, 0.2) / FACE_EAST_M)), abs_tol=0.01)
    assert math.isclose(det.range_m, math.sqrt(FACE_EAST_M ** 2 + 0.3 ** 2 + 0.2 ** 2), rel_tol=1e-4)
    # the face is parallel to the image plane: one pixel spans depth / fx on it wherever it is seen
    assert math.isclose(det.gsd_m, FACE_EAST_M / CAMERA.fx_px, rel_tol=1e-6)
    # camera error of the face-normal component (east, 0.3 m σ) does not move the point on the
    # face; north (0.3 m) does fully; vertical v_acc 0.5 m shows up as σ_v
    assert 0.2 < det.sigma_h_m < 0.35 and 0.45 < det.sigma_v_m < 0.6


def test_nadir_camera_over_ground_and_default_surface(tmp_path: Path) -> None:
    pose = pose_at(np.array([5.0, 5.0, -20.0]), 0.0, -90.0)
    target = np.array([[5.0 + dx, 5.0 + dy, 0.0] for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    from skyinspect.segmentation import CORROSION, Instance

    poly = CAMERA.project((target - pose_ned(pose)) @ pose.r_ned_cam())
    x, y = poly[:, 0], poly[:, 1]  # the area is the mask's pixels (area_px) on the ground: the square's
    inst = Instance(CORROSION, 0.8, poly, 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))))
    write_record(tmp_path / "f", [(pose, [inst])])
    flight = load_flight(tmp_path / "f")
    assert math.isclose(default_surface(flight).alt_msl_m, HOME[2], abs_tol=1e-6)
    geo = georeference(flight)
    (det,) = geo.detections
    np.testing.assert_allclose(det.centroid_ned_m, in_flight(flight.origin, np.array([5.0, 5.0, 0.0]))[0],
                               atol=1e-3)
    assert math.isclose(det.area_m2, 4.0, rel_tol=1e-3)
    assert math.isclose(det.range_m, 20.0, rel_tol=1e-6)


def pose_ned(pose) -> np.ndarray:  # type: ignore[no-untyped-def]
    return FRAME.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m)


def test_sky_looking_and_nan_pose_frames_get_a_status(tmp_path: Path) -> None:
    sky = pose_at(np.array([0.0, 0.0, -20.0]), 0.0, 30.0)  # looking up over a ground plane
    bad = pose_at(np.array([0.0, 0.0, -20.0]), 0.0, -90.0)
    bad = type(bad)(**{**vars(bad), "gimbal_pitch_deg": float("nan")})
    write_record(tmp_path / "f", [(sky, []), (bad, [])])
    geo = georeference(load_flight(tmp_path / "f"))
    assert geo.frames[0].status.startswith("not georeferenced: image centre ray")
    assert geo.frames[1].status.startswith("not georeferenced: pose has non-finite")
    assert geo.detections == () and all(f.footprint_ned_m is None for f in geo.frames)


def test_untagged_frames_are_skipped_and_counted(tmp_path: Path) -> None:
    from skyinspect.pose import Pose

    folder = face_flight(tmp_path / "f", [], n_frames=2, extra=[(Pose.untagged(1.7e9, "no telemetry"), [])])
    flight = load_flight(folder)
    assert flight.frames_total == 3 and flight.frames_tagged == 2
    assert flight.untagged == ((2, "untagged: no telemetry"),)


def test_a_surface_kilometres_away_is_not_georeferenced_onto(tmp_path: Path) -> None:
    """Swapped latitude and longitude in a surface file put the face 3,000 km off: every frame was
    georeferenced onto it and measuring kilometre-long "cracks" at millimetre steps ran out of memory."""
    from groundstation.georef import MAX_RANGE_M

    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0)
    write_record(tmp_path / "f", [(pose, [instance_for(pose, corrosion_on_face(0.0, FLY_HEIGHT_M))])])
    flight = load_flight(tmp_path / "f")
    lat, lon, alt = FRAME.to_geodetic(np.array([0.0, 5000.0, -FLY_HEIGHT_M]))  # the same face, 5 km east
    geo = georeference(flight, PlaneSurface(float(lat), float(lon), float(alt), (-1.0, 0.0, 0.0), "far face"))
    status = geo.frames[0].status
    assert status.startswith("not georeferenced: the image centre meets plane 'far face' 5.0 km away")
    assert f"more than {MAX_RANGE_M:g} m" in status and "latitude first" in status
    assert geo.detections == ()
    assert georeference(flight, face_surface()).frames[0].status == "ok"  # 2 m away: as before


def test_a_frame_past_a_faces_end_has_the_footprint_it_saw_up_to_the_end(tmp_path: Path) -> None:
    """A pier face ending 0.3 m right of the image centre (the SITL facade flight's first and last
    frames of each lane): the footprint is the image's rectangle on the face's plane cut at the face's
    end, not the border samples that hit (those stopped at the centre, the next sample past the end
    being a miss: 0.93 m of the 1.23 m seen, the map and the view count a quarter short)."""
    from shapely.geometry import Polygon

    from skyinspect.surfaces.face import FaceSurface

    lat, lon, alt = FRAME.to_geodetic(np.array([-0.3, FACE_EAST_M, 0.0]))  # the face's south end
    face = FaceSurface.vertical(float(lat), float(lon), float(alt), 270.0, (-20.0, 0.0), 30.0, name="pier")
    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0)
    write_record(tmp_path / "f", [(pose, [])])
    flight = load_flight(tmp_path / "f")
    fr = georeference(flight, face).frames[0]
    assert fr.status == "ok"
    fp = fr.footprint_ned_m
    north = in_flight(flight.origin, np.zeros((1, 3)))[0]  # home in the flight's NED frame
    half_w = (CAMERA.width_px / 2) / CAMERA.fx_px * FACE_EAST_M
    half_h = (CAMERA.height_px / 2) / CAMERA.fx_px * FACE_EAST_M
    seen_n = fp[:, 0] - north[0]
    assert abs(seen_n.min() - (-0.3)) < 1e-6  # up to the end
    assert abs(seen_n.max() - half_w) < 1e-6
    up = -(fp[:, 2] - north[2])
    assert abs(up.min() - (FLY_HEIGHT_M - half_h)) < 1e-6 and abs(up.max() - (FLY_HEIGHT_M + half_h)) < 1e-6
    area = Polygon(np.column_stack([seen_n, up])).area
    assert abs(area - (0.3 + half_w) * 2 * half_h) < 1e-6


def test_a_frame_whose_centre_looks_just_past_a_faces_end_places_what_it_sees_on_the_face(tmp_path: Path) -> None:
    """The real ArduCopter SITL facade scan (57 CAMERA_FEEDBACK poses, 8 m from a 30 x 20 m face): each
    lane starts and ends level with the face's end, so the first photo's centre ray met the face's plane
    3 cm past it (u=15.03 m) and the whole frame was 'not georeferenced', with the defects in the half
    that sees the face (3 of 57 frames, 2 detections). A frame whose centre misses is now placed on the
    surface the rest of it sees; rays that miss the face still place nothing."""
    from skyinspect.surfaces.face import FaceSurface

    lat, lon, alt = FRAME.to_geodetic(np.array([0.3, FACE_EAST_M, 0.0]))  # the face's south end, 0.3 m north
    face = FaceSurface.vertical(float(lat), float(lon), float(alt), 270.0, (-20.0, 0.0), 30.0, name="pier")
    pose = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0)  # looking east, the face in the image's left
    rust = corrosion_on_face(0.6, FLY_HEIGHT_M)
    write_record(tmp_path / "f", [(pose, [instance_for(pose, rust)])])
    flight = load_flight(tmp_path / "f")
    geo = georeference(flight, face)
    fr = geo.frames[0]
    assert fr.status == "ok", fr.status
    (det,) = geo.detections
    home = in_flight(flight.origin, np.zeros((1, 3)))[0]
    assert np.allclose(det.centroid_ned_m - home, face_point(0.6, FLY_HEIGHT_M), atol=1e-3)
    half_w = (CAMERA.width_px / 2) / CAMERA.fx_px * FACE_EAST_M
    seen_n = fr.footprint_ned_m[:, 0] - home[0]
    assert abs(seen_n.min() - 0.3) < 1e-6 and abs(seen_n.max() - half_w) < 1e-6
    assert FACE_EAST_M <= fr.range_m < FACE_EAST_M / math.cos(math.radians(25.0))
    assert any("outside its extent" in n and "placed by the part of the image that sees face" in n for n in fr.notes)
    # looking the other way along the face's plane (the face behind the camera's view): still nothing
    away = pose_at(np.array([0.0, 0.0, -FLY_HEIGHT_M]), 270.0, 0.0)
    write_record(tmp_path / "g", [(away, [])])
    assert georeference(load_flight(tmp_path / "g"), face).frames[0].status.startswith("not georeferenced")


def test_on_the_default_ground_plane_the_gnss_height_error_is_the_findings_own(tmp_path: Path) -> None:
    """No surface given: the ground plane is placed at the take-off altitude, i.e. by the flight's own GNSS
    height, so the camera's vertical error moves plane and camera together: the point on the ground
    is that much higher or lower (LE90 = 1.645 v_acc), not shifted along the ray. The camera was taken
    to move over an exact plane: LE90 0.00 m for every finding of a survey (the Brighton Phantom 3's
    54 findings), and an oblique view's horizontal error held the vertical one. A surface from a file
    is still taken as exact."""
    from skyinspect.segmentation import CORROSION, Instance

    pose = pose_at(np.array([0.0, 0.0, -20.0]), 0.0, -45.0, h_acc=0.3, v_acc=0.5)  # looking north, 45 deg down
    target = np.array([[20.0 + dx, dy, 0.0] for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))])
    poly = CAMERA.project((target - pose_ned(pose)) @ pose.r_ned_cam())
    x, y = poly[:, 0], poly[:, 1]  # the area is the mask's pixels (area_px) on the ground: the square's
    inst = Instance(CORROSION, 0.8, poly, 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))))
    write_record(tmp_path / "f", [(pose, [inst])])
    flight = load_flight(tmp_path / "f")
    (default,) = georeference(flight).detections
    (given,) = georeference(flight, PlaneSurface.ground(*HOME)).detections
    np.testing.assert_allclose(default.centroid_ned_m, given.centroid_ned_m, atol=1e-9)
    assert given.cov_ned_m2[2, 2] < 1e-12  # a surveyed plane: the point stays on it
    assert math.isclose(default.sigma_v_m, 0.5, rel_tol=1e-6)
    # at 45 deg the camera's 0.5 m vertical error had moved the point 0.5 m north
    assert math.isclose(given.cov_ned_m2[0, 0] - default.cov_ned_m2[0, 0], 0.25, rel_tol=1e-3)
    assert math.isclose(default.cov_ned_m2[1, 1], given.cov_ned_m2[1, 1], rel_tol=1e-9)


def test_a_detection_off_the_image_centre_has_the_gsd_its_pixels_span(tmp_path: Path) -> None:
    """A nadir camera over flat ground sees every point at GSD height / fx (the image plane is parallel
    to the ground). GSD was range / fx / cos(incidence), right only at the image centre: near the corners
    of the Brighton Phantom 3 photos (FC300S, fx 2340 px, 40 m up, true GSD 17.1 mm) it read 20-32 mm, so
    42 of 54 findings' areas were 'not measurable: GSD 28.7 mm > 20.0 mm'."""
    from skyinspect.segmentation import CORROSION, Instance

    camera = CameraModel(4000, 2250, 2340.0, 2340.0, 1999.5, 1124.5, name="fc300s-like")
    height = 40.0
    pose = pose_at(np.array([0.0, 0.0, -height]), 45.0, -90.0)
    cam = pose_ned(pose)
    corner = camera.pixel_to_ray(np.array([[3700.0, 2050.0]])) @ pose.r_ned_cam().T  # near the bottom-right corner
    centre = cam + corner[0] * height / corner[0, 2]
    target = np.array([[centre[0] + dx, centre[1] + dy, 0.0] for dx, dy in ((-.3, -.3), (.3, -.3), (.3, .3), (-.3, .3))])
    inst = Instance(CORROSION, 0.8, camera.project((target - cam) @ pose.r_ned_cam()), 1.0)
    write_record(tmp_path / "f", [(pose, [inst])], camera=camera)
    geo = georeference(load_flight(tmp_path / "f"))
    (det,) = geo.detections
    assert det.incidence_deg > 35.0  # far off the axis
    assert math.isclose(det.gsd_m, height / camera.fx_px, rel_tol=0.005), det.gsd_m
    assert math.isclose(geo.frames[0].gsd_m, height / camera.fx_px, rel_tol=1e-6)
