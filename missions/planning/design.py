"""Planning back from grading: crack width → GSD → focal length and standoff → spacing → speed.

Pixels-across rule: a crack is resolved when at least ``pixels_across_crack`` (default 2) pixels
span its width, so GSD_required = crack_width / pixels_across. Two samples across is the Nyquist
limit: any crack at least that wide darkens at least one whole pixel, which the segmenter and the
width measurement need (AASHTO MBEI defect 1130 grades 0.012 in. = 0.3048 mm as the boundary between
insignificant and moderate cracks in reinforced concrete, held exactly by aashto-mbei-1130@2; 0.3048 mm / 2 px
= 0.1524 mm/px).

Pinhole: GSD = range x pixel_pitch / focal_length. Zoom cameras fly at the preferred standoff
(site minimum + margin) with the focal length that gives the GSD (clamped to the zoom range);
prime lenses fly at the range that gives the GSD. Either way the standoff must be at least the
site's minimum, else the camera cannot reach the GSD safely and planning is refused.

Spacing: footprint x (1 - overlap), front along a pass and side between passes. Speed: the
slowest of the site limit, the motion-blur limit (blur_px x GSD / exposure) and the trigger limit
(spacing / the camera's fastest interval); the planner lowers it to the closest spacing any lane
really uses (``planner.trigger_speed_limit_m_s``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from skyinspect.errors import InputError

from missions.planning.assets import Site
from missions.planning.cameras import CameraProfile

STANDOFF_MARGIN_M = 1.0  # zoom cameras fly this much beyond the minimum standoff
# the grader's AASHTO MBEI 1130 CS1/CS2 boundary, 0.012 in. exactly (rule version 1's rounding, 0.30, was the default)
CRACK_WIDTH_MM = 0.012 * 25.4
MAX_CRACK_WIDTH_MM = 50.0  # wider is a gap or spall, or a width typed in micrometres
OPTION = {"pixels_across_crack": "--pixels-across"}  # requirement fields whose CLI option is named otherwise


@dataclass(frozen=True)
class Requirement:
    """What the inspection must deliver."""

    crack_width_mm: float = CRACK_WIDTH_MM
    pixels_across_crack: float = 2.0
    front_overlap: float = 0.70
    side_overlap: float = 0.60
    max_blur_px: float = 0.5
    exposure_s: float | None = None  # None: the camera profile's planning shutter

    def __post_init__(self) -> None:
        # inf was a "cannot convert float NaN to integer" traceback; a width in micrometres (300 for 0.3 mm)
        # planned a standoff of kilometres, refused as "does not fit one battery"
        checks = [("crack_width_mm", 0 < self.crack_width_mm <= MAX_CRACK_WIDTH_MM,
                   f"in (0, {MAX_CRACK_WIDTH_MM:g}] millimetres"),
                  ("pixels_across_crack", 1 <= self.pixels_across_crack < math.inf, "a finite number >= 1"),
                  ("front_overlap", 0 <= self.front_overlap < 0.95, "in [0, 0.95)"),
                  ("side_overlap", 0 <= self.side_overlap < 0.95, "in [0, 0.95)"),
                  ("max_blur_px", 0 < self.max_blur_px < math.inf, "a finite number > 0"),
                  ("exposure_s", self.exposure_s is None or 0 < self.exposure_s < math.inf, "a finite number > 0")]
        for key, ok, expected in checks:
            if not ok:
                raise InputError(f"requirement {key}: expected {expected}, got {getattr(self, key)!r}. "
                                 f"Fix the {OPTION.get(key, '--' + key.replace('_', '-'))} option")

    @property
    def gsd_required_m(self) -> float:
        return self.crack_width_mm / 1000.0 / self.pixels_across_crack


@dataclass(frozen=True)
class Design:
    """The numbers every pattern uses."""

    requirement: Requirement
    camera: CameraProfile
    focal_length_mm: float
    gsd_m_per_px: float  # planned, square to the surface at the standoff
    standoff_m: float  # camera to structure surface
    footprint_w_m: float
    footprint_h_m: float
    spacing_along_m: float  # between photos along a pass
    spacing_across_m: float  # between passes
    speed_m_s: float
    speed_limited_by: str  # "site", "motion blur" or "trigger interval"
    blur_px: float
    exposure_s: float

    def describe(self) -> str:
        return (f"GSD {self.gsd_m_per_px * 1000:.3f} mm/px ({self.requirement.crack_width_mm} mm crack / "
                f"{self.requirement.pixels_across_crack:g} px) with {self.camera.name} at f = "
                f"{self.focal_length_mm:.2f} mm, standoff {self.standoff_m:.2f} m, footprint "
                f"{self.footprint_w_m:.2f} x {self.footprint_h_m:.2f} m, photos every {self.spacing_along_m:.2f} m, "
                f"passes {self.spacing_across_m:.2f} m apart, {self.speed_m_s:.2f} m/s ({self.speed_limited_by}), "
                f"blur {self.blur_px:.2f} px at {self.exposure_s * 1000:.2f} ms")


def design_for(req: Requirement, camera: CameraProfile, site: Site,
               focal_length_mm: float | None = None, standoff_m: float | None = None) -> Design:
    """Derive standoff, spacing and speed; refuse when the camera cannot reach the GSD safely.

    ``standoff_m``: the standoff a zoom camera should fly (default: site minimum + margin); the
    planner asks for more when oblique views need it. Prime lenses ignore it."""
    gsd = req.gsd_required_m
    pitch_m = camera.pixel_pitch_mm / 1000.0
    if focal_length_mm is not None:
        if not camera.focal_length_mm - 1e-6 <= focal_length_mm <= camera.focal_length_max_mm + 1e-6:
            raise InputError(f"--focal-mm: expected {camera.focal_length_mm}..{camera.focal_length_max_mm} mm for "
                             f"{camera.name}, got {focal_length_mm}. Pick a focal length the lens has")
        f_mm = focal_length_mm
    elif camera.is_zoom:
        wanted_standoff = site.min_standoff_m + STANDOFF_MARGIN_M if standoff_m is None else standoff_m
        f_mm = min(max(wanted_standoff * pitch_m / gsd * 1000.0, camera.focal_length_mm), camera.focal_length_max_mm)
    else:
        f_mm = camera.focal_length_mm
    standoff = gsd * (f_mm / 1000.0) / pitch_m
    if standoff < site.min_standoff_m - 1e-9:
        raise InputError(
            f"camera {camera.name}: cannot reach GSD {gsd * 1000:.3f} mm/px ({req.crack_width_mm} mm crack, "
            f"{req.pixels_across_crack:g} px across) at the minimum standoff {site.min_standoff_m} m: at "
            f"f = {f_mm:.2f} mm it would have to fly at {standoff:.2f} m. "
            + ("Its zoom is at its longest already: grade a wider crack, or lower --pixels-across (widths then less sure)"
               if camera.is_zoom and f_mm >= camera.focal_length_max_mm - 1e-9 else
               "Use a longer focal length or a zoom camera (e.g. dji_h20_zoom), or grade a wider crack"))
    fw, fh = gsd * camera.width_px, gsd * camera.height_px
    along, across = fw * (1.0 - req.front_overlap), fh * (1.0 - req.side_overlap)
    exposure = req.exposure_s if req.exposure_s is not None else camera.exposure_s
    limits = {"site": site.max_speed_m_s, "motion blur": req.max_blur_px * gsd / exposure,
              "trigger interval": along / camera.min_trigger_interval_s}
    limited_by = min(limits, key=lambda k: limits[k])
    speed = limits[limited_by]
    return Design(req, camera, f_mm, gsd, standoff, fw, fh, along, across, speed, limited_by,
                  speed * exposure / gsd, exposure)
