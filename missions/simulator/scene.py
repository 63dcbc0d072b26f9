"""The pier face and its texture: procedural concrete with real crack/corrosion imagery pasted at
known positions, plus an aligned label texture (0 background, 1 crack, 2 corrosion).

Face geometry is copied from shared/data/telemetry/arducopter_sitl_facade/geometry.json (a real
ArduCopter SITL flight past this virtual bridge-pier face near Zurich): a vertical plane 30 m long
x 20 m high running south-north, outward normal 270 deg (facing west), base 488.1 m AMSL.

Frames: the simulator's LocalFrame has its origin at the face's south end, at the base height, so
the face is exactly the plane east = 0 of that frame, with u = north and v = -down (see config).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from skyinspect.errors import ImageError, InputError, describe
from skyinspect.geodesy import LocalFrame
from skyinspect.segmentation import CORROSION, CRACK
from skyinspect.surface import PlaneSurface

from missions.simulator.config import DefectPlacement, SimConfig

# --- face geometry (geometry.json of arducopter_sitl_facade) ------------------------------------
FACE_SOUTH_LAT_DEG = 47.397742
FACE_SOUTH_LON_DEG = 8.545793064977508
FACE_NORTH_LAT_DEG = 47.398011496148605
FACE_BASE_AMSL_M = 488.1
FACE_LENGTH_M = 30.0
FACE_HEIGHT_M = 20.0
FACE_NORMAL_ENU = (-1.0, 0.0, 0.0)  # outward normal 270 deg: facing west
HOME_AMSL_M = 488.1  # HOME_POSITION of that flight; alt_rel in telemetry is above this
FACING_HEADING_DEG = 90.0  # the camera looks east, at the west-facing face

TEXTURE_DIR = Path(__file__).resolve().parent / "textures"
MARGIN_M = 0.3  # plain concrete around the defect region, so frame corners rarely leave the texture
BACKGROUND_BGR = (118, 121, 124)  # neutral grey-ish for rays that miss the texture
CLASS_IDS = {"crack": CRACK, "corrosion": CORROSION}
# A corrosion photo's mask is pasted as its main patches only: components under this fraction of the
# largest are annotation scraps (0448: four 62-111 px specks drawn on intact tread plate) or slivers
# the photo's edge cut off (0300, 0761). Pasted, they rendered as 1-8 cm2 grey flakes with a bright
# halo that no inspector would call rust, yet the truth counted each one as a defect. Crack masks
# are kept whole: a short piece of an annotated crack is still a crack.
CORROSION_SCRAP_FRACTION = 0.1


def face_frame() -> LocalFrame:
    return LocalFrame(FACE_SOUTH_LAT_DEG, FACE_SOUTH_LON_DEG, FACE_BASE_AMSL_M)


def face_surface() -> PlaneSurface:
    return PlaneSurface(FACE_SOUTH_LAT_DEG, FACE_SOUTH_LON_DEG, FACE_BASE_AMSL_M, FACE_NORMAL_ENU,
                        "bridge pier face, west side (skyinspect simulator)")


def face_uv_to_ned(u_m: np.ndarray, v_m: np.ndarray) -> np.ndarray:
    """Face coordinates → (N, 3) NED in face_frame()."""
    u, v = np.broadcast_arrays(np.asarray(u_m, dtype=np.float64), np.asarray(v_m, dtype=np.float64))
    return np.stack([u.ravel(), np.zeros(u.size), -v.ravel()], axis=1)


@dataclass(frozen=True, eq=False)
class FaceTexture:
    """Colour (BGR uint8) and label (uint8) images of the textured part of the face.

    Texture pixel (col, row) has its centre at u = u0_m + (col + 0.5) * m_per_px and
    v = v_top_m - (row + 0.5) * m_per_px (row 0 is the top edge).
    """

    colour: np.ndarray
    labels: np.ndarray
    u0_m: float
    v_top_m: float
    m_per_px: float
    sources: dict[int, str]  # label-instance id → texture source file (for truth provenance)
    instance_ids: np.ndarray  # int16, which pasted patch owns a defect pixel (-1 none)
    # float16, the fraction of each pixel the crack annotations cover (resampled, not thresholded): the
    # truth's crack widths in mm (truth.py); the labels' 0.2 threshold widens a 1 px hairline to 2 px
    crack_cover: np.ndarray | None = None

    def uv_to_px(self, u_m: np.ndarray, v_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Face metres → texture pixel coordinates (col, row), as remap wants them."""
        return (np.asarray(u_m) - self.u0_m) / self.m_per_px - 0.5, (self.v_top_m - np.asarray(v_m)) / self.m_per_px - 0.5

    def px_to_uv(self, col: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.u0_m + (np.asarray(col) + 0.5) * self.m_per_px, self.v_top_m - (np.asarray(row) + 0.5) * self.m_per_px


# --- procedural concrete ----------------------------------------------------------------------
def _value_noise(rng: np.random.Generator, h: int, w: int, cell_px: float) -> np.ndarray:
    """Smooth noise in [-1, 1] with features about ``cell_px`` wide (bicubic upsampled grid)."""
    gh, gw = max(2, int(np.ceil(h / cell_px)) + 2), max(2, int(np.ceil(w / cell_px)) + 2)
    grid = rng.uniform(-1.0, 1.0, (gh, gw)).astype(np.float32)
    big = cv2.resize(grid, (int((gw - 1) * cell_px), int((gh - 1) * cell_px)), interpolation=cv2.INTER_CUBIC)
    return big[:h, :w]


def procedural_concrete(rng: np.random.Generator, h: int, w: int, m_per_px: float, u0_m: float,
                        v_top_m: float) -> np.ndarray:
    """Board-formed concrete: mottled grey, fine grain, pores, water stains, formwork joints and tie
    holes. Feature sizes are physical (mm), so the look does not change with the texture scale."""
    mm = 1e-3 / m_per_px  # texture pixels per millimetre
    lum = np.full((h, w), 150.0, np.float32)
    for cell_mm, amp in ((900, 5.0), (250, 4.0), (60, 3.5), (15, 3.0), (5, 3.0), (2, 2.5)):
        lum += amp * _value_noise(rng, h, w, max(cell_mm * mm, 1.5))
    lum += rng.normal(0.0, 3.5, (h, w)).astype(np.float32)  # sand grain
    # Stains and water runs are smooth: build them on a coarse 16 mm grid (fast blurs), then upsample.
    k = max(1, int(round(16 * mm)))
    ch, cw = -(-h // k), -(-w // k)
    cmm = mm / k  # coarse pixels per mm
    stain = np.clip(_value_noise(rng, ch, cw, 700 * cmm) * 2.2 - 1.0, 0.0, 1.0)
    stain = cv2.GaussianBlur(stain, (0, 0), 40 * cmm + 0.5)
    runs = np.zeros((ch, cw), np.float32)
    for _ in range(max(1, int(w / (400 * mm)))):
        x = int(rng.integers(0, cw))
        y0 = int(rng.integers(0, max(1, ch // 2)))
        runs[y0:, x] += float(rng.uniform(0.3, 0.8))
    runs = cv2.GaussianBlur(runs, (0, 0), sigmaX=15 * cmm + 0.5, sigmaY=80 * cmm + 0.5) * 3.0
    stain = cv2.resize(stain, (cw * k, ch * k), interpolation=cv2.INTER_LINEAR)[:h, :w]
    runs = cv2.resize(runs, (cw * k, ch * k), interpolation=cv2.INTER_LINEAR)[:h, :w]
    lum -= 12.0 * stain + 10.0 * runs
    # Pores / bug holes (1.5-4 mm), dark, drawn directly (small, so no big blur needed).
    n_pores = int(h * w * m_per_px * m_per_px * 450)  # ~450 per m^2
    for x, y, r in zip(rng.integers(0, w, n_pores), rng.integers(0, h, n_pores), rng.uniform(0.7, 2.0, n_pores)):
        cv2.circle(lum, (int(x), int(y)), max(1, int(round(r * mm))), float(rng.uniform(70, 115)), -1)
    # Formwork: board joints every 150 mm (height), panel joints every 1.25 m (along); tie holes.
    _formwork(lum, mm, u0_m, v_top_m, m_per_px)
    lum = cv2.GaussianBlur(lum, (3, 3), 0.5)  # the pores' hard edges → optical softness
    tint = np.stack([lum * 0.985 - 2.0 * stain, lum, lum * 1.01 + 3.0 * stain + 2.0 * runs], axis=2)
    return np.clip(tint, 0, 255).astype(np.uint8)


def _formwork(lum: np.ndarray, mm: float, u0_m: float, v_top_m: float, m_per_px: float) -> None:
    h, w = lum.shape
    u = u0_m + (np.arange(w) + 0.5) * m_per_px
    v = v_top_m - (np.arange(h) + 0.5) * m_per_px
    # Board marks: faint horizontal lines (signed distance to the nearest 150 mm line).
    dv = (np.abs(((v + 0.075) % 0.15) - 0.075) * 1000.0)[:, None]
    lum -= (6.0 * np.exp(-(dv / 1.2) ** 2)).astype(np.float32)
    du = (np.abs(((u + 0.625) % 1.25) - 0.625) * 1000.0)[None, :]
    lum -= (28.0 * np.exp(-(du / 1.8) ** 2) - 6.0 * np.exp(-((du - 4.0) / 2.0) ** 2)).astype(np.float32)
    # Tie holes (25 mm, dark, with a lighter mortar ring) on a 0.625 m x 0.6 m grid.
    for uc in np.arange(np.ceil(u[0] / 0.625) * 0.625 - 0.3125, u[-1] + 0.7, 0.625):
        for vc in np.arange(np.floor(v[-1] / 0.6) * 0.6 + 0.3, v[0] + 0.6, 0.6):
            c = (int(round((uc - u0_m) / m_per_px)), int(round((v_top_m - vc) / m_per_px)))
            cv2.circle(lum, c, int(round(16 * mm)), 172.0, -1)
            cv2.circle(lum, c, int(round(12 * mm)), 88.0, -1)


# --- defect patches ---------------------------------------------------------------------------
def load_patch(stem: str) -> tuple[np.ndarray, np.ndarray]:
    """A committed texture (BGR uint8) and its binary mask (bool)."""
    img_path, mask_path = TEXTURE_DIR / f"{stem}.jpg", TEXTURE_DIR / f"{stem}_mask.png"
    img = cv2.imread(str(img_path), cv2.IMREAD_COLOR)
    mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE)
    if img is None or mask is None:
        raise ImageError(describe(img_path if img is None else mask_path, "texture missing or unreadable",
                                  "Expected <stem>.jpg and <stem>_mask.png in missions/simulator/textures"))
    if img.shape[:2] != mask.shape:
        raise ImageError(describe(mask_path, f"mask shape {mask.shape} != image shape {img.shape[:2]}"))
    return img, mask > 127


def main_patches(mask: np.ndarray, min_fraction: float) -> np.ndarray:
    """``mask`` (bool) without the connected components smaller than ``min_fraction`` of its largest."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 2:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(n, bool)
    keep[1:] = areas >= min_fraction * areas.max()
    return keep[lab]


def _paste(colour: np.ndarray, labels: np.ndarray, owner: np.ndarray, tex_scale_mm: float, col: float, row: float,
           d: DefectPlacement, index: int, cover: np.ndarray | None = None) -> None:
    img, mask = load_patch(d.texture)
    if d.class_name == "corrosion":
        mask = main_patches(mask, CORROSION_SCRAP_FRACTION)
    img, mask = np.rot90(img, d.rot90), np.rot90(mask, d.rot90)
    if d.flip:
        img, mask = img[:, ::-1], mask[:, ::-1]
    f = d.mm_per_px / tex_scale_mm
    size = (max(8, int(round(img.shape[1] * f))), max(8, int(round(img.shape[0] * f))))
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR
    patch = cv2.resize(np.ascontiguousarray(img), size, interpolation=interp).astype(np.float32)
    # Area-resampled mask; a low threshold keeps 1-2 px cracks continuous when shrinking (0.35
    # already breaks a UAV75 crack into ~16 pieces at 0.6x; 0.2 keeps it whole).
    fraction = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    m = fraction >= (0.2 if d.class_name == "crack" else 0.5)
    ph, pw = m.shape
    x0, y0 = int(round(col - pw / 2)), int(round(row - ph / 2))
    if x0 < 0 or y0 < 0 or x0 + pw > colour.shape[1] or y0 + ph > colour.shape[0]:
        raise InputError(f"SimConfig.defects[{index}] ({d.texture}): patch of {pw}x{ph} px at "
                         f"({d.centre_u_m}, {d.centre_v_m}) m does not fit in the textured region; move it "
                         "inwards or enlarge region_width_m/region_height_m")
    # Alpha: the defect plus a feathered band of its own surroundings, faded out near the patch
    # border, so only the defect (not the whole photo) is transferred.
    band_mm = 10.0 if d.class_name == "crack" else 6.0
    r = max(2, int(round(band_mm / tex_scale_mm)))
    alpha = cv2.dilate(m.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    alpha = cv2.GaussianBlur(alpha.astype(np.float32), (0, 0), r / 2.0)
    yy, xx = np.mgrid[0:ph, 0:pw]
    edge = np.minimum(np.minimum(xx, pw - 1 - xx), np.minimum(yy, ph - 1 - yy)).astype(np.float32)
    ramp = np.clip(edge / max(4.0, 0.08 * min(pw, ph)), 0.0, 1.0)
    alpha = np.clip(alpha * 1.3, 0.0, 1.0) * (ramp * ramp * (3 - 2 * ramp))
    window = colour[y0:y0 + ph, x0:x0 + pw].astype(np.float32)
    # Match the photo's concrete brightness to the procedural background (keep its contrast).
    # Cracks: per-channel shift (concrete photo onto concrete). Corrosion: half a luminance shift
    # only, as a per-channel one would turn orange rust halos blue.
    ring = (alpha > 0.05) & ~m
    if ring.sum() > 20:
        if d.class_name == "crack":
            patch += window[ring].mean(axis=0) - patch[ring].mean(axis=0)
        else:
            patch += 0.5 * float(window[ring].mean() - patch[ring].mean())
    out = alpha[..., None] * patch + (1.0 - alpha[..., None]) * window
    colour[y0:y0 + ph, x0:x0 + pw] = np.clip(out, 0, 255).astype(np.uint8)
    keep = m & (alpha >= 0.5)
    labels[y0:y0 + ph, x0:x0 + pw][keep] = CLASS_IDS[d.class_name]
    owner[y0:y0 + ph, x0:x0 + pw][keep] = index
    if cover is not None and d.class_name == "crack":
        here = cover[y0:y0 + ph, x0:x0 + pw]
        np.maximum(here, np.where(alpha >= 0.5, np.clip(fraction, 0.0, 1.0), 0.0), out=here)


def build_texture(config: SimConfig) -> FaceTexture:
    """The face texture for a config (deterministic in config.seed)."""
    s = config.texture_mm_per_px * 1e-3
    u0 = config.region_u0_m - MARGIN_M
    v_top = config.region_v0_m + config.region_height_m + MARGIN_M
    w = int(round((config.region_width_m + 2 * MARGIN_M) / s))
    h = int(round((config.region_height_m + 2 * MARGIN_M) / s))
    rng = np.random.default_rng([config.seed, 1])
    colour = procedural_concrete(rng, h, w, s, u0, v_top)
    labels = np.zeros((h, w), np.uint8)
    owner = np.full((h, w), -1, np.int16)
    cover = np.zeros((h, w), np.float16)  # a fraction to 1e-3 is plenty; 2 bytes a pixel at 200 MP
    sources: dict[int, str] = {}
    for i, d in enumerate(config.defects):
        col = (config.region_u0_m + d.centre_u_m - u0) / s - 0.5
        row = (v_top - (config.region_v0_m + d.centre_v_m)) / s - 0.5
        _paste(colour, labels, owner, config.texture_mm_per_px, col, row, d, i, cover)
        sources[i] = d.texture
    return FaceTexture(colour, labels, u0, v_top, s, sources, owner, cover)
