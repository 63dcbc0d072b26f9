"""Segment a folder (or list) of inspection photos: what `skyinspect segment` runs.

Per image it writes, at the image's own resolution: ``<stem>_mask.png`` (class ids: 0 background,
1 crack, 2 corrosion), ``<stem>_overlay.jpg`` (defects tinted on the photo) and ``<stem>.json``
(the instances: class, score, area, polygon and crack skeleton in pixels). Evaluation uses the same
``Segmenter.segment`` path, tiling included.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from skyinspect.errors import ImageError, InputError, describe
from skyinspect.segmentation import CLASS_NAMES, CORROSION, CRACK, Segmentation, Segmenter, segment_each

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")
_TINT_BGR = {CRACK: (0, 0, 255), CORROSION: (0, 200, 255)}


@dataclass(frozen=True)
class SegmentedImage:
    source: Path
    instances: int
    pixels_by_class: dict[str, int]


def list_images(inputs: Iterable[Path]) -> list[Path]:
    """Expand folders into their images (sorted); refuse an empty selection."""
    images: list[Path] = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            images += sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif item.is_file():
            images.append(item)
        else:
            raise InputError(describe(item, "no such file or folder"))
    if not images:
        raise InputError(describe(", ".join(str(p) for p in inputs), "no images found",
                                  f"expected files ending in {', '.join(IMAGE_SUFFIXES)}"))
    return images


def read_bgr(path: Path, orient: bool = True) -> np.ndarray:
    """A photo as uint8 BGR, the way viewers show it and the rest of skyinspect reads frames
    (``cv2.IMREAD_COLOR``): EXIF orientation applied, a grey photo (mono cameras, many crack data
    sets) as three equal channels, an alpha channel dropped. Refused with the fix: a file that does
    not decode, and a depth other than 8 bits (a 16-bit or float image has no one right conversion:
    its useful range is the user's to choose). ``orient=False``: the stored pixels, EXIF orientation
    not applied (a mask drawn on those, models.labelled)."""
    # ANYDEPTH | ANYCOLOR: as IMREAD_COLOR (orientation, no alpha) but keeps the depth and a single
    # channel, so that they can be checked; IMREAD_UNCHANGED would ignore the EXIF orientation
    flags = cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR | (0 if orient else cv2.IMREAD_IGNORE_ORIENTATION)
    image = cv2.imread(str(path), flags)
    if image is None:
        raise ImageError(describe(path, "cannot be decoded as an image"))
    if image.dtype != np.uint8:
        raise ImageError(describe(path, f"expected an 8-bit image, got {image.dtype}",
                                  "convert it to 8-bit RGB first"))
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return image[:, :, :3]


def overlay(image_bgr: np.ndarray, seg: Segmentation, alpha: float = 0.5) -> np.ndarray:
    out = image_bgr.copy()
    for class_id, colour in _TINT_BGR.items():
        mask = seg.class_map == class_id
        out[mask] = (out[mask] * (1 - alpha) + np.array(colour) * alpha).astype(np.uint8)
    return out


def instances_json(seg: Segmentation, source: Path, flips: int = 1) -> dict[str, object]:
    return {"source": str(source), "model_id": seg.model_id, "flips": flips,
            "height_px": seg.shape[0], "width_px": seg.shape[1],
            "instances": [{"class": CLASS_NAMES[i.class_id], "score": round(float(i.score), 4),
                           "area_px": float(i.area_px), "polygon_px": np.round(i.polygon_px, 1).tolist(),
                           "skeleton_px": None if i.skeleton_px is None else np.round(i.skeleton_px, 1).tolist()}
                          for i in seg.instances]}


def check_images(images: list[Path]) -> None:
    """Decode and check every image up front, so a bad file stops the run before anything is written."""
    for path in images:
        read_bgr(path)


def segment_images(images: list[Path], out: Path, segmenter: Segmenter, checked: bool = False,
                   on_done: Callable[[SegmentedImage], None] | None = None) -> list[SegmentedImage]:
    """Segment every image into ``out`` (checking them all first unless ``checked``), with the
    segmenter's parallel workers where it has them; ``on_done`` after each image (progress)."""
    if not checked:
        check_images(images)
    out.mkdir(parents=True, exist_ok=True)
    done: list[SegmentedImage] = []
    loaded: deque[np.ndarray] = deque()  # decoded once, for the model and then the overlay, in order

    def load(path: Path) -> np.ndarray:
        loaded.append(read_bgr(path))
        return loaded[-1]

    for path, seg in segment_each(segmenter, images, load):
        image = loaded.popleft()
        if isinstance(seg, Exception):
            raise seg
        stem = path.stem
        cv2.imwrite(str(out / f"{stem}_mask.png"), seg.class_map)
        cv2.imwrite(str(out / f"{stem}_overlay.jpg"), overlay(image, seg), [cv2.IMWRITE_JPEG_QUALITY, 90])
        (out / f"{stem}.json").write_text(json.dumps(instances_json(seg, path, getattr(segmenter, "flips", 1))))
        counts = np.bincount(seg.class_map.ravel(), minlength=len(CLASS_NAMES))
        done.append(SegmentedImage(path, len(seg.instances),
                                   {name: int(counts[i]) for i, name in enumerate(CLASS_NAMES)}))
        if on_done is not None:
            on_done(done[-1])
    return done
