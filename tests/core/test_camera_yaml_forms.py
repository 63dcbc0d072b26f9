"""Calibration YAML written by other tools than OpenCV's FileStorage: ROS camera_info, plain lists,
JSON saved under .yaml. Before, each crashed inside OpenCV (cv2.error 'isMap()' / '!dt.empty()'), which
the CLI showed as a traceback with exit 1."""

import json
from pathlib import Path

import numpy as np
import pytest

from skyinspect.camera import CameraModel
from skyinspect.errors import CalibrationError

K = [[500.0, 0.0, 320.0], [0.0, 500.0, 240.0], [0.0, 0.0, 1.0]]
DIST = [0.01, -0.02, 0.001, 0.0, 0.0]

ROS = """image_width: 640
image_height: 480
camera_name: narrow_stereo
camera_matrix:
  rows: 3
  cols: 3
  data: [500.0, 0.0, 320.0, 0.0, 500.0, 240.0, 0.0, 0.0, 1.0]
distortion_model: plumb_bob
distortion_coefficients:
  rows: 1
  cols: 5
  data: [0.01, -0.02, 0.001, 0.0, 0.0]
"""

LISTS = f"""image_width: 640
image_height: 480
camera_matrix: {K}
distortion_coefficients: {DIST}
"""


@pytest.mark.parametrize("text", [ROS, LISTS, json.dumps({"image_width": 640, "image_height": 480,
                                                          "camera_matrix": K, "distortion_coefficients": DIST})],
                         ids=["ros-camera-info", "plain-lists", "json-as-yaml"])
def test_a_calibration_yaml_from_other_tools_loads(tmp_path: Path, text: str) -> None:
    path = tmp_path / "camera.yaml"
    path.write_text(text)
    cam = CameraModel.load(path)
    assert cam.matrix == pytest.approx(np.array(K))
    assert cam.dist_coeffs == pytest.approx(DIST)
    assert (cam.width_px, cam.height_px) == (640, 480)


def test_ros_camera_name_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "camera.yaml"
    path.write_text(ROS)
    assert CameraModel.load(path).name == "narrow_stereo"


def test_a_ros_matrix_whose_data_disagrees_with_rows_and_cols_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "camera.yaml"
    path.write_text(ROS.replace("rows: 3\n  cols: 3", "rows: 2\n  cols: 3"))
    with pytest.raises(CalibrationError, match=r"camera\.yaml.*camera_matrix.*2x3.*9 values"):
        CameraModel.load(path)


@pytest.mark.parametrize("text, what", [
    ("- 1\n- 2\n", "a YAML list"),
    ("camera_matrix: [1, 2\n", "not valid YAML"),
    ("image_width: 640\nimage_height: 480\ncamera_matrix: {rows: 3}\ndistortion_coefficients: [0, 0, 0, 0, 0]\n",
     "camera_matrix"),
])
def test_a_broken_plain_yaml_names_the_file_and_the_problem(tmp_path: Path, text: str, what: str) -> None:
    path = tmp_path / "camera.yaml"
    path.write_text(text)
    with pytest.raises(CalibrationError) as info:
        CameraModel.load(path)
    assert str(path) in str(info.value) and what in str(info.value)


def test_an_opencv_header_over_plain_lists_names_the_key_not_an_opencv_assertion(tmp_path: Path) -> None:
    path = tmp_path / "camera.yaml"
    path.write_text("%YAML:1.0\n---\n" + LISTS)
    with pytest.raises(CalibrationError) as info:
        CameraModel.load(path)
    assert str(path) in str(info.value) and "camera_matrix" in str(info.value) and "opencv-matrix" in str(info.value)


def test_a_ros_fisheye_calibration_is_refused_not_read_as_plumb_bob(tmp_path: Path) -> None:
    """ROS's 'equidistant' model (the fisheye k1 k2 k3 k4) had loaded as this camera's k1 k2 p1 p2: every ray
    bent by the wrong model, with no word. 'rational_polynomial' is OpenCV's order and still reads."""
    path = tmp_path / "camera.yaml"
    path.write_text(ROS.replace("plumb_bob", "equidistant").replace("cols: 5", "cols: 4")
                    .replace("[0.01, -0.02, 0.001, 0.0, 0.0]", "[0.01, -0.02, 0.003, -0.001]"))
    with pytest.raises(CalibrationError) as info:
        CameraModel.load(path)
    assert str(path) in str(info.value) and "equidistant" in str(info.value)
    path.write_text(ROS.replace("plumb_bob", "rational_polynomial"))
    assert CameraModel.load(path).dist_coeffs == pytest.approx(DIST)
