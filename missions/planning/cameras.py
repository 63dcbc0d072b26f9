"""Inspection camera profiles: sensor size, resolution, focal length (range), shutter.

Profiles live in ``missions/planning/data/cameras.json`` (published maker specifications); a
custom camera is a JSON file with the same keys (``load_camera_file``). ``CameraProfile.model``
gives the project's ``CameraModel`` (ideal pinhole, square pixels assumed from the sensor pitch)
at a chosen focal length, so planning and coverage use the same projection as georeferencing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skyinspect.camera import CameraModel
from skyinspect.errors import InputError, describe

from missions.planning.asset_reader import misspelt_key_fix, read_utf8

CAMERAS_JSON = Path(__file__).with_name("data") / "cameras.json"
_KEYS = ("name", "sensor_width_mm", "sensor_height_mm", "width_px", "height_px", "focal_length_mm")


@dataclass(frozen=True)
class CameraProfile:
    name: str
    sensor_width_mm: float
    sensor_height_mm: float
    width_px: int
    height_px: int
    focal_length_mm: float  # shortest focal length (the only one for a prime lens)
    focal_length_max_mm: float = 0.0  # > focal_length_mm: optical zoom up to this
    exposure_s: float = 0.001  # shutter time assumed for the motion-blur limit
    min_trigger_interval_s: float = 1.0
    gimbal_max_up_deg: float = 30.0  # how far above level the gimbal can pitch (oblique views from below)
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        def number(v: object) -> bool:
            return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

        bad = [(k, getattr(self, k)) for k in ("sensor_width_mm", "sensor_height_mm", "width_px", "height_px",
                                               "focal_length_mm", "exposure_s", "min_trigger_interval_s")
               if not (number(getattr(self, k)) and getattr(self, k) > 0)]
        bad += [(k, getattr(self, k)) for k in ("focal_length_max_mm", "gimbal_max_up_deg")
                if not number(getattr(self, k))]
        if bad:
            raise InputError(f"camera {self.name!r}: expected positive numbers, got {bad}. Fix the camera profile")
        # a sensor size in metres or inches, or a focal length in metres, planned a standoff of kilometres and
        # was refused as "does not fit one battery"; real pixels are ~0.5-20 um, real lenses see < 170 deg
        pitch_um = self.sensor_width_mm / self.width_px * 1000.0
        if not 0.3 <= pitch_um <= 50.0:
            raise InputError(f"camera {self.name!r}: expected sensor_width_mm / width_px of 0.3-50 um a pixel, got "
                             f"{pitch_um:.3g} um ({self.sensor_width_mm} mm / {self.width_px} px). Give the sensor "
                             f"size in millimetres and the image size in pixels")
        if self.hfov_deg(self.focal_length_mm) > 170.0:
            raise InputError(f"camera {self.name!r}: expected focal_length_mm of at least "
                             f"{self.sensor_width_mm / (2 * math.tan(math.radians(85))):.2f} (under 170 deg across "
                             f"the {self.sensor_width_mm} mm sensor), got {self.focal_length_mm}. "
                             f"Give it in millimetres")
        if not 0.0 <= self.gimbal_max_up_deg <= 90.0:
            raise InputError(f"camera {self.name!r}: expected gimbal_max_up_deg in [0, 90] (degrees above level), got "
                             f"{self.gimbal_max_up_deg}. Give how far up the gimbal can look, in degrees")
        if self.focal_length_max_mm < self.focal_length_mm:
            object.__setattr__(self, "focal_length_max_mm", self.focal_length_mm)

    @property
    def pixel_pitch_mm(self) -> float:
        """Pixel pitch across the image (mm); the GSD formula uses it."""
        return self.sensor_width_mm / self.width_px

    @property
    def is_zoom(self) -> bool:
        return self.focal_length_max_mm > self.focal_length_mm * 1.001

    def fx_px(self, focal_length_mm: float) -> float:
        return focal_length_mm / self.pixel_pitch_mm

    def gsd_m(self, range_m: float, focal_length_mm: float) -> float:
        """Pinhole GSD (m/px) square to the surface: range x pixel pitch / focal length."""
        return range_m * self.pixel_pitch_mm / focal_length_mm

    def model(self, focal_length_mm: float | None = None) -> CameraModel:
        f = self.focal_length_mm if focal_length_mm is None else focal_length_mm
        fx = self.fx_px(f)
        fy = f / (self.sensor_height_mm / self.height_px)
        return CameraModel(self.width_px, self.height_px, fx, fy, (self.width_px - 1) / 2.0,
                           (self.height_px - 1) / 2.0, name=f"{self.name}@{f:.2f}mm")

    def hfov_deg(self, focal_length_mm: float) -> float:
        return math.degrees(2 * math.atan(self.sensor_width_mm / 2 / focal_length_mm))


def _from_dict(d: Any, source: object) -> CameraProfile:
    if not isinstance(d, dict) or any(k not in d for k in _KEYS):
        missing = [k for k in _KEYS if not isinstance(d, dict) or k not in d]
        raise InputError(describe(source, f"camera profile: expected keys {list(_KEYS)}, missing {missing}",
                                  f"Copy an entry of {CAMERAS_JSON.name} and edit it"))
    known = {k: d[k] for k in CameraProfile.__dataclass_fields__ if k in d}
    # a misspelt key ('exposure': 0.002) was ignored and its default used (a 1 ms shutter: half the blur limit)
    unknown = sorted(k for k in d if k not in known and not str(k).startswith("_") and k != "notes")
    if unknown:
        raise InputError(describe(source, f"camera profile {d.get('name')!r}: expected keys from "
                                  f"{list(CameraProfile.__dataclass_fields__)}, got unknown {unknown}",
                                  misspelt_key_fix(unknown[0], CameraProfile.__dataclass_fields__)))
    try:
        known["width_px"], known["height_px"] = int(known["width_px"]), int(known["height_px"])
        return CameraProfile(**known)
    except InputError as exc:  # the profile's own check: name the file too
        raise InputError(describe(source, str(exc))) from exc
    except (TypeError, ValueError) as exc:
        raise InputError(describe(source, f"camera profile {d.get('name')!r}: {exc}")) from exc


def builtin_cameras() -> dict[str, CameraProfile]:
    data = json.loads(CAMERAS_JSON.read_text(encoding="utf-8"))
    return {c["name"]: _from_dict(c, CAMERAS_JSON) for c in data["cameras"]}


def get_camera(name: str) -> CameraProfile:
    cams = builtin_cameras()
    if name not in cams:
        raise InputError(describe("--camera", f"expected one of {sorted(cams)}, got {name!r}",
                                  "Pick a listed camera or pass --camera-file with a custom profile"))
    return cams[name]


def load_camera_file(path: Path) -> CameraProfile:
    path = Path(path)
    if path.is_dir():  # was an IsADirectoryError traceback
        raise InputError(describe(path, "expected a camera profile (JSON file), got a folder",
                                  "Give the file, e.g. missions/examples/camera_upward_gimbal.json"))
    try:
        return _from_dict(json.loads(read_utf8(path, "JSON", "Save the profile as UTF-8 JSON")), path)
    except FileNotFoundError as exc:
        raise InputError(describe(path, "camera file not found")) from exc
    except json.JSONDecodeError as exc:
        raise InputError(describe(path, f"not valid JSON ({exc})")) from exc
