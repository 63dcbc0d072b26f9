"""Camera intrinsics estimated from a photo's own metadata, for photo folders without a calibration.

A folder of drone photos usually arrives without an OpenCV calibration file. Rather than refuse,
the onboard replay can start from what the photo says about its lens, taking the first of:

1. DJI XMP ``drone-dji:CalibratedFocalLength`` (pixels) and ``CalibratedOpticalCenterX/Y``: the
   maker's per-unit calibration, written by enterprise aircraft (Phantom 4 RTK, Mavic 3 Enterprise, M30);
2. EXIF ``FocalLength`` (mm) with ``FocalPlaneXResolution`` / ``FocalPlaneResolutionUnit``
   (pixels per unit length on the sensor);
3. EXIF ``FocalLength`` (mm) with the sensor width of a known camera model (EXIF ``Model``,
   ``SENSOR_WIDTH_MM``: makers' specifications, nominal optical format), of which a photo as tall as the
   sensor's full resolution (``SENSOR_PIXELS``) but narrower spans its share;
4. EXIF ``FocalLengthIn35mmFilm``: the focal length giving the same diagonal field of view on a
   36x24 mm frame (43.27 mm diagonal), applied to the image's own diagonal. The least exact: makers
   differ in which image they quote it for (a 16:9 crop of a 4:3 sensor comes out ~10 % short).

Pixel values quoted for the original resolution are scaled to the decoded image's width. None of
these gives lens distortion (it is set to zero) or a measured principal point (the image centre,
except in 1.), so positions near the frame edges and sizes can be off by a few per cent: the result
says how it was made, and the CLI warns. Calibrate the camera (OpenCV checkerboard) for millimetres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from skyinspect.camera import CameraModel
from skyinspect.errors import CalibrationError, ImageError, describe
from skyinspect.pixel_cap import open_header, refuse_over_cap  # not Image.open: skyinspect.pixel_cap

_EXIF_IFD = 0x8769
_MODEL, _FOCAL, _FOCAL_35 = 0x0110, 0x920A, 0xA405
_PLANE_X_RES, _PLANE_UNIT, _EXIF_WIDTH, _EXIF_HEIGHT = 0xA20E, 0xA210, 0xA002, 0xA003
_UNIT_MM = {2: 25.4, 3: 10.0, 4: 1.0, 5: 0.001}  # FocalPlaneResolutionUnit: inch, cm, mm, um
DIAGONAL_35MM_MM = math.hypot(36.0, 24.0)

# Sensor width (mm) of cameras identified by their EXIF Model, from the makers' specifications.
SENSOR_WIDTH_MM: dict[str, float] = {
    "FC300S": 6.17, "FC300X": 6.17,  # Phantom 3 Professional / Advanced, 1/2.3"
    "FC330": 6.17,  # Phantom 4, 1/2.3"
    "FC220": 6.17,  # Mavic Pro, 1/2.3"
    "FC6310": 13.2, "FC6310S": 13.2, "FC6310R": 13.2,  # Phantom 4 Pro / Pro V2.0 / RTK, 1"
    "L1D-20c": 13.2,  # Mavic 2 Pro (Hasselblad), 1"
    "M3E": 17.3,  # Mavic 3 Enterprise wide, 4/3
}
# Their full resolution (px), the makers' largest photo size: a photo as tall but narrower is that many of
# the sensor's columns (the Phantom 4 Pro's and Mavic 2 Pro's 4:3 mode, 4864x3648 of a 5472x3648 3:2 sensor).
SENSOR_PIXELS: dict[str, tuple[int, int]] = {
    "FC300S": (4000, 3000), "FC300X": (4000, 3000), "FC330": (4000, 3000), "FC220": (4000, 3000),
    "FC6310": (5472, 3648), "FC6310S": (5472, 3648), "FC6310R": (5472, 3648), "L1D-20c": (5472, 3648),
    "M3E": (5280, 3956),
}


@dataclass(frozen=True)
class ExifIntrinsics:
    camera: CameraModel
    method: str  # how the focal length was obtained (for the warning and the record)


def camera_from_exif(path: Path) -> ExifIntrinsics:
    """Intrinsics of ``path``'s camera at the decoded image's size (module doc); CalibrationError
    naming the file when its metadata has no focal length to work from."""
    from onboard.telemetry.dji import read_xmp

    path = Path(path)
    try:
        with open_header(path) as img:
            width, height = img.size
            refuse_over_cap(path, width, height)  # before the EXIF, which a damaged file may lack
            exif = img.getexif()
            sub = dict(exif.get_ifd(_EXIF_IFD))
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError) as exc:
        raise CalibrationError(describe(path, f"cannot read the image's metadata ({exc})")) from exc
    try:
        xmp = read_xmp(path.read_bytes())
    except OSError:
        xmp = {}
    model = str(exif.get(_MODEL, "")).strip("\x00 ")
    original_w = _number(sub.get(_EXIF_WIDTH)) or float(width)
    original_h = _number(sub.get(_EXIF_HEIGHT)) or float(height)
    scale = width / original_w if original_w > 0 else 1.0
    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0

    def camera(fx: float, method: str, centre: tuple[float, float] = (cx, cy)) -> ExifIntrinsics:
        return ExifIntrinsics(CameraModel(width, height, fx, fx, centre[0], centre[1],
                                          name=f"{model or 'camera'}, intrinsics estimated from EXIF, no distortion"),
                              method)

    f_cal = _number(xmp.get("CalibratedFocalLength"))
    if f_cal:
        ox, oy = _number(xmp.get("CalibratedOpticalCenterX")), _number(xmp.get("CalibratedOpticalCenterY"))
        centre = (ox * scale, oy * scale) if ox and oy else (cx, cy)
        return camera(f_cal * scale, f"DJI XMP CalibratedFocalLength {f_cal:g} px", centre)
    focal_mm = _number(sub.get(_FOCAL))
    per_unit, unit_mm = _number(sub.get(_PLANE_X_RES)), _UNIT_MM.get(int(_number(sub.get(_PLANE_UNIT)) or 0))
    if focal_mm and per_unit and unit_mm:
        return camera(focal_mm * per_unit / unit_mm * scale,
                      f"EXIF FocalLength {focal_mm:g} mm and FocalPlaneXResolution")
    if focal_mm and model in SENSOR_WIDTH_MM:
        sensor_mm, (cols, rows) = SENSOR_WIDTH_MM[model], SENSOR_PIXELS.get(model, (0, 0))
        if 0 < original_w < cols and round(original_h) == rows:  # the full height, the width cropped
            imaged_mm = sensor_mm * original_w / cols
            return camera(focal_mm * width / imaged_mm,
                          f"EXIF FocalLength {focal_mm:g} mm on {imaged_mm:.2f} mm of the {sensor_mm:g} mm wide sensor "
                          f"of a {model} (a photo {original_w:.0f} of its {cols} px wide)")
        return camera(focal_mm * width / sensor_mm,
                      f"EXIF FocalLength {focal_mm:g} mm on the {sensor_mm:g} mm wide sensor of a {model}")
    f35 = _number(sub.get(_FOCAL_35))
    if f35:
        return camera(f35 * math.hypot(width, height) / DIAGONAL_35MM_MM,
                      f"EXIF FocalLengthIn35mmFilm {f35:g} mm over the image diagonal")
    raise CalibrationError(describe(path, "no calibration given and the photo's metadata has no focal length "
                                          f"to estimate one from (EXIF model {model or 'unknown'!r})",
                                    "Pass --camera CALIB.yaml (OpenCV FileStorage with camera_matrix, "
                                    "distortion_coefficients, image_width, image_height)"))


def _number(value: object) -> float:
    """A positive finite number from an EXIF rational, int, float or string; 0.0 otherwise."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return 0.0
    return x if math.isfinite(x) and x > 0 else 0.0
