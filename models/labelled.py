"""A user's own labelled photos: a folder of images and a folder of masks, paired and read for
``skyinspect model eval --images DIR --masks DIR`` (models/evaluate.py).

An asset owner who has labelled some of their own inspection photos wants to know how the model does
on *their* structures before trusting it; the shipped sets (models.evaluate.SETS) say how it does on
public ones. Masks come in the shapes public data sets and labelling tools write them:

- pairing: a mask has the image's stem, with any image suffix, or the stem plus ``_mask``, ``_label``,
  ``_gt`` or ``_GT`` (PNG preferred when several match); masks may lie beside their images (such a
  file is not taken for an image);
- ``mask_class`` "crack" or "corrosion": a binary mask of that class, 0/255 (JPEG noise tolerated:
  above half the range is the class), 0/1 or any two values (the higher is the class); a colour mask
  by its brightest channel; class ids 0/1/2 are refused (``ids`` scores them);
- a mask painted on a transparent layer (an RGBA PNG, or an indexed one with transparency, whose
  colour is one throughout, or mostly transparent): its opaque pixels are the class; a palette PNG coloured by class (labelme's label.png,
  Pascal VOC's): its indices are the class ids, 255 (VOC's void border) scored nowhere;
- ``mask_class`` "ids": class ids as ``skyinspect segment`` writes them (0 background, 1 crack,
  2 corrosion), both classes scored;
- size: a mask drawn on the stored pixels of a photo with an EXIF orientation (its size is the
  unrotated one) is turned as the photo is shown, and scored against the photo as ``segment`` reads
  it; a mask at another resolution with the same aspect ratio is resized (nearest) to the image;
  any other size is refused.
- no data: a photo's transparent pixels (or a GeoTIFF's GDAL no data) are scored nowhere, in
  prediction or truth (marked ``NO_DATA`` in the truth), as ``skyinspect segment`` finds nothing
  there (models/no_data.py): labels drawn there counted as misses, and what the model saw there as
  false alarms, on an orthophoto tile segment would not report them for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models.no_data import transparent_pixels
from models.photo_checks import check_images
from models.photo_inputs import IMAGE_SUFFIXES, photos_in_subfolders, subfolder_counts
from skyinspect.errors import InputError, describe
from skyinspect.pixel_cap import check_image_header, open_header
from skyinspect.photo import (QUARTER_TURNS, SHOWN_FROM_STORED, cv_imread, exif_orientation, is_listed, read_bgr,
                              read_file_bytes)
from skyinspect.segmentation import CLASS_NAMES, CORROSION, CRACK

MASK_CLASSES: dict[str, tuple[int, ...]] = {"crack": (CRACK,), "corrosion": (CORROSION,), "ids": (CRACK, CORROSION)}
MASK_SUFFIXES = ("_mask", "_label", "_gt", "_GT")
NO_DATA = 255  # truth value of a photo's no-data pixels: scored nowhere (models.evaluate.score_set)
VOC_VOID = 255  # a palette mask's index for void (Pascal VOC: a label's uncertain border), scored nowhere


@dataclass(frozen=True)
class LabelledExample:
    stem: str
    image: Path
    mask: Path


def pair_masks(images: Path, masks: Path) -> list[LabelledExample]:
    """Every image in ``images`` with its mask in ``masks`` (module doc), sorted by name; refuses an
    empty folder and an image without a mask (naming both, and where it looked)."""
    for folder, what in ((images, "images"), (masks, "masks")):
        if not Path(folder).is_dir():  # a file given for the folder was called one that "does not exist"
            raise InputError(describe(folder, f"expected the {what} folder, got a file" if Path(folder).is_file()
                                      else f"the {what} folder does not exist",
                                      f"pass the folder holding the {what} (--{what})"))
    files = _listed(Path(masks))
    by_stem: dict[str, list[Path]] = {}
    for f in files:
        by_stem.setdefault(f.stem, []).append(f)
    pictures = _listed(Path(images))
    stems = {p.stem for p in pictures}
    beside = _masks_of_the_same_name(pictures) if Path(images).resolve() == Path(masks).resolve() else set()
    examples = []
    for img in pictures:
        if img in beside or any(img.stem.endswith(s) and img.stem[:-len(s)] in stems for s in MASK_SUFFIXES):
            continue  # a mask beside its image
        found = [m for name in (img.stem, *(img.stem + s for s in MASK_SUFFIXES))
                 for m in by_stem.get(name, []) if m.resolve() != img.resolve()]
        if not found:
            names = {n.casefold() for n in (img.stem, *(img.stem + s for s in MASK_SUFFIXES))}
            near = [m.name for m in files if m.stem.casefold() in names and m.resolve() != img.resolve()]
            raise InputError(describe(img, f"no mask for this image in {masks}"  # a case-blind disk paired them
                                      + (f" ({', '.join(near)} differs from it in case only)" if near else ""),
                                      f"name it {img.stem}.png or {img.stem}_mask.png"))
        found.sort(key=lambda m: (m.stem != img.stem and m.stem != img.stem + "_mask", m.suffix.lower() != ".png"))
        other = next((e for e in examples if e.mask == found[0]), None)
        if other is not None:  # a.jpg and a.png, photos both: a mask named by stem is either's
            raise InputError(describe(img, f"{other.image.name} and {img.name} would both be scored against "
                                           f"{found[0]}, a mask named by their one stem",
                                      "rename one of the two photos (and give it its own mask), or move it out"))
        examples.append(LabelledExample(img.stem, img, found[0]))
    if not examples:
        below = photos_in_subfolders([Path(images)])  # a data set's images/train, images/val
        if below:
            raise InputError(describe(images, f"no images found; it holds {sum(below.values())} photo(s) in "
                                              f"subfolders: {subfolder_counts(below)}",
                                      "pass one of those folders as --images (and its masks' as --masks)"))
        raise InputError(describe(images, "no images found", f"expected files ending in {', '.join(IMAGE_SUFFIXES)}"))
    return examples


def _listed(folder: Path) -> list[Path]:
    """A folder's images, sorted; hidden files left out (macOS's ._NAME.JPG beside each photo is no image),
    a broken link kept (refused by name when read, not left out without a word)."""
    return sorted(p for p in folder.iterdir() if is_listed(p) and p.suffix.lower() in IMAGE_SUFFIXES
                  and not p.name.startswith("."))


def _masks_of_the_same_name(pictures: list[Path]) -> set[Path]:
    """In one folder of photos and masks, the masks named as their photo (``a.jpg`` and its mask
    ``a.png``): the PNG of each such pair. Without this each of the two was scored as the other's
    mask, the mask as a photo too; two files of one name that are not a photo and a PNG are refused."""
    by_stem: dict[str, list[Path]] = {}
    for p in pictures:
        by_stem.setdefault(p.stem, []).append(p)
    masks = set()
    for group in (g for g in by_stem.values() if len(g) > 1):
        pngs = [p for p in group if p.suffix.lower() == ".png"]
        if len(group) != 2 or len(pngs) != 1:
            raise InputError(describe(group[0], f"{' and '.join(p.name for p in group)} share a name in one folder: "
                                                "which is the photo and which its mask cannot be told",
                                      f"name the mask {group[0].stem}_mask.png, or put the masks in a folder of "
                                      "their own (--masks)"))
        masks.add(pngs[0])
    return masks


def classes_of(mask_class: str) -> tuple[int, ...]:
    """The class ids masks of ``mask_class`` mark (module doc); refuses an unknown kind."""
    if mask_class not in MASK_CLASSES:
        raise InputError(describe("--mask-class", f"expected one of {', '.join(MASK_CLASSES)}, got {mask_class!r}"))
    return MASK_CLASSES[mask_class]


def read_labelled(example: LabelledExample, mask_class: str) -> tuple[np.ndarray, np.ndarray]:
    """(BGR image, uint8 truth of class ids at the image's size, ``NO_DATA`` where the photo has none)
    of one example (module doc)."""
    truth = _truth(example, mask_class)
    data = read_file_bytes(example.image)  # both from the bytes, as segment reads them (models/batch.py)
    image = read_bgr(example.image, data=data)
    missing = transparent_pixels(example.image, image.shape, data)  # as segment reads it: oriented as shown
    if truth.shape != image.shape[:2]:
        orientation = exif_orientation(example.image, data)
        if _fit(example, truth.shape, image.shape[:2], _stored_shape(image.shape[:2], orientation)) == "stored":
            # drawn on the stored pixels, before the EXIF orientation (a quarter turn: shapes differ): turned
            # as the photo is shown, for the photo is scored as segment segments it, and the model is not
            # rotation-invariant (segmenting the stored pixels scored what segment never outputs)
            truth = np.ascontiguousarray(SHOWN_FROM_STORED[orientation](truth))
        else:
            truth = cv2.resize(truth, image.shape[1::-1], interpolation=cv2.INTER_NEAREST)
    if missing is not None:
        truth = truth.copy()
        truth[missing] = NO_DATA
    return image, truth


def check_labelled(examples: list[LabelledExample], mask_class: str) -> None:
    """Every mask read and checked against its photo's size before any photo is segmented: a mask of
    the wrong size or values was refused only when the evaluation reached it, after segmenting the
    photos before it (with segment's passes, ~70 s a 9-MPx drone photo on 2 cores). The photos are decoded once, as
    segment checks its photos (a photo cut short was refused only when reached), every bad one named
    at once; that decode gives each photo's size."""
    sizes = check_images([e.image for e in examples])
    for example, shown in zip(examples, sizes):
        truth = _truth(example, mask_class)
        _fit(example, truth.shape, shown, _stored_shape(shown, exif_orientation(example.image)))


def _truth(example: LabelledExample, mask_class: str) -> np.ndarray:
    classes_of(mask_class)
    check_image_header(example.mask)  # Pillow decodes it below: not past the cap (skyinspect.pixel_cap)
    mask = _palette_ids(example.mask)
    void = None
    if mask is not None and (mask == VOC_VOID).any():  # Pascal VOC's uncertain borders: scored nowhere
        void = mask == VOC_VOID
        mask = np.where(void, 0, mask).astype(np.uint8)
    if mask is None:
        mask = _opaque_strokes(example.mask)
    if mask is None:
        mask = cv_imread(example.mask, cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR)
    if mask is None:
        raise InputError(describe(example.mask, "cannot be decoded as an image"))
    truth = _class_ids(mask, mask_class, example.mask)
    if void is not None:
        truth = truth.copy()
        truth[void] = NO_DATA
    return truth


def _opaque_strokes(path: Path) -> np.ndarray | None:
    """A mask painted on a transparent layer (GIMP, Photoshop, Krita) as 0/255, 255 where it is opaque,
    when its colour says nothing (one colour throughout: GIMP zeroes a transparent pixel's colour, so a
    black brush left a mask black everywhere, an empty truth) or most of it is transparent; None for any
    other mask (its colour read as before). Decoded under the pixel cap the caller checked."""
    from PIL import ImageOps

    try:
        with open_header(path) as img:  # not Image.open: its bomb guard (skyinspect.pixel_cap)
            if not img.has_transparency_data:  # a palette's too (PNG-8): one left here is of greys (_palette_ids)
                return None
            rgba = np.asarray(ImageOps.exif_transpose(img).convert("RGBA"))  # oriented as cv_imread orients masks
    except (OSError, ValueError, SyntaxError):
        return None  # left to cv_imread, which names what it cannot read
    opaque = rgba[..., 3] >= 128
    if opaque.all() or not opaque.any():
        return None
    colour = rgba[..., :3]
    if not ((colour == colour[:1, :1]).all() or opaque.mean() < 0.5):
        return None
    return opaque.astype(np.uint8) * np.uint8(255)


def _palette_ids(path: Path) -> np.ndarray | None:
    """A palette mask coloured by class (labelme's label.png, Pascal VOC's): its indices, which are the
    class ids. Decoded to colour, labelme's crack (128, 0, 0) and rust (0, 128, 0) were one brightness:
    refused under ``ids`` as a colour mask, merged under ``crack``. None for any other mask, and for a
    palette of greys (a grey mask an optimiser saved as a palette: its grey levels are the mask). Decoded
    under the pixel cap the caller checked."""
    from PIL import ImageOps

    try:
        with open_header(path) as img:  # not Image.open: its bomb guard (skyinspect.pixel_cap)
            if img.mode != "P":
                return None
            indices = np.asarray(ImageOps.exif_transpose(img))  # oriented as cv_imread orients masks
            palette = np.asarray(img.getpalette() or [0, 0, 0], np.uint8).reshape(-1, 3)
    except (OSError, ValueError, SyntaxError):
        return None  # left to cv_imread, which names what it cannot read
    used = np.unique(indices)
    colours = palette[used[used < len(palette)]]
    return None if (colours == colours[:, :1]).all() else indices


def _stored_shape(shown_hw: tuple[int, int], orientation: int) -> tuple[int, int]:
    """(height, width) of the photo as stored, from its size as shown and its EXIF ``orientation`` tag
    (nothing decoded): a TIFF, whose header Pillow reads already turned, was decoded twice more here."""
    h, w = shown_hw
    return (w, h) if orientation in QUARTER_TURNS else (h, w)


def _fit(example: LabelledExample, mask_hw: tuple[int, ...], shown_hw: tuple[int, ...],
         stored_hw: tuple[int, ...]) -> str:
    """How the mask covers its photo: "shown", "stored" (drawn before the EXIF orientation) or
    "resize" (another resolution of the same picture); refused otherwise."""
    if tuple(mask_hw) == tuple(shown_hw):
        return "shown"
    if tuple(mask_hw) == tuple(stored_hw):
        return "stored"
    (h, w), (mh, mw) = shown_hw, mask_hw
    if abs(mh * w - mw * h) > max(h, w):  # not the same picture at another resolution
        raise InputError(describe(example.mask, f"mask is {mw}x{mh} px, its image {example.image.name} {w}x{h}",
                                  "masks must cover their image (any resolution of the same aspect ratio)"))
    return "resize"


def _class_ids(mask: np.ndarray, mask_class: str, path: Path) -> np.ndarray:
    """The mask as uint8 class ids (0 background)."""
    if mask.ndim == 3:
        if mask_class == "ids" and not (mask == mask[:, :, :1]).all():
            raise InputError(describe(path, "expected class ids in one channel, got a colour mask",
                                      "write the ids (0 background, 1 crack, 2 corrosion) as a grey PNG, or "
                                      "score a binary mask with --mask-class crack or corrosion"))
        mask = mask.max(axis=2)  # a colour-coded binary mask (a palette PNG decodes to colour)
    if mask_class == "ids":
        values = np.unique(mask)
        if values.max() >= len(CLASS_NAMES):
            raise InputError(describe(path, f"expected class ids 0-{len(CLASS_NAMES) - 1}, got values "
                                            f"{', '.join(str(v) for v in values[:8])}{' ...' if len(values) > 8 else ''}",
                                      "a binary mask (0/255) of one class: --mask-class crack or corrosion"))
        return mask.astype(np.uint8)
    values = np.unique(mask)
    if mask.max() <= 1:
        on = mask > 0  # 0/1
    elif len(values) == 2:  # two values, whatever they are (0/100, 0/255, 0/65535): the higher marks the class
        on = mask == values[1]
    elif len(values) <= len(CLASS_NAMES) and values.max() < len(CLASS_NAMES):
        # 0/1/2 under a binary class: ids as `segment` writes them; above half the range they would all be
        # background, and the photo scored against an empty truth without a word
        raise InputError(describe(path, f"expected a binary {mask_class} mask (0/255 or 0/1), got values "
                                        f"{', '.join(str(v) for v in values)}: class ids, as `skyinspect segment` "
                                        "writes them",
                                  "score class-id masks with --mask-class ids"))
    else:  # 0/255 (or 0/65535), JPEG noise around both
        half = (np.iinfo(mask.dtype).max if mask.dtype.kind in "ui" else float(mask.max())) / 2
        on = mask > half
        if not on.any() and mask.max() > half / 4:  # more than JPEG noise around 0, and nothing counted
            # a mask resized with smoothing (an editor's bilinear/bicubic) greys its thin lines below half:
            # the photo was scored as having no crack at all, its labels read as background
            raise InputError(describe(path, f"expected a binary {mask_class} mask (0/255 or 0/1), got values "
                                            f"0-{mask.max()} with none above half the range ({half:g}): "
                                            f"its {np.count_nonzero(mask)} marked pixels would all count as "
                                            "background (a mask resized with smoothing turns thin lines grey)",
                                      "resize masks with nearest-neighbour interpolation, or threshold this one "
                                      "at its own level (e.g. above 0) and save it as 0/255"))
    return on.astype(np.uint8) * np.uint8(MASK_CLASSES[mask_class][0])
