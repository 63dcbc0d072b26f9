"""Pinhole camera with OpenCV/Brown distortion.

Frames: the OpenCV camera frame has x right, y down, z forward along the optical axis. Pixel
coordinates are (u, v) = (column, row); (0, 0) is the centre of the top-left pixel, as in OpenCV.
Distortion is OpenCV's five-term model (k1, k2, p1, p2, k3).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skyinspect.errors import CalibrationError, describe
from skyinspect.json_input import read_json

_UNDISTORT_ITERATIONS = 20


MAX_CALIBRATED_HFOV_DEG = 160.0  # a pinhole + Brown model means nothing wider; wider is a unit mistake


def _check_plausible(cam: CameraModel, source: object) -> None:
    """Refuse a calibration file whose numbers cannot be a camera in pixels: a focal length written
    in millimetres (fx 8.8 for a 1280-px image is a 178° view) or a principal point off the image
    (a calibration for another resolution, or values in the wrong places). Both would georeference
    every finding wrongly without any other sign."""
    hfov = math.degrees(2.0 * math.atan(cam.width_px / (2.0 * cam.fx_px)))
    if hfov > MAX_CALIBRATED_HFOV_DEG:
        raise CalibrationError(describe(source, f"fx {cam.fx_px:g} px gives a {hfov:.1f}° field of view across "
                                                f"{cam.width_px} px; expected a camera matrix in pixels",
                                        "Write fx and fy in pixels (focal length in mm / pixel pitch in mm), "
                                        "not millimetres"))
    if not (0.0 <= cam.cx_px <= cam.width_px and 0.0 <= cam.cy_px <= cam.height_px):
        raise CalibrationError(describe(source, f"principal point ({cam.cx_px:g}, {cam.cy_px:g}) px lies outside "
                                                f"the {cam.width_px}x{cam.height_px} image; expected near its centre",
                                        "Check the calibration is for this resolution and cx, cy sit in "
                                        "camera_matrix[0][2] and [1][2]"))


@dataclass(frozen=True)
class CameraModel:
    """Intrinsics and distortion of one camera at one resolution."""

    width_px: int
    height_px: int
    fx_px: float
    fy_px: float
    cx_px: float
    cy_px: float
    dist_coeffs: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)
    name: str = "camera"

    def __post_init__(self) -> None:
        if self.width_px <= 0 or self.height_px <= 0:
            raise CalibrationError(f"camera size must be positive, got {self.width_px}x{self.height_px}")
        if not (self.fx_px > 0 and self.fy_px > 0):
            raise CalibrationError(f"focal lengths must be positive, got fx={self.fx_px} fy={self.fy_px}")
        dist = tuple(float(d) for d in self.dist_coeffs) + (0.0,) * (5 - len(self.dist_coeffs))
        if len(dist) != 5:
            raise CalibrationError(f"expected at most 5 distortion coefficients, got {len(self.dist_coeffs)}")
        object.__setattr__(self, "dist_coeffs", dist)

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def from_fov(cls, width_px: int, height_px: int, hfov_deg: float, name: str = "camera",
                 dist_coeffs: tuple[float, ...] = (0.0,) * 5) -> CameraModel:
        """An ideal camera with the principal point at the centre and square pixels."""
        fx = (width_px / 2.0) / np.tan(np.radians(hfov_deg) / 2.0)
        return cls(width_px, height_px, fx, fx, (width_px - 1) / 2.0, (height_px - 1) / 2.0,
                   tuple(dist_coeffs), name)  # type: ignore[arg-type]

    @property
    def matrix(self) -> np.ndarray:
        """The 3x3 camera matrix K."""
        return np.array([[self.fx_px, 0.0, self.cx_px], [0.0, self.fy_px, self.cy_px], [0.0, 0.0, 1.0]])

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "image_width": self.width_px, "image_height": self.height_px,
                "camera_matrix": self.matrix.tolist(), "distortion_coefficients": list(self.dist_coeffs)}

    @classmethod
    def from_dict(cls, data: dict[str, object], source: object = "<calibration>") -> CameraModel:
        required = ("image_width", "image_height", "camera_matrix", "distortion_coefficients")
        missing = [k for k in required if k not in data]
        if missing:
            raise CalibrationError(describe(source, f"missing keys {missing}; expected {list(required)}",
                                            "Write the calibration as OpenCV does (see docs/onboard.md, Camera calibration)"))
        try:
            k = np.asarray(data["camera_matrix"], dtype=np.float64).reshape(3, 3)
            dist = np.asarray(data["distortion_coefficients"], dtype=np.float64).ravel()
            if np.any(dist[5:] != 0):  # dropped, OpenCV's rational/thin-prism/tilt terms would bend every ray
                raise CalibrationError(
                    f"{dist.size} distortion coefficients, non-zero past k1 k2 p1 p2 k3 (k4 k5 k6 ...: OpenCV's "
                    "rational, thin-prism or tilted model); this camera model has those five. Calibrate again "
                    "without CALIB_RATIONAL_MODEL / CALIB_THIN_PRISM_MODEL / CALIB_TILTED_MODEL")
            cam = cls(int(data["image_width"]), int(data["image_height"]),  # type: ignore[arg-type]
                      float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2]),
                      tuple(dist[:5]), str(data.get("name", "camera")))  # type: ignore[arg-type]
        except CalibrationError as exc:  # first: it is a ValueError too
            raise CalibrationError(describe(source, str(exc))) from exc
        except (ValueError, TypeError) as exc:
            raise CalibrationError(describe(source, f"malformed calibration values ({exc})")) from exc
        _check_plausible(cam, source)
        return cam

    @classmethod
    def load(cls, path: Path) -> CameraModel:
        """Load an OpenCV calibration (FileStorage YAML/XML with camera_matrix, distortion_coefficients,
        image_width, image_height), the same keys as JSON or plain YAML (matrices as nested lists), or a
        ROS camera_info YAML (matrices as rows/cols/data, ``camera_name``)."""
        path = Path(path)
        if not path.is_file():
            raise CalibrationError(describe(path, "calibration file not found"))
        if path.suffix.lower() == ".json":
            try:
                data = read_json(path, CalibrationError)
            except json.JSONDecodeError as exc:
                raise CalibrationError(describe(path, f"not valid JSON ({exc})")) from exc
            if not isinstance(data, dict):  # from_dict looks keys up in it: null or a number was a TypeError
                raise CalibrationError(describe(path, f"expected a mapping of calibration keys, got a JSON "
                                                      f"{_JSON_KINDS.get(type(data), type(data).__name__)}"))
            return cls.from_dict(data, path)
        data = path.read_bytes()  # read once: sniffed here, parsed as plain YAML (OpenCV reads its own)
        if _is_opencv_storage(data):
            return cls.from_dict(_read_opencv_storage(path), path)
        return cls.from_dict(_read_plain_yaml(path, data), path)

    # --- geometry -----------------------------------------------------------------------------
    def distort_normalised(self, xy: np.ndarray) -> np.ndarray:
        """Apply lens distortion to normalised image coordinates (N, 2)."""
        k1, k2, p1, p2, k3 = self.dist_coeffs
        x, y = xy[:, 0], xy[:, 1]
        r2 = x * x + y * y
        radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2
        xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x)
        yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y
        return np.stack([xd, yd], axis=1)

    def undistort_normalised(self, xy_d: np.ndarray) -> np.ndarray:
        """Invert distortion by Newton's method with the analytic Jacobian (converges in a few
        steps even at strongly distorted corners, where OpenCV's fixed-point loop is slow)."""
        if not any(self.dist_coeffs):
            return xy_d.copy()
        k1, k2, p1, p2, k3 = self.dist_coeffs
        xy = xy_d.copy()
        for _ in range(_UNDISTORT_ITERATIONS):
            x, y = xy[:, 0], xy[:, 1]
            r2 = x * x + y * y
            radial = 1 + k1 * r2 + k2 * r2 * r2 + k3 * r2 * r2 * r2
            d_radial = k1 + 2 * k2 * r2 + 3 * k3 * r2 * r2
            j11 = radial + 2 * x * x * d_radial + 2 * p1 * y + 6 * p2 * x
            j12 = 2 * x * y * d_radial + 2 * p1 * x + 2 * p2 * y
            j21 = 2 * x * y * d_radial + 2 * p1 * x + 2 * p2 * y
            j22 = radial + 2 * y * y * d_radial + 6 * p1 * y + 2 * p2 * x
            err = self.distort_normalised(xy) - xy_d
            det = j11 * j22 - j12 * j21
            step = np.stack([(j22 * err[:, 0] - j12 * err[:, 1]) / det,
                             (j11 * err[:, 1] - j21 * err[:, 0]) / det], axis=1)
            xy = xy - step
            if np.nanmax(np.abs(step), initial=0.0) < 1e-14:
                break
        return xy

    def project(self, points_cam: np.ndarray) -> np.ndarray:
        """Camera-frame points (N, 3) → pixels (N, 2). Points behind the camera give NaN."""
        pts = np.atleast_2d(np.asarray(points_cam, dtype=np.float64))
        z = pts[:, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            xy = pts[:, :2] / z[:, None]
        xy[z <= 0] = np.nan
        xy_d = self.distort_normalised(xy)
        return np.stack([self.fx_px * xy_d[:, 0] + self.cx_px, self.fy_px * xy_d[:, 1] + self.cy_px], axis=1)

    def pixel_to_ray(self, uv: np.ndarray) -> np.ndarray:
        """Pixels (N, 2) → unit rays (N, 3) in the camera frame."""
        uv = np.atleast_2d(np.asarray(uv, dtype=np.float64))
        xy_d = np.stack([(uv[:, 0] - self.cx_px) / self.fx_px, (uv[:, 1] - self.cy_px) / self.fy_px], axis=1)
        xy = self.undistort_normalised(xy_d)
        rays = np.concatenate([xy, np.ones((len(xy), 1))], axis=1)
        return rays / np.linalg.norm(rays, axis=1, keepdims=True)

    def gsd_m(self, range_m: float, incidence_deg: float = 0.0) -> float:
        """Ground sample distance (m/px) at the image centre for a surface at this range whose
        normal makes ``incidence_deg`` with the ray (the along-slope GSD grows by 1/cos)."""
        return range_m / self.fx_px / max(np.cos(np.radians(incidence_deg)), 1e-6)


_JSON_KINDS = {type(None): "null", int: "number", float: "number", bool: "boolean", list: "list", str: "string"}


def _read_opencv_storage(path: Path) -> dict[str, object]:
    import cv2  # lazy: keeps `import skyinspect` light

    try:
        fs = cv2.FileStorage(str(path), cv2.FILE_STORAGE_READ)
    except (cv2.error, SystemError) as exc:  # OpenCV raises SystemError on unparsable YAML
        raise CalibrationError(describe(path, "cannot be parsed as OpenCV FileStorage YAML/XML")) from exc
    try:
        if not fs.isOpened():
            raise CalibrationError(describe(path, "cannot be parsed as OpenCV FileStorage YAML/XML"))
        out: dict[str, object] = {}
        for key in ("image_width", "image_height", "camera_matrix", "distortion_coefficients", "name"):
            node = fs.getNode(key)
            if node.empty():
                continue
            if node.isMap() or node.isSeq() or key in ("camera_matrix", "distortion_coefficients"):
                try:
                    mat = node.mat()
                except cv2.error as exc:  # a plain list or a ROS {rows, cols, data} under OpenCV's header
                    raise CalibrationError(describe(
                        path, f"{key} is not an OpenCV matrix (!!opencv-matrix with rows, cols, dt, data)",
                        "Write it as OpenCV's FileStorage does, or drop the %YAML header to give plain lists")) from exc
                out[key] = mat.tolist() if mat is not None else None
            elif node.isString():
                out[key] = node.string()
            else:
                out[key] = node.real()
        return out
    finally:
        fs.release()


def _is_opencv_storage(data: bytes) -> bool:
    """OpenCV's own files start with ``%YAML`` or are XML, or tag their matrices ``opencv-matrix``;
    anything else is read as plain YAML (OpenCV's reader asserts on plain lists and ROS matrices)."""
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith((b"%YAML", b"<")) or b"opencv-matrix" in head


def _read_plain_yaml(path: Path, raw: bytes) -> dict[str, object]:
    import yaml

    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise CalibrationError(describe(path, f"not valid YAML ({exc})",
                                        "Write the calibration as OpenCV does (see docs/onboard.md, Camera calibration)")) from exc
    if not isinstance(data, dict):
        got = "an empty file" if data is None else f"a YAML {type(data).__name__}"
        raise CalibrationError(describe(path, f"expected a mapping of calibration keys, got {got}"))
    out = dict(data)
    model = out.get("distortion_model", "plumb_bob")  # ROS camera_info's; OpenCV's order in these two
    if model not in ("plumb_bob", "rational_polynomial"):  # 'equidistant' (fisheye k1-k4) read as k1 k2 p1 p2
        raise CalibrationError(describe(path, f"distortion_model {model!r} is not modelled; expected plumb_bob "
                                              "(k1 k2 p1 p2 k3) or rational_polynomial",
                                        "Calibrate again with the plumb_bob model"))
    if "name" not in out and isinstance(out.get("camera_name"), str):
        out["name"] = out["camera_name"]
    for key in ("camera_matrix", "distortion_coefficients"):
        node = out.get(key)
        if isinstance(node, dict):  # ROS camera_info: {rows, cols, data}
            values = node.get("data")
            rows, cols = node.get("rows"), node.get("cols")
            if not isinstance(values, list):
                raise CalibrationError(describe(path, f"{key} is a mapping without a 'data' list (got keys {sorted(node)}); "
                                                "expected rows, cols and data as ROS camera_info writes them"))
            if isinstance(rows, int) and isinstance(cols, int) and rows * cols != len(values):
                raise CalibrationError(describe(path, f"{key} says {rows}x{cols} but holds {len(values)} values"))
            out[key] = values
    return out
