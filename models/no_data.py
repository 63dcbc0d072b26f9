"""Transparent pixels of a photo are no data: nothing is segmented there (``skyinspect segment``).

Orthophoto tiles from GDAL and photogrammetry tools (WebODM, Pix4D, Metashape) mark the area outside
the survey transparent, its colour black. skyinspect reads photos as BGR (skyinspect.photo drops an
alpha channel), so the model saw a black area with a hard edge: a 1600x1200 crop of a DJI Brighton
photo saved so gave 2 cracks (the longest 878 px) and 3.06 % corrosion there, the same pixels opaque
none and 0.12 %. The photo is still segmented as read; what lies in its transparent pixels is dropped.
A GeoTIFF orthomosaic often marks its no data with GDAL's nodata tag (black, no alpha band) or a GDAL
mask instead: those pixels are no data too (read with rasterio, GDAL's dataset mask).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import warnings
from pathlib import Path

import numpy as np

from models.postprocess import extract_instances
from skyinspect.pixel_cap import open_header
from skyinspect.segmentation import Segmentation


def has_transparency(path: Path) -> bool:
    """Whether the photo at ``path`` holds transparency data (an alpha channel, a transparent colour),
    from its header."""
    if _gdal_mask(path, None) is not None:
        return True
    try:
        with open_header(path) as img:  # not Image.open: its bomb guard (skyinspect.pixel_cap)
            return bool(img.has_transparency_data)
    except (OSError, ValueError, SyntaxError):
        return False


def _gdal_mask(path: Path, shape: tuple[int, ...] | None, data: bytes | None = None) -> np.ndarray | None:
    """A TIFF's GDAL no-data mask (nodata tag, internal mask or alpha), True where there is no data;
    None where it has none (or, with ``shape``, no pixel of it is no data, or it is not read as
    skyinspect.photo.read_bgr reads the photo). Without ``shape``: whether it has one, nothing read.
    ``data``: the file's bytes, read instead of the file (through GDAL's memory files)."""
    if Path(path).suffix.lower() not in (".tif", ".tiff"):
        return None
    from skyinspect.photo import exif_orientation

    try:
        import rasterio
        from rasterio.enums import MaskFlags
        from rasterio.errors import NotGeoreferencedWarning, RasterioError
        from rasterio.io import MemoryFile
    except ImportError:  # pragma: no cover - a runtime dependency; a photo without it is read as before
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a plain TIFF photo
            memory = contextlib.nullcontext() if data is None else MemoryFile(data)
            with memory as mem, (rasterio.open(path) if mem is None else mem.open()) as ds:
                if all(MaskFlags.all_valid in flags for flags in ds.mask_flag_enums):
                    return None
                if shape is None:
                    return np.zeros((0, 0), bool)
                # rasterio reads the stored pixels: a photo turned by its EXIF tag would be misplaced
                if exif_orientation(path, data) != 1 or (ds.height, ds.width) != tuple(shape[:2]):
                    return None
                missing = ds.dataset_mask() == 0  # GDAL: no data where every band is no data
    except (RasterioError, OSError, ValueError):
        return None
    return missing if missing.any() else None


def transparent_pixels(path: Path, shape: tuple[int, ...], data: bytes | None = None) -> np.ndarray | None:
    """Where the photo at ``path`` is fully transparent (alpha 0), as a bool (H, W) array oriented as
    skyinspect.photo.read_bgr gives the photo (its ``shape``); None for a photo without transparency.
    ``data``: the file's bytes, read instead of the file (those read_bgr decoded)."""
    from PIL import ImageOps

    gdal = _gdal_mask(path, shape, data)
    if gdal is not None:  # its alpha band too, where it has one
        return gdal
    try:
        with open_header(path if data is None else io.BytesIO(data)) as img:  # under the cap read_bgr checked
            if not img.has_transparency_data:  # a JPEG, an opaque PNG: decoded once only, by read_bgr
                return None
            # Pillow's TIFF reader turns the pixels by the EXIF tag and drops it, so this turns each photo once
            alpha = np.asarray(ImageOps.exif_transpose(img).convert("RGBA").getchannel("A"))
    except (OSError, ValueError, SyntaxError):  # read_bgr named what it could not read
        return None
    transparent = alpha == 0
    # an orientation read differently from read_bgr's would misplace the mask: left out rather than misplaced
    return transparent if transparent.shape == tuple(shape[:2]) and transparent.any() else None


def without_no_data(seg: Segmentation, transparent: np.ndarray, min_area: dict[int, int] | None = None) -> Segmentation:
    """``seg`` with its transparent pixels background and its instances found again on the rest (as
    models.runtime.TiledSegmenter.segment finds them, with the segmenter's ``min_area``)."""
    class_map = seg.class_map.copy()
    class_map[transparent] = 0
    instances = extract_instances(class_map, seg.confidence, min_area)
    return dataclasses.replace(seg, class_map=class_map, instances=tuple(instances))
