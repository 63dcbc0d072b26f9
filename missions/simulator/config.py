"""Configuration of the simulated inspection flight (all numbers in one frozen dataclass).

Face coordinates used throughout the simulator: ``u_m`` runs along the pier face from its south
end (northwards), ``v_m`` is the height above the face's base. The textured region is the
rectangle ``[region_u0_m, region_u0_m + region_width_m] x [region_v0_m, region_v0_m + region_height_m]``;
defect placements are given relative to the region's lower-left (south, bottom) corner.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from skyinspect.camera import CameraModel
from skyinspect.errors import InputError


@dataclass(frozen=True)
class DefectPlacement:
    """One real defect image pasted onto the face.

    ``texture`` is a stem in ``missions/simulator/textures`` (``<stem>.jpg`` + ``<stem>_mask.png``).
    ``mm_per_px`` is the physical size of one patch pixel on the face; ``rot90`` rotates the patch
    by multiples of 90 degrees counter-clockwise (exact, no resampling) for variety.
    """

    texture: str
    class_name: str  # "crack" or "corrosion"
    centre_u_m: float  # relative to the region's south edge
    centre_v_m: float  # relative to the region's bottom edge
    mm_per_px: float
    rot90: int = 0
    flip: bool = False


# Cracks: UAV75 512 px patches at 0.6-0.9 mm/px cover 0.3-0.46 m (the UAV75 photos themselves were
# shot at roughly this scale, so crack widths stay 1-2 mm). Corrosion: 448 px patches at
# 1.2-1.5 mm/px cover 0.54-0.67 m. Positions are chosen so no two patches overlap.
DEFAULT_DEFECTS: tuple[DefectPlacement, ...] = (
    DefectPlacement("uav75_DSC00551", "crack", 0.55, 1.80, 0.8),
    DefectPlacement("uav75_DSC00566", "crack", 1.55, 0.60, 0.7),
    DefectPlacement("uav75_DSC00572", "crack", 2.60, 1.75, 0.9, rot90=1),
    DefectPlacement("uav75_DSC00674e", "crack", 3.75, 0.70, 0.8, flip=True),
    DefectPlacement("uav75_DSC00874", "crack", 4.55, 1.80, 0.6, rot90=2),
    DefectPlacement("corrosion_0300_jpg", "corrosion", 0.65, 0.62, 1.2),
    DefectPlacement("corrosion_0448_jpg", "corrosion", 2.62, 0.58, 1.4),
    DefectPlacement("corrosion_0761_jpg", "corrosion", 3.62, 1.78, 1.5),
)

GNSS_ERROR_MODELS = ("per-lane", "gauss-markov")  # missions/simulator/gnss.py
MAX_IMAGE_PX = 150e6  # the largest inspection cameras are ~100 MP; the renderer holds a ray per pixel
MAX_TEXTURE_PX = 200e6  # ~1 GB of texture; the default region is 12 MP
MAX_BOOT_S = 1e6  # time_boot_ms is a uint32 (49.7 days) and must hold this plus the flight
MAX_UTC_S = 4102444800.0  # 2100-01-01

SMALL_DEFECTS: tuple[DefectPlacement, ...] = (
    DefectPlacement("uav75_DSC00551", "crack", 0.20, 0.20, 0.6),
    DefectPlacement("corrosion_0300_jpg", "corrosion", 0.60, 0.20, 0.7),
)


@dataclass(frozen=True)
class SimConfig:
    """Everything that determines a simulated flight. Same config (incl. seed) → same outputs.

    Default numbers: 1280x960 camera with fx = 3000 px (HFOV 24.1 deg) at 3.0 m standoff gives a
    GSD of 1.0 mm/px at the image centre (footprint 1.28 m x 0.96 m), matching the 1.0 mm/px
    texture. 70 % forward / 60 % side overlap over a 5.0 m x 2.4 m region → 5 lanes x 11 frames.
    """

    seed: int = 7
    # camera
    width_px: int = 1280
    height_px: int = 960
    fx_px: float = 3000.0
    k1: float = -0.05
    k2: float = 0.01
    # flight geometry
    standoff_m: float = 3.0
    forward_overlap: float = 0.70
    side_overlap: float = 0.60
    speed_m_s: float = 1.0
    climb_speed_m_s: float = 0.5
    hold_start_s: float = 2.0
    hold_end_s: float = 1.0
    wobble_roll_pitch_deg: float = 2.5  # vehicle lean amplitude; the gimbal compensates it
    yaw_jitter_deg: float = 0.3
    gimbal_pitch_deg: float = 0.0
    # textured region on the face (see module docstring) and its scale
    region_u0_m: float = 12.5
    region_v0_m: float = 5.0
    region_width_m: float = 5.0
    region_height_m: float = 2.4
    texture_mm_per_px: float = 1.0
    defects: tuple[DefectPlacement, ...] = field(default=DEFAULT_DEFECTS)
    # image degradations
    exposure_s: float = 1.0 / 500.0
    motion_blur: bool = True
    gain_jitter: float = 0.08  # +- relative exposure gain change frame to frame
    noise_sigma: float = 2.0  # sensor noise, 8-bit DN
    jpeg_quality: int = 92
    # time bases
    start_utc_s: float = 1748856600.0  # 2025-06-02T09:30:00Z, fixed so outputs are reproducible
    boot_before_start_s: float = 37.25  # the vehicle booted this long before the logged flight
    rtk: bool = True
    # Sigma (m) of a GNSS position error logged with the flight (horizontal per axis; vertical 1.5x).
    # Frames are rendered from the true poses, so only the telemetry is wrong. 0: exact telemetry.
    # The model (missions/simulator/gnss.py): "per-lane", one draw per lane, constant within it;
    # "gauss-markov", a first-order Gauss-Markov drift with correlation time gnss_correlation_s (s)
    # plus a white part of gnss_white_m (m) per 5 Hz receiver epoch, as a plain receiver errs.
    gnss_error_m: float = 0.0
    gnss_error_model: str = "per-lane"
    gnss_correlation_s: float = 300.0
    gnss_white_m: float = 0.02
    name: str = "default"

    def __post_init__(self) -> None:
        fin = math.isfinite
        # guarded and divided twice: 0 mm/px (or one whose square underflows) raised ZeroDivisionError here
        t = self.texture_mm_per_px
        texture_px = self.region_width_m * self.region_height_m * 1e6 / t / t if t > 0 else 0.0
        # Every number is checked here: NaN/inf, a zero fx_px or a negative noise ran silently or failed
        # half-way through writing the output (ZeroDivisionError, MemoryError, a .tlog struct error).
        checks = [
            (isinstance(self.seed, int) and self.seed >= 0, "seed >= 0", self.seed),
            (self.width_px >= 16 and self.height_px >= 16, "image size >= 16x16 px", f"{self.width_px}x{self.height_px}"),
            (self.width_px * self.height_px <= MAX_IMAGE_PX, f"width_px x height_px <= {MAX_IMAGE_PX / 1e6:g} MP",
             f"{self.width_px}x{self.height_px}"),
            (fin(self.fx_px) and self.fx_px > 0, "a finite fx_px > 0", self.fx_px),
            (fin(self.k1) and fin(self.k2), "finite k1, k2", (self.k1, self.k2)),
            (fin(self.standoff_m) and self.standoff_m > 0.3, "a finite standoff_m > 0.3", self.standoff_m),
            (0.0 <= self.forward_overlap < 0.95, "0 <= forward_overlap < 0.95", self.forward_overlap),
            (0.0 <= self.side_overlap < 0.95, "0 <= side_overlap < 0.95", self.side_overlap),
            (fin(self.speed_m_s) and fin(self.climb_speed_m_s) and self.speed_m_s > 0 and self.climb_speed_m_s > 0,
             "finite positive speeds (speed_m_s, climb_speed_m_s)", (self.speed_m_s, self.climb_speed_m_s)),
            (fin(self.hold_start_s) and fin(self.hold_end_s) and self.hold_start_s >= 0 and self.hold_end_s >= 0,
             "finite hold_start_s, hold_end_s >= 0", (self.hold_start_s, self.hold_end_s)),
            (0 <= self.wobble_roll_pitch_deg < 45, "0 <= wobble_roll_pitch_deg < 45", self.wobble_roll_pitch_deg),
            (0 <= self.yaw_jitter_deg < 45, "0 <= yaw_jitter_deg < 45", self.yaw_jitter_deg),
            (-90 <= self.gimbal_pitch_deg <= 90, "-90 <= gimbal_pitch_deg <= 90", self.gimbal_pitch_deg),
            (fin(self.texture_mm_per_px) and self.texture_mm_per_px > 0, "a finite texture_mm_per_px > 0",
             self.texture_mm_per_px),
            (not texture_px > MAX_TEXTURE_PX, f"a textured region of <= {MAX_TEXTURE_PX / 1e6:g} MP at "
             "texture_mm_per_px", f"{texture_px / 1e6:.4g} MP"),
            (0 <= self.exposure_s <= 1.0, "0 <= exposure_s <= 1 s", self.exposure_s),
            (0 <= self.gain_jitter < 1.0, "0 <= gain_jitter < 1", self.gain_jitter),
            (fin(self.noise_sigma) and self.noise_sigma >= 0, "a finite noise_sigma >= 0", self.noise_sigma),
            (0 <= self.boot_before_start_s <= MAX_BOOT_S, f"0 <= boot_before_start_s <= {MAX_BOOT_S:g} s",
             self.boot_before_start_s),
            (self.boot_before_start_s <= self.start_utc_s <= MAX_UTC_S,
             f"boot_before_start_s <= start_utc_s <= {MAX_UTC_S:g} (UTC s, boot after 1970)", self.start_utc_s),
            (self.region_width_m > 0 and self.region_height_m > 0, "a non-empty textured region",
             (self.region_width_m, self.region_height_m)),
            (0 <= self.region_u0_m and self.region_u0_m + self.region_width_m <= 30.0, "region inside the 30 m face",
             (self.region_u0_m, self.region_width_m)),
            (0 <= self.region_v0_m and self.region_v0_m + self.region_height_m <= 20.0, "region inside the 20 m face",
             (self.region_v0_m, self.region_height_m)),
            (1 <= self.jpeg_quality <= 100, "jpeg_quality 1..100", self.jpeg_quality),
            (fin(self.gnss_error_m) and self.gnss_error_m >= 0, "a finite gnss_error_m >= 0", self.gnss_error_m),
            (self.gnss_error_model in GNSS_ERROR_MODELS, f"gnss_error_model one of {', '.join(GNSS_ERROR_MODELS)}",
             repr(self.gnss_error_model)),
            (self.gnss_correlation_s > 0, "gnss_correlation_s > 0", self.gnss_correlation_s),
            (fin(self.gnss_white_m) and self.gnss_white_m >= 0, "a finite gnss_white_m >= 0", self.gnss_white_m),
        ]
        for ok, expected, got in checks:
            if not ok:
                raise InputError(f"SimConfig: expected {expected}, got {got}. Fix the value passed to SimConfig(...)")
        for d in self.defects:
            if d.class_name not in ("crack", "corrosion"):
                raise InputError(f"SimConfig.defects: class must be 'crack' or 'corrosion', got {d.class_name!r}")

    @classmethod
    def small(cls, seed: int = 7) -> SimConfig:
        """A tiny, fast variant for tests: 320x240 px, 1.5 mm/px GSD, 2 lanes x 3 frames."""
        return cls(seed=seed, width_px=320, height_px=240, fx_px=1000.0, standoff_m=1.5,
                   forward_overlap=0.5, side_overlap=0.5, region_u0_m=14.6, region_v0_m=6.0,
                   region_width_m=0.8, region_height_m=0.4, defects=SMALL_DEFECTS,
                   hold_start_s=1.0, hold_end_s=0.5, jpeg_quality=90, name="small")

    # --- derived numbers ---------------------------------------------------------------------
    def camera(self) -> CameraModel:
        return CameraModel(self.width_px, self.height_px, self.fx_px, self.fx_px, (self.width_px - 1) / 2.0,
                           (self.height_px - 1) / 2.0, (self.k1, self.k2, 0.0, 0.0, 0.0), f"sim_{self.name}")

    @property
    def gsd_m(self) -> float:
        """Ground sample distance at the image centre for a camera square to the face."""
        return self.standoff_m / self.fx_px

    @property
    def hfov_deg(self) -> float:
        return math.degrees(2.0 * math.atan(self.width_px / 2.0 / self.fx_px))

    @property
    def footprint_m(self) -> tuple[float, float]:
        return self.width_px * self.gsd_m, self.height_px * self.gsd_m

    @property
    def motion_blur_px(self) -> float:
        return self.speed_m_s * self.exposure_s / self.gsd_m if self.motion_blur else 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
