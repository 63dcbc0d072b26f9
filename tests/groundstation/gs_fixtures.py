"""Small synthetic flight records whose answers are known analytically (helpers for the tests)."""

from __future__ import annotations

import http.server
import json

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
import yaml

from skyinspect.camera import CameraModel
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import GimbalFrame, Pose
from skyinspect.record import FlightRecordWriter
from skyinspect.segmentation import CORROSION, CRACK, Instance, Segmentation
from skyinspect.surface import PlaneSurface

HOME = (47.397742, 8.545594, 488.0)  # lat, lon, alt MSL of the take-off point = NED origin
FRAME = LocalFrame(*HOME)
CAMERA = CameraModel.from_fov(1280, 960, 50.0, name="test-cam")
FACE_EAST_M = 2.0  # the face is the plane east = 2 m, its normal points west, towards the camera
FLY_HEIGHT_M = 10.0
MODEL_ID = "test-model-v1"
# the real ArduCopter SITL facade scan (no images ship): its log, and a camera at the log's field of view
FACADE_TLOG = Path(__file__).resolve().parents[1] / "data" / "telemetry" / "arducopter_sitl_facade" / "flight.tlog"
FACADE_CAMERA = CameraModel.from_fov(240, 160, 73.7, name="sitl-facade")
BACKGROUND_DN = 128  # the face's grey in the images write_record draws
DEFECT_BGR = (40, 40, 160)  # and a defect's colour (BGR), grey 76
EXAMPLES = Path(__file__).resolve().parents[2] / "missions" / "examples"


def pose_at(ned: np.ndarray, yaw_deg: float, pitch_deg: float, t: float = 1.7e9,
            h_acc: float = 0.3, v_acc: float = 0.5) -> Pose:
    """An earth-referenced gimbal pose at a NED position (vehicle level)."""
    lat, lon, alt = FRAME.to_geodetic(np.asarray(ned, dtype=np.float64))
    return Pose(t, float(lat), float(lon), float(alt), float(alt) - HOME[2], 0.0, 0.0, yaw_deg,
                gimbal_pitch_deg=pitch_deg, gimbal_yaw_deg=yaw_deg, gimbal_frame=GimbalFrame.EARTH,
                h_acc_m=h_acc, v_acc_m=v_acc, source="simulator")


def project(pose: Pose, points_ned: np.ndarray, camera: CameraModel = CAMERA) -> np.ndarray:
    """World NED points → pixels seen from ``pose``."""
    cam = FRAME.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m)
    return camera.project((np.atleast_2d(points_ned) - cam) @ pose.r_ned_cam())


def face_surface() -> PlaneSurface:
    lat, lon, alt = FRAME.to_geodetic(np.array([0.0, FACE_EAST_M, -FLY_HEIGHT_M]))
    return PlaneSurface(float(lat), float(lon), float(alt), (-1.0, 0.0, 0.0), "test face")


def face_point(north_m: float, up_m: float) -> np.ndarray:
    return np.array([north_m, FACE_EAST_M, -up_m])


@dataclass(frozen=True)
class Defect:
    defect_id: str
    class_id: int
    outline_ned: np.ndarray  # (N, 3) on the face
    skeleton_ned: np.ndarray | None = None


def crack_on_face(north_m: float, up_m: float, length_m: float = 0.30, width_m: float = 0.004,
                  wander_m: float = 0.0) -> Defect:
    """A horizontal crack along the face (north direction) starting at (north, up): straight, or with
    ``wander_m`` it wanders up and down by that much every 0.1 m (a straight level line is flagged
    joint-like, groundstation/joints.py, and change detection never judges a joint line's growth)."""
    a, b = north_m, north_m + length_m
    h = width_m / 2
    if wander_m == 0.0:
        outline = np.array([face_point(a, up_m - h), face_point(b, up_m - h), face_point(b, up_m + h),
                            face_point(a, up_m + h)])
        skeleton = np.array([face_point(a + t * length_m, up_m) for t in np.linspace(0, 1, 7)])
        return Defect(f"crack@{north_m}", CRACK, outline, skeleton)
    n = np.linspace(a, b, max(7, round(length_m / 0.005) + 1))  # the same path however long it grows
    u = up_m + wander_m * np.sin(2 * np.pi * (n - a) / 0.1)
    outline = np.array([face_point(x, y - h) for x, y in zip(n, u)]
                       + [face_point(x, y + h) for x, y in zip(n[::-1], u[::-1])])
    return Defect(f"crack@{north_m}", CRACK, outline, np.array([face_point(x, y) for x, y in zip(n, u)]))


def corrosion_on_face(north_m: float, up_m: float, size_m: float = 0.10) -> Defect:
    ang = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    outline = np.array([face_point(north_m + size_m / 2 * np.cos(t), up_m + size_m / 2 * np.sin(t)) for t in ang])
    return Defect(f"corrosion@{north_m}", CORROSION, outline)


def instance_for(pose: Pose, d: Defect) -> Instance:
    poly = project(pose, d.outline_ned)
    skel = project(pose, d.skeleton_ned) if d.skeleton_ned is not None else None
    x, y = poly[:, 0], poly[:, 1]
    area = 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))
    return Instance(d.class_id, 0.9, poly, area, skel)


def coverage(polygon_px: np.ndarray, shape_hw: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """The fraction of each pixel (centres at integers) that ``polygon_px`` covers, exactly (the area of
    the polygon within the pixel's square), on the crop that holds it: (fractions, (x0, y0) of the crop).
    A crack W px wide darkens every cross-section by W px of contrast; filling the rounded outline
    (cv2.fillPoly) drew a 2.05 px crack 4 px wide."""
    poly = shapely.make_valid(shapely.Polygon(polygon_px))
    h, w = shape_hw
    x0, y0 = (max(int(np.floor(v + 0.5)), 0) for v in polygon_px.min(axis=0))
    x1, y1 = (min(int(np.floor(v + 0.5)) + 1, n) for v, n in zip(polygon_px.max(axis=0), (w, h)))
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0)), (0, 0)
    xs, ys = np.meshgrid(np.arange(x0, x1), np.arange(y0, y1))
    boxes = shapely.box(xs - 0.5, ys - 0.5, xs + 0.5, ys + 0.5)
    return shapely.area(shapely.intersection(boxes, poly)), (x0, y0)


def write_record(folder: Path, frames: list[tuple[Pose, list[Instance]]], camera: CameraModel = CAMERA,
                 image_size: tuple[int, int] | None = None) -> Path:
    """Each frame's instances drawn in DEFECT_BGR on the grey face by area coverage (``coverage``),
    without blur or noise."""
    w, h = image_size or (camera.width_px, camera.height_px)
    colour = np.array(DEFECT_BGR, np.float64) - BACKGROUND_DN
    with FlightRecordWriter(folder, camera, MODEL_ID, "0" * 64) as writer:
        for i, (pose, instances) in enumerate(frames):
            img = np.full((h, w, 3), float(BACKGROUND_DN))
            for inst in instances:
                frac, (x0, y0) = coverage(inst.polygon_px, (h, w))
                crop = img[y0:y0 + frac.shape[0], x0:x0 + frac.shape[1]]
                crop += frac[..., None] * colour
                # overlapping outlines: no further from the face's grey than the defect's colour
                np.clip(crop, np.minimum(colour, 0) + BACKGROUND_DN, np.maximum(colour, 0) + BACKGROUND_DN, out=crop)
            seg = Segmentation(np.zeros((h, w), np.uint8), tuple(instances), MODEL_ID)
            writer.add_frame(i, pose.time_utc_s, np.round(img).astype(np.uint8), pose, seg)
    return folder


def face_flight(folder: Path, defects: list[Defect], n_frames: int = 5, step_m: float = 0.15,
                extra: list[tuple[Pose, list[Instance]]] | None = None, t0: float = 1.7e9) -> Path:
    """A camera 2 m west of the face, level, looking east, stepping north one frame a second from time
    ``t0``; every defect visible."""
    frames = []
    for k in range(n_frames):
        pose = pose_at(np.array([k * step_m, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0, t=t0 + k)
        frames.append((pose, [instance_for(pose, d) for d in defects]))
    return write_record(folder, frames + (extra or []))


def in_flight(flight_origin: LocalFrame, ned_home: np.ndarray) -> np.ndarray:
    """Points given in the fixtures' home NED frame → the flight's own NED frame."""
    geo = FRAME.to_geodetic(np.atleast_2d(ned_home))
    return flight_origin.to_ned(geo[:, 0], geo[:, 1], geo[:, 2])


def dated_face_record(folder: Path, defects: list[Defect], t0: float = 1.7e9) -> Path:
    """Five level frames stepping north along the test face from time ``t0`` (one inspection)."""
    return face_flight(folder, defects, t0=t0)


def bridge_on_face(folder: Path, piers: list[tuple[float, float]]) -> Path:
    """The example bridge (missions/examples/bridge.yaml) with its first piers made 1.5 m wide boxes whose
    west face is the test face, one per (centre north m, length m), written to ``folder``/bridge.yaml."""
    bridge = yaml.safe_load((EXAMPLES / "bridge.yaml").read_text())
    f = LocalFrame(HOME[0], HOME[1], bridge["site"]["ground_alt_msl_m"])
    for pier, (north, length) in zip(bridge["piers"], piers):
        lat, lon, _ = f.to_geodetic(np.array([north, FACE_EAST_M + 0.75, 0.0]))
        pier.pop("diameter_m", None)
        pier.update(shape="box", centre_lat_lon=[float(lat), float(lon)], length_m=length, width_m=1.5,
                    heading_deg=0.0)
    (folder / "bridge.yaml").write_text(yaml.safe_dump(bridge))
    return folder / "bridge.yaml"


class WebhookSink(http.server.BaseHTTPRequestHandler):
    """A local webhook receiver: records (Authorization header, JSON body) of each POST."""

    received: list = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        WebhookSink.received.append((self.headers.get("Authorization"), json.loads(body)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def processed_and_moved(tmp_path: Path) -> Path:
    """A one-crack face flight processed into site/results, then site/ moved to laptop/site, flight/ beside
    results/ as `skyinspect demo` lays them out: the moved site (results' inspection.json still names the old
    record path, which is gone)."""
    import shutil

    from groundstation.pipeline import process

    site = tmp_path / "site"
    face_flight(site / "flight", [crack_on_face(-0.1, FLY_HEIGHT_M + 0.1)])
    process(site / "flight", site / "results", face_surface(), progress=False)
    moved = tmp_path / "laptop" / "site"
    moved.parent.mkdir()
    shutil.move(str(site), str(moved))
    return moved
