"""Which files of the inputs ``skyinspect segment`` (models/batch.py) takes for photos: a folder's own
images (sorted; hidden files, an earlier run's masks and overlays left out), files named one by one
(the shell's ``card/*``), and what is left out with a note: photos in formats not read here, files
that are no images, photos in subfolders. Outputs are named by stem, so two photos of one name are
refused here, before anything is decoded."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from skyinspect.errors import InputError, describe
from skyinspect.photo import UNREAD_FORMATS, is_listed

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp")
# photos a folder may hold that are not read here (phones' HEIC, camera raw beside DJI JPEGs): left out
# of a folder with a note saying so; an iPhone folder of HEIC and two JPEGs was "segmented 2 images"
OTHER_PHOTO_SUFFIXES = (*UNREAD_FORMATS, ".avif", ".gif", ".jp2")


def list_images(inputs: Iterable[Path]) -> list[Path]:
    """Expand folders into their images (sorted); refuse an empty selection."""
    images: list[Path] = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            # hidden files left out (macOS's ._NAME.JPG metadata beside each photo is no image), and folders
            images += sorted(p for p in item.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and is_listed(p)
                             and not p.name.startswith(".") and not is_segment_output(p))
        elif item.is_file():
            # an earlier run's mask or overlay named one by one (the shell's out/*) is left out as in a folder
            if _named_kind(item) == "image" and not is_segment_output(item):
                images.append(item)
        else:
            raise InputError(describe(item, "no such file or folder"))
    if not images:
        below, other, outputs = photos_in_subfolders(inputs), left_out_photos(inputs), earlier_outputs(inputs)
        if outputs and not other:  # out/* alone: said for what they are, not "no images"
            raise InputError(describe(", ".join(str(p) for p in inputs), f"no images found, only {len(outputs)} "
                                      "output(s) of an earlier skyinspect segment run (masks, overlays beside "
                                      "their JSON record), which are not segmented as photos",
                                      "name the photos themselves (or their folder)"))
        if other:  # a phone's folder of HEIC photos: the note a folder with one JPEG in it gets
            raise InputError(describe(", ".join(str(p) for p in inputs), "no images found, only "
                                      f"{', '.join(f'{n} {s}' for s, n in sorted(other.items()))} file(s), which are "
                                      "not read here", "convert them to JPEG or PNG to segment them"))
        raise InputError(describe(", ".join(str(p) for p in inputs), "no images found"
                                  + (f"; it holds {sum(below.values())} photo(s) in subfolders: "
                                     f"{subfolder_counts(below)}" if below else ""),
                                  "pass those folders (one --out each if their photos' names repeat)" if below
                                  else f"expected files ending in {', '.join(IMAGE_SUFFIXES)}"))
    first: dict[Path, Path] = {}
    for p in images:  # a file named twice is segmented once
        first.setdefault(p.resolve(), p)
    images = list(first.values())
    by_name: dict[str, Path] = {}
    for path in images:  # outputs are named by stem: two photos of one stem would overwrite each other
        other = by_name.setdefault(path.stem.casefold(), path)
        if other is not path:
            raise InputError(describe(path, f"has the same name as {other}: both would write {path.stem}_mask.png",
                                      "segment the two into separate --out folders (DJI cameras restart "
                                      "their numbering on every card)"))
    return images


def is_segment_output(path: Path) -> bool:
    """A mask or overlay ``segment`` wrote (``<stem>_mask.png`` / ``<stem>_overlay.jpg`` beside the photo's
    ``<stem>.json``): an earlier run's --out named among the photos (the shell's ``photos/*``) had its masks
    and overlays segmented as photos. A user's own mask beside a photo has no such record and stays."""
    name = path.name
    for suffix in ("_mask.png", "_overlay.jpg", "_mask.tif"):
        if name.endswith(suffix):
            return path.with_name(name[:-len(suffix)] + ".json").is_file()
    return False


def earlier_outputs(inputs: Iterable[Path]) -> list[Path]:
    """The files named among ``inputs`` that are an earlier run's outputs (``is_segment_output``):
    ``list_images`` leaves them out."""
    return [p for p in (Path(i) for i in inputs) if p.is_file() and is_segment_output(p)]


def _named_kind(path: Path) -> str:
    """What a file named among the inputs (the shell's ``card/*``) is taken for, as a folder's files are:
    "image" (an image suffix, or none Pillow does not recognise: a browser's .jfif), "other photo" (a
    format not read here, OTHER_PHOTO_SUFFIXES) or "not image" (a video, its .SRT, Thumbs.db). Every file
    was taken: an .SRT beside its photo was refused as 'the same name', an .MP4 as 'cannot be decoded'."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in OTHER_PHOTO_SUFFIXES:
        return "other photo"
    from skyinspect.pixel_cap import open_header  # not Image.open: its bomb guard warned of, or refused, a large one

    try:
        with open_header(path):
            return "image"
    except (OSError, ValueError, SyntaxError):  # UnidentifiedImageError is an OSError
        return "not image"


def left_out_photos(inputs: Iterable[Path]) -> dict[str, int]:
    """How many photos of each suffix that is not read here (OTHER_PHOTO_SUFFIXES) the folders among
    ``inputs`` hold, or are among them: ``list_images`` leaves them out."""
    counts: dict[str, int] = {}
    for item in (Path(i) for i in inputs):
        files = [p for p in item.iterdir() if not p.name.startswith(".")] if item.is_dir() else [item]
        for p in files:
            if p.suffix.lower() in OTHER_PHOTO_SUFFIXES and p.is_file():
                counts[p.suffix.lower()] = counts.get(p.suffix.lower(), 0) + 1
    return counts


def left_out_files(inputs: Iterable[Path]) -> list[Path]:
    """The files named among ``inputs`` that are not images (``_named_kind``): ``list_images`` leaves them out."""
    return [p for p in (Path(i) for i in inputs) if p.is_file() and _named_kind(p) == "not image"]


def photos_in_subfolders(inputs: Iterable[Path], out: Path | None = None) -> dict[Path, int]:
    """Photos below each folder among ``inputs``, by subfolder: ``list_images`` reads a folder's own
    photos only (outputs are named by stem, and a card's 100MEDIA, 101MEDIA restart their numbering),
    so these are left out, and said to be. Not counted: hidden folders, ``out`` and an earlier run's
    outputs (a folder holding segment's summary.csv) inside the folder."""
    from models.photo_summary import CSV_NAME  # lazy: photo_summary loads OpenCV

    inputs = [Path(i) for i in inputs]
    # a subfolder (or photo) named among the inputs too is segmented, not left out: `segment card
    # card/flight1` was told flight1's photos were left out while it segmented them
    named_dirs = {i.resolve() for i in inputs if i.is_dir()}
    named_files = {i.resolve() for i in inputs if i.is_file()}

    def photos_below(folder: Path) -> int:
        n = 0
        for p in folder.iterdir():
            if p.is_dir():  # a link to a folder not followed (rglob's way): a link to its parent loops
                n += 0 if p.is_symlink() or p.resolve() in named_dirs else photos_below(p)
            elif p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file() \
                    and not is_segment_output(p) and p.resolve() not in named_files:
                n += 1
        return n

    counts: dict[Path, int] = {}
    for item in inputs:
        if not item.is_dir():
            continue
        for sub in sorted(item.iterdir()):
            if not sub.is_dir() or sub.name.startswith(".") or (sub / CSV_NAME).is_file() \
                    or (out is not None and sub.resolve() == Path(out).resolve()) or sub.resolve() in named_dirs:
                continue
            n = photos_below(sub)
            if n:
                counts[sub] = n
    return counts


def subfolder_counts(counts: dict[Path, int]) -> str:
    """'flight1 (2), flight2 (22)': what ``photos_in_subfolders`` found."""
    return ", ".join(f"{p.name} ({n})" for p, n in counts.items())
