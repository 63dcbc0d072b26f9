from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyinspect.camera import CameraModel
from skyinspect.errors import CalibrationError, InputError


@settings(max_examples=200, deadline=None)
@given(u=st.floats(0, 1279), v=st.floats(0, 959), k1=st.floats(-0.2, 0.1), k2=st.floats(-0.05, 0.05),
       p1=st.floats(-0.002, 0.002), p2=st.floats(-0.002, 0.002))
def test_pixel_ray_pixel_round_trip(u: float, v: float, k1: float, k2: float, p1: float, p2: float) -> None:
    cam = CameraModel.from_fov(1280, 960, 60.0, dist_coeffs=(k1, k2, p1, p2, 0.0))
    ray = cam.pixel_to_ray(np.array([[u, v]]))
    assert np.allclose(np.linalg.norm(ray, axis=1), 1.0)
    back = cam.project(ray * 7.3)
    assert np.allclose(back, [[u, v]], atol=1e-6)


def test_projection_matches_opencv() -> None:
    import cv2

    cam = CameraModel(1280, 960, 1100.0, 1105.0, 641.0, 478.5, (-0.12, 0.03, 0.001, -0.0005, 0.002))
    pts = np.random.default_rng(1).uniform([-2, -1.5, 3], [2, 1.5, 10], size=(50, 3))
    ours = cam.project(pts)
    theirs, _ = cv2.projectPoints(pts, np.zeros(3), np.zeros(3), cam.matrix, np.array(cam.dist_coeffs))
    assert np.allclose(ours, theirs.reshape(-1, 2), atol=1e-6)


def test_point_behind_camera_is_nan() -> None:
    cam = CameraModel.from_fov(640, 480, 60.0)
    assert np.isnan(cam.project(np.array([[0.0, 0.0, -1.0]]))).all()


def test_gsd_grows_with_range_and_obliquity() -> None:
    cam = CameraModel.from_fov(1000, 800, 90.0)  # fx = 500 px
    assert cam.gsd_m(5.0) == pytest.approx(0.01)
    assert cam.gsd_m(5.0, 60.0) == pytest.approx(0.02)


def test_opencv_yaml_round_trip(tmp_path: Path) -> None:
    import cv2

    cam = CameraModel(4000, 3000, 2900.0, 2901.0, 2001.0, 1499.0, (-0.1, 0.02, 0.0, 0.0, 0.0))
    path = tmp_path / "calib.yaml"
    fs = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
    fs.write("image_width", cam.width_px)
    fs.write("image_height", cam.height_px)
    fs.write("camera_matrix", cam.matrix)
    fs.write("distortion_coefficients", np.array(cam.dist_coeffs).reshape(1, 5))
    fs.release()
    loaded = CameraModel.load(path)
    assert loaded.matrix == pytest.approx(cam.matrix)
    assert loaded.dist_coeffs == pytest.approx(cam.dist_coeffs)


def test_calibration_missing_keys_names_file_and_keys(tmp_path: Path) -> None:
    path = tmp_path / "calib.json"
    path.write_text('{"image_width": 640, "camera_matrix": [[1,0,0],[0,1,0],[0,0,1]]}')
    with pytest.raises(CalibrationError) as info:
        CameraModel.load(path)
    assert str(path) in str(info.value) and "image_height" in str(info.value)
    assert isinstance(info.value, InputError) and isinstance(info.value, ValueError)


def test_missing_and_garbage_calibration(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match="not found"):
        CameraModel.load(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("this: [is not: opencv")
    with pytest.raises(CalibrationError, match=str(bad)):
        CameraModel.load(bad)


def _calib(tmp_path: Path, fx: float, cx: float, cy: float, name: str = "cam.json") -> Path:
    import json

    path = tmp_path / name
    path.write_text(json.dumps({"image_width": 1280, "image_height": 960,
                                "camera_matrix": [[fx, 0, cx], [0, fx, cy], [0, 0, 1]],
                                "distortion_coefficients": [0, 0, 0, 0, 0]}))
    return path


def test_a_focal_length_in_millimetres_is_refused_with_the_fix(tmp_path: Path) -> None:
    """fx 8.8 (the lens's millimetres) for a 1280-px image: a 178° 'pinhole' that would put every
    finding in the wrong place without another sign."""
    with pytest.raises(CalibrationError, match=r"cam\.json: fx 8\.8 px gives a 178\.4° field of view.*not millimetres"):
        CameraModel.load(_calib(tmp_path, 8.8, 639.5, 479.5))
    wide = CameraModel.load(_calib(tmp_path, 330.0, 639.5, 479.5))  # a 125° wide-angle still loads
    assert wide.fx_px == 330.0


def test_a_principal_point_off_the_image_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match=r"principal point \(1919\.5, 1079\.5\) px lies outside the 1280x960"):
        CameraModel.load(_calib(tmp_path, 3000.0, 1919.5, 1079.5))  # a 3840x2160 calibration on 1280x960


def test_distortion_terms_beyond_k3_are_refused_not_dropped(tmp_path: Path) -> None:
    """OpenCV's rational model (CALIB_RATIONAL_MODEL) writes 8 coefficients, k1 k2 p1 p2 k3 k4 k5 k6;
    the camera model has the first five. Dropping k4-k6 silently moved the image corner of this
    calibration by 121 px; zeros past k3 (as OpenCV pads them) still load."""
    import cv2

    k = np.array([[1000.0, 0, 639.5], [0, 1000.0, 479.5], [0, 0, 1]])
    dist = np.array([[-0.2, 0.05, 0.0, 0.0, 0.01, 0.3, 0.02, 0.01]])
    corner = np.array([[[0.64, 0.48]]])  # the ray through the image corner, normalised
    moved = cv2.projectPoints(np.dstack([corner, [[[1.0]]]]), np.zeros(3), np.zeros(3), k, dist)[0]
    cut = cv2.projectPoints(np.dstack([corner, [[[1.0]]]]), np.zeros(3), np.zeros(3), k, dist[:, :5])[0]
    assert np.linalg.norm(moved - cut) > 20  # what dropping k4-k6 cost
    path = tmp_path / "rational.yaml"
    fs = cv2.FileStorage(str(path), cv2.FILE_STORAGE_WRITE)
    fs.write("image_width", 1280)
    fs.write("image_height", 960)
    fs.write("camera_matrix", k)
    fs.write("distortion_coefficients", dist)
    fs.release()
    with pytest.raises(CalibrationError, match=r"rational\.yaml: .*8 distortion coefficients.*k4"):
        CameraModel.load(path)
    padded = tmp_path / "padded.json"
    padded.write_text('{"image_width": 1280, "image_height": 960, "camera_matrix": '
                      '[[1000, 0, 639.5], [0, 1000, 479.5], [0, 0, 1]], '
                      '"distortion_coefficients": [-0.2, 0.05, 0, 0, 0.01, 0, 0, 0]}')
    assert CameraModel.load(padded).dist_coeffs == pytest.approx((-0.2, 0.05, 0.0, 0.0, 0.01))
