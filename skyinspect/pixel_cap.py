"""The most pixels skyinspect decodes from one image, checked from the header before any pixel is decoded.

A 431-KB PNG whose header says 20000x20000 decodes to 1.2 GB (14 s, 1.6 GB peak to read it alone) and
the onboard replay then segmented those 400 MPx for minutes until it was killed; a damaged header can
state anything. Every reader of photos, frames, videos and rasters asks ``refuse_over_cap`` first: the
cap is ``DEFAULT_MAX_IMAGE_MPX`` (above the largest aerial camera, Phase One's 280 MPx, below a
20000x20000 mosaic), raised or lowered with the environment variable ``SKYINSPECT_MAX_IMAGE_MPX``.

Pillow's own guard (a ``DecompressionBombWarning`` above 179 MPx, ``DecompressionBombError`` above 358,
raised by ``Image.open`` itself and again as a TIFF's pixels are loaded) stopped even the reading of a
header, as a traceback out of the onboard replay: images are opened here without it (``open_header``),
this cap taking its place.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from skyinspect.errors import ImageError, InputError, describe
from skyinspect.jpeg import jpeg_size

if TYPE_CHECKING:
    from PIL import ImageFile

MAX_IMAGE_MPX_ENV = "SKYINSPECT_MAX_IMAGE_MPX"
DEFAULT_MAX_IMAGE_MPX = 300.0


def max_image_pixels() -> int:
    """The cap in pixels: ``SKYINSPECT_MAX_IMAGE_MPX`` (megapixels) where set, else the default."""
    text = os.environ.get(MAX_IMAGE_MPX_ENV, "").strip()
    if not text:
        return int(DEFAULT_MAX_IMAGE_MPX * 1e6)
    try:
        mpx = float(text)
    except ValueError:
        mpx = math.nan
    if not (math.isfinite(mpx) and mpx > 0):
        raise InputError(f"environment variable {MAX_IMAGE_MPX_ENV}: expected a number of megapixels above 0, "
                         f"got {text!r}. Set it to e.g. 500, or unset it for the default "
                         f"({DEFAULT_MAX_IMAGE_MPX:g})")
    return int(mpx * 1e6)


def refuse_over_cap(source: object, width: int, height: int, what: str = "its header states") -> None:
    """ImageError naming ``source`` when ``width`` x ``height`` is over the cap (module doc)."""
    cap = max_image_pixels()
    if width * height > cap:
        raise ImageError(describe(source, f"{what} {width}x{height} px ({width * height / 1e6:.0f} MPx), more than "
                                          f"the {cap / 1e6:g} MPx skyinspect decodes from one image",
                                  f"If it is that large, cut it into tiles of a few thousand pixels, or raise the "
                                  f"cap (e.g. {MAX_IMAGE_MPX_ENV}={math.ceil(width * height / 1e6)}) on a machine "
                                  f"with the memory; if not, its header is damaged: copy the file again"))


def check_image_header(path: Path, data: bytes | None = None) -> None:
    """Refuse an image whose header states more pixels than the cap, nothing decoded; ``data``: its bytes,
    read instead of the file. A file Pillow cannot identify passes (its decoder then refuses it)."""
    size = header_size(path, data)
    if size is not None:
        refuse_over_cap(path, *size)


def header_size(path: Path, data: bytes | None = None) -> tuple[int, int] | None:
    """(width, height) from the header, nothing decoded (a TIFF's as Pillow states it: turned by its EXIF
    orientation); ``data``: its bytes, read instead of the file. None for a file that cannot be read or
    that Pillow cannot identify."""
    if data is not None:
        size = _png_or_jpeg_size(data)
    else:
        try:
            with open(path, "rb") as f:
                size = _png_or_jpeg_size(f.read(24))  # a PNG's size; a JPEG's lies further on: Pillow's
        except OSError:
            return None  # said by the decoder's refusal
    if size is None:
        try:
            with open_header(path if data is None else io.BytesIO(data)) as img:
                size = img.size
        except (OSError, ValueError, SyntaxError, TypeError):
            return None
    return size


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_or_jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG from its bytes without Pillow (its header read, EXIF and XMP
    parsed, took 0.3 ms a frame on the onboard capture thread); None for another format."""
    if data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return jpeg_size(data)


@contextlib.contextmanager
def open_header(source: Path | io.BytesIO) -> Iterator[ImageFile.ImageFile]:
    """``PIL.Image.open`` with Pillow's bomb guard (``Image.MAX_IMAGE_PIXELS``) lifted while the image is
    open (module doc): its header and metadata (EXIF, XMP) are read, and its pixels where the caller loads
    them, which it does only under this cap, checked from the header first. OSError (UnidentifiedImageError)
    for a file Pillow cannot identify. The guard refused a header's metadata above 358 MPx and, checked again
    as a TIFF's pixels are loaded, a 200-MPx photo that this cap lets through; above 179 MPx it printed a
    DecompressionBombWarning."""
    from PIL import Image

    with _pillow_guard_lifted(), Image.open(source) as img:
        yield img


_PILLOW_GUARD_LOCK = threading.Lock()
_pillow_unguarded_users = 0
_pillow_saved_limit: int | None = None


@contextlib.contextmanager
def _pillow_guard_lifted() -> Iterator[None]:
    """Pillow without its bomb guard inside; counted, so that overlapping users in threads restore the
    limit only when the last leaves."""
    from PIL import Image

    global _pillow_unguarded_users, _pillow_saved_limit
    with _PILLOW_GUARD_LOCK:
        if _pillow_unguarded_users == 0:
            _pillow_saved_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        _pillow_unguarded_users += 1
    try:
        yield
    finally:
        with _PILLOW_GUARD_LOCK:
            _pillow_unguarded_users -= 1
            if _pillow_unguarded_users == 0:
                Image.MAX_IMAGE_PIXELS = _pillow_saved_limit


__all__ = ["DEFAULT_MAX_IMAGE_MPX", "MAX_IMAGE_MPX_ENV", "check_image_header", "header_size", "max_image_pixels",
           "open_header", "refuse_over_cap"]
