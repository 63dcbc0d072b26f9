"""Field degradations for training crops: what a drone camera does to a crack that a lab photo lacks.

DeepCrack and the corrosion photos are sharp, well-exposed stills; frames from a moving drone carry
motion blur, slight defocus, sensor noise, haze, uneven light and JPEG compression. ``prepare`` writes a
degraded copy of some training crops (the truth mask is unchanged: none of these moves a crack). Pure
numpy/OpenCV so it is tested without torch; every draw comes from the ``numpy`` generator passed in, so a
dataset build is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class DegradeConfig:
    """Probabilities and ranges of each degradation (defaults: moderate, hairlines stay visible)."""

    p_motion: float = 0.6
    motion_px: tuple[float, float] = (1.0, 3.5)  # blur length along a random direction
    p_defocus: float = 0.35
    defocus_sigma_px: tuple[float, float] = (0.4, 1.0)
    p_haze: float = 0.25
    haze: tuple[float, float] = (0.05, 0.25)  # blend weight of a flat bright airlight
    p_shadow: float = 0.3
    shadow_gain: tuple[float, float] = (0.55, 0.9)  # darkest side of a linear light gradient
    p_noise: float = 0.7
    noise_sigma_dn: tuple[float, float] = (1.0, 6.0)
    p_jpeg: float = 0.8
    jpeg_quality: tuple[int, int] = (40, 90)


def motion_kernel(length_px: float, angle_deg: float) -> np.ndarray:
    """Normalised line kernel of ``length_px`` at ``angle_deg`` (anti-aliased, odd size)."""
    n = int(np.ceil(length_px)) | 1
    k = np.zeros((n * 4 + 1, n * 4 + 1), np.float32)  # 4x supersampled, then area-downsampled
    c = k.shape[0] / 2.0
    dx, dy = np.cos(np.radians(angle_deg)) * length_px * 2.0, np.sin(np.radians(angle_deg)) * length_px * 2.0
    cv2.line(k, (int(round(c - dx)), int(round(c - dy))), (int(round(c + dx)), int(round(c + dy))), 1.0, 1,
             cv2.LINE_AA)
    k = cv2.resize(k, (n, n), interpolation=cv2.INTER_AREA)
    s = float(k.sum())
    if s <= 0:  # length below one pixel: identity
        k = np.zeros((n, n), np.float32)
        k[n // 2, n // 2] = 1.0
        return k
    return k / s


def degrade(img_bgr: np.ndarray, rng: np.random.Generator, cfg: DegradeConfig = DegradeConfig()) -> np.ndarray:
    """One random field-degraded copy of a uint8 BGR image (same shape and dtype)."""
    if img_bgr.dtype != np.uint8 or img_bgr.ndim != 3 or img_bgr.shape[2] != 3:
        raise ValueError(f"degrade: expected a uint8 (H, W, 3) BGR image, got {img_bgr.dtype} {img_bgr.shape}")
    img = img_bgr.astype(np.float32)
    if rng.random() < cfg.p_motion:
        k = motion_kernel(float(rng.uniform(*cfg.motion_px)), float(rng.uniform(0.0, 180.0)))
        img = cv2.filter2D(img, -1, k, borderType=cv2.BORDER_REFLECT)
    if rng.random() < cfg.p_defocus:
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(*cfg.defocus_sigma_px)))
    if rng.random() < cfg.p_shadow:  # light falling off across the frame (a girder's shadow, low sun)
        h, w = img.shape[:2]
        a = np.radians(rng.uniform(0.0, 360.0))
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        t = (xx * np.cos(a) + yy * np.sin(a))
        t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
        lo = float(rng.uniform(*cfg.shadow_gain))
        img *= (lo + (1.0 - lo) * t)[..., None]
    if rng.random() < cfg.p_haze:
        wgt = float(rng.uniform(*cfg.haze))
        img = img * (1.0 - wgt) + wgt * float(rng.uniform(170.0, 235.0))
    if rng.random() < cfg.p_noise:
        img += rng.normal(0.0, float(rng.uniform(*cfg.noise_sigma_dn)), img.shape).astype(np.float32)
    out = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    if rng.random() < cfg.p_jpeg:
        q = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
        if ok:
            out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return out
