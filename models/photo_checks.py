"""Checks of a run's photos before anything is written: each decodes (every bad one named at once),
its overlay JPEG can be written, and the machine has the memory to segment them with these passes.
``skyinspect segment`` runs them all (models/batch.py when the caller has not), ``model eval
--images`` the first (models/labelled.py)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from skyinspect.errors import ImageError, describe
from skyinspect.photo import read_bgr
from skyinspect.pixel_cap import header_size
from skyinspect.segmentation import Segmenter


def check_images(images: list[Path], on_checked: Callable[[Path], None] | None = None) -> list[tuple[int, int]]:
    """Decode and check every image up front, so a bad file stops the run before anything is written
    (``on_checked`` after each: a progress bar, as a thousand 12-MPx photos take minutes to decode).
    Returns each image's (height, width). Every bad photo is named at once: one at a time, each run
    decoded the whole card again before naming the next."""
    sizes, bad = [], []
    for path in images:
        try:
            sizes.append(read_bgr(path).shape[:2])
        except ImageError as exc:
            bad.append(exc)
        if on_checked is not None:
            on_checked(path)
    if len(bad) == 1:
        raise bad[0]
    if bad:
        shown = [str(e) for e in bad[:_BAD_PHOTOS_SHOWN]] + ([f"and {len(bad) - _BAD_PHOTOS_SHOWN} more"]
                                                             if len(bad) > _BAD_PHOTOS_SHOWN else [])
        raise ImageError(f"{len(bad)} of {len(images)} photos cannot be segmented (nothing written):\n  "
                         + "\n  ".join(shown))
    return sizes


_BAD_PHOTOS_SHOWN = 20


JPEG_MAX_SIDE_PX = 65500  # libjpeg's limit: an overlay wider or taller cannot be written


def check_overlay_sizes(images: list[Path], sizes: list[tuple[int, int]]) -> None:
    """Refuse, before anything is written, a photo whose overlay JPEG cannot be written (a stitched strip
    of a linear asset): OpenCV failed after the photo's mask was written, naming neither photo nor fix."""
    for path, (h, w) in zip(images, sizes):
        if max(h, w) > JPEG_MAX_SIDE_PX:
            raise ImageError(describe(path, f"{w}x{h} px: its overlay JPEG cannot be written (JPEG holds at most "
                                            f"{JPEG_MAX_SIDE_PX} px a side)",
                                      f"cut it into pieces of at most {JPEG_MAX_SIDE_PX} px a side and segment those"))


# Peak memory (ru_maxrss) of `segment`, measured on 2 cores (session 21, DJI Brighton photos, 9 MPx, and
# one resized to 6000x4000): the process with its model 0.11 GB; one photo in one pass 0.60 GB (9 MPx),
# 0.98 GB (24 MPx): 0.26 GB a photo in flight (the model's working memory) + 25 B/px; with the
# post-flight passes 1.03 GB and 2.06 GB: 0.30 GB + 69 B/px; two 9-MPx photos in one pass 0.95-1.06 GB.
# Rounded up. Per pixel alone (40 and 85 B/px from one 24-MPx photo) put two 9-MPx photos at 0.72 GB.
BASE_BYTES = 150_000_000
PHOTO_BYTES_ONE_PASS, BYTES_PER_PX_ONE_PASS = 300_000_000, 28
PHOTO_BYTES_PASSES, BYTES_PER_PX_PASSES = 350_000_000, 75


def memory_needed_bytes(sizes: list[tuple[int, int]], workers: int, one_pass: bool) -> int:
    """Peak memory to segment photos of these (height, width), ``workers`` of them in flight at a time
    (the largest, as a worst case), in one pass or with the post-flight passes."""
    in_flight = sorted((h * w for h, w in sizes), reverse=True)[:max(1, workers)]
    photo, per_px = (PHOTO_BYTES_ONE_PASS, BYTES_PER_PX_ONE_PASS) if one_pass else \
        (PHOTO_BYTES_PASSES, BYTES_PER_PX_PASSES)
    return BASE_BYTES + len(in_flight) * photo + per_px * sum(in_flight)


def check_memory(images: list[Path], sizes: list[tuple[int, int]], segmenter: Segmenter,
                 available_bytes: int | None = None) -> None:
    """Refuse, before anything is written, photos too large for this machine's memory with these
    passes (an orthomosaic of hundreds of megapixels was killed for memory without a word)."""
    if not sizes:
        return
    one_pass = getattr(segmenter, "flips", 1) == 1 and not getattr(segmenter, "upscale", None)
    available = available_bytes if available_bytes is not None else memory_available_bytes()
    if available is None:
        return
    workers = len(segmenter.parallel_workers()) if hasattr(segmenter, "parallel_workers") else 1  # type: ignore[attr-defined]
    need = memory_needed_bytes(sizes, workers, one_pass)
    if need > available:
        big = max(range(len(sizes)), key=lambda i: sizes[i][0] * sizes[i][1])
        h, w = sizes[big]
        hint = "" if one_pass else f"; one pass (--flips 1 --upscale 0) needs about " \
            f"{memory_needed_bytes(sizes, workers, True) / 1e9:.1f} GB"
        raise ImageError(describe(images[big], f"{w}x{h} px ({h * w / 1e6:.0f} MPx): segmenting it with these "
                                               f"passes needs about {need / 1e9:.1f} GB, more than the "
                                               f"{available / 1e9:.1f} GB this machine has free{hint}",
                                  "Cut it into tiles of a few thousand pixels (an orthomosaic, say) and segment those"))


def check_headers(images: list[Path], segmenter: Segmenter) -> None:
    """``check_overlay_sizes`` and ``check_memory`` from the photos' headers, nothing decoded, so that a
    photo they refuse is refused before ``check_images`` decodes the whole card (minutes for a thousand
    photos, the refused one among them). A header that cannot be read is left to ``check_images``."""
    known = [(path, size) for path in images if (size := header_size(path)) is not None]
    paths, sizes = [p for p, _ in known], [(h, w) for _, (w, h) in known]
    check_overlay_sizes(paths, sizes)
    check_memory(paths, sizes, segmenter)


def memory_available_bytes() -> int | None:
    """Memory the system can give without swapping (Linux MemAvailable), else physical memory;
    None where neither is known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None
