"""Render a frame and its truth mask from a pose by ray casting every pixel onto the face plane.

Geometry is exact (same CameraModel, Pose and plane as the rest of skyinspect): the pixel grid's
rays (distortion included) are computed once, rotated by Pose.r_ned_cam(), intersected with the
plane, converted to texture pixels and sampled with cv2.remap (bilinear for colour, nearest for
labels). Image degradations are applied to the colour frame only; the mask stays geometric truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from skyinspect.camera import CameraModel
from skyinspect.geodesy import LocalFrame
from skyinspect.pose import Pose
from skyinspect.surface import PlaneSurface, intersect_plane

from missions.simulator.config import SimConfig
from missions.simulator.scene import BACKGROUND_BGR, FaceTexture


class RayGrid:
    """Unit camera-frame rays of every pixel (H*W, 3), computed once per camera (undistortion is
    the slow part)."""

    def __init__(self, camera: CameraModel) -> None:
        self.camera = camera
        u, v = np.meshgrid(np.arange(camera.width_px, dtype=np.float64), np.arange(camera.height_px, dtype=np.float64))
        # float32: halves the per-frame memory traffic; 1e-7 relative error is < 0.01 mm on the face.
        self.rays_cam = camera.pixel_to_ray(np.stack([u.ravel(), v.ravel()], axis=1)).astype(np.float32)


@dataclass(frozen=True)
class RenderedFrame:
    image_bgr: np.ndarray  # uint8 (H, W, 3) after degradations, before JPEG
    labels: np.ndarray  # uint8 (H, W) 0/1/2
    range_m: np.ndarray  # float32 (H, W) ray length to the face (NaN if missed)


def texture_maps(grid: RayGrid, pose: Pose, frame: LocalFrame, surface: PlaneSurface,
                 texture: FaceTexture) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """remap maps (col, row) into the texture for each frame pixel, and the range to the face."""
    cam = grid.camera
    origin = frame.to_ned(pose.lat_deg, pose.lon_deg, pose.alt_msl_m).astype(np.float32)
    rays_ned = grid.rays_cam @ pose.r_ned_cam().T.astype(np.float32)
    pts, rng = intersect_plane(origin, rays_ned, surface.point_ned(frame).astype(np.float32),
                               surface.normal_ned().astype(np.float32))
    # In the simulator's face frame u = north and v = up (see scene.py).
    col, row = texture.uv_to_px(pts[:, 0], -pts[:, 2])
    shape = (cam.height_px, cam.width_px)
    mx = np.nan_to_num(col.astype(np.float32), nan=-1e6).reshape(shape)  # NaN: ray misses → border
    my = np.nan_to_num(row.astype(np.float32), nan=-1e6).reshape(shape)
    return mx, my, rng.astype(np.float32).reshape(shape)


def _motion_blur(img: np.ndarray, length_px: float) -> np.ndarray:
    """Box blur along image x (the flight direction: lanes are horizontal, the camera level)."""
    if length_px <= 1.0:
        return img
    n = int(np.ceil(length_px)) | 1  # odd kernel, centred
    k = np.ones(n, np.float32)
    excess = (n - length_px) / 2.0  # fractional end taps so the total length equals length_px
    k[0] = k[-1] = max(0.0, 1.0 - excess)
    k /= k.sum()
    return cv2.filter2D(img, -1, k[None, :], borderType=cv2.BORDER_REFLECT)


def render_frame(grid: RayGrid, pose: Pose, frame: LocalFrame, surface: PlaneSurface, texture: FaceTexture,
                 config: SimConfig, frame_index: int) -> RenderedFrame:
    mx, my, rng_m = texture_maps(grid, pose, frame, surface, texture)
    return render_maps(grid, mx, my, rng_m, texture, config, frame_index)


def render_maps(grid: RayGrid, mx: np.ndarray, my: np.ndarray, rng_m: np.ndarray, texture: FaceTexture,
                config: SimConfig, frame_index: int) -> RenderedFrame:
    """Sample the texture through remap maps (any surface's, see ``texture_maps``) and degrade the
    colour frame (motion blur, gain, vignetting, noise); the labels stay geometric truth."""
    colour = cv2.remap(texture.colour, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                       borderValue=BACKGROUND_BGR)
    labels = cv2.remap(texture.labels, mx, my, cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    img = colour.astype(np.float32)
    img = _motion_blur(img, config.motion_blur_px)
    # Per-frame auto-exposure gain and lens vignetting (cos^4 falloff at the field edge).
    r = np.random.default_rng([config.seed, 3, frame_index])
    gain = 1.0 + config.gain_jitter * float(r.uniform(-1.0, 1.0))
    cam = grid.camera
    cos_t = grid.rays_cam[:, 2].reshape(cam.height_px, cam.width_px).astype(np.float32)
    img *= (gain * cos_t ** 4)[..., None]
    # Sensor noise: read noise plus signal-dependent shot noise.
    sigma = np.sqrt(config.noise_sigma ** 2 + 0.02 * np.clip(img, 0, None))
    img += sigma * r.standard_normal(img.shape, dtype=np.float32)
    return RenderedFrame(np.clip(np.rint(img), 0, 255).astype(np.uint8), labels, rng_m)


def encode_jpeg(img: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("cv2.imencode failed to encode a JPEG")  # only on an OpenCV build without JPEG
    return buf.tobytes()


def encode_png(img: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", img, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise RuntimeError("cv2.imencode failed to encode a PNG")
    return buf.tobytes()
