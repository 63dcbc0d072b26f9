"""A photo or frame file decoded the one way skyinspect reads them: ``skyinspect segment``, ``model
eval`` (models/batch.py, models/labelled.py) and the onboard replay's image folders (onboard/frames.py).

As viewers show it and ``cv2.IMREAD_COLOR`` gives it: EXIF orientation applied, a grey photo (mono
cameras, many crack data sets) as three equal channels, an alpha channel dropped. Refused with the
fix: a file that does not decode, a JPEG cut short (skyinspect.jpeg), a header stating more pixels than
skyinspect decodes (skyinspect.pixel_cap, checked before decoding), and a depth other than 8 bits.
``IMREAD_COLOR`` would scale a 16-bit frame down by 256 without a word, so a 12-bit camera's frames
(values up to 4095) came out nearly black and were segmented as a clean surface; a 16-bit or float
image has no one right conversion: its useful range is the user's to choose.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np

from skyinspect.errors import ImageError, describe
from skyinspect.jpeg import JPEG_SUFFIXES, SOI, check_jpeg_whole, cut_short_error, read_jpeg_head
from skyinspect.pixel_cap import check_image_header, header_size, open_header, refuse_over_cap

# ANYDEPTH | ANYCOLOR: as IMREAD_COLOR (orientation, no alpha) but keeps the depth and a single
# channel, so that they can be checked; IMREAD_UNCHANGED would ignore the EXIF orientation
_FLAGS = cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR


def read_file_bytes(path: Path) -> bytes:
    """The file's bytes; ImageError naming it when it cannot be read."""
    _refuse_broken_link(path)
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _cannot_read(path, exc) from exc


def _cannot_read(path: Path, exc: OSError) -> ImageError:
    return ImageError(describe(path, f"cannot be read ({exc.strerror or exc})",
                               "Check the file is there and readable, or leave it out"))


def is_listed(path: Path) -> bool:
    """A folder entry to take for a photo if its name says so: a file, or a link to a file that is not
    there (refused by name when read, rather than left out without a word)."""
    return path.is_file() or (path.is_symlink() and not path.exists())


def _refuse_broken_link(path: Path) -> None:
    if Path(path).is_symlink() and not Path(path).exists():
        raise ImageError(describe(path, f"is a link to {Path(path).readlink()}, which is not there",
                                  "Mount or copy the photos it points to, or leave the link out"))


def checked_header_shapes(path: Path) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """``header_shapes``, having refused what ``read_bgr`` would refuse of the file without decoding it (a
    broken link, a file that cannot be read or is empty, a JPEG cut short: from its size, header and tail,
    a JPEG's in one open); a file without a header PIL reads (one that is no image, a JPEG damaged where its
    header should be: a card's bad block) is decoded now, refused by name if it does not decode. For a
    folder checked before any frame is segmented (onboard.replay): such a file at frame 400 was refused
    when the replay reached it, and the 399 frames segmented before were removed."""
    _refuse_broken_link(path)
    try:
        if Path(path).stat().st_size == 0:
            raise ImageError(describe(path, "is empty (0 bytes)", "Copy it again from the card, or leave it out"))
        jpeg = Path(path).suffix.lower() in JPEG_SUFFIXES or _starts_as_jpeg(path, None)
        head, cut = read_jpeg_head(path) if jpeg else (None, False)
    except OSError as exc:
        raise _cannot_read(path, exc) from exc
    if cut:
        raise cut_short_error(path)
    # a JPEG's header lies in its head where its walk reached the start of scan (Pillow reads its markers up to
    # there), else in the file (a thermal camera's APP3 data past 256 KB)
    shapes = header_shapes(path, head if cut is False else None)
    if cut is None or shapes is None and header_size(path) is None:
        read_bgr(path)  # decoded now, or refused by name
    return shapes


def read_bgr(path: Path, orient: bool = True, data: bytes | None = None) -> np.ndarray:
    """``path`` as uint8 BGR (module doc). ``data``: its bytes, already read by the caller, decoded
    instead of the file, whatever the format (so that a hash of them names these pixels, were the file
    replaced since); else a JPEG is read once, checked whole and decoded. ``orient=False``: the stored
    pixels, EXIF orientation not applied (a mask drawn on those, models.labelled)."""
    flags = _FLAGS | (0 if orient else cv2.IMREAD_IGNORE_ORIENTATION)
    if data is None:
        _refuse_broken_link(path)
    if Path(path).suffix.lower() in JPEG_SUFFIXES or _starts_as_jpeg(path, data):  # imread would fill a cut one grey
        data = read_file_bytes(path) if data is None else data
        check_image_header(path, data)
        check_jpeg_whole(path, data)
        image = _cv_decoded(path, flags, data)
    else:
        tag = _checked_tiff_orientation(path, data) if _is_tiff(path) else 1  # a TIFF's header parsed once
        if not _is_tiff(path):  # a PNG's size from its first bytes
            check_image_header(path, data)
        # OpenCV fails on a quarter-turned TIFF and logs an ERROR for it: such a TIFF goes to PIL at once
        image = None if tag in QUARTER_TURNS else _cv_decoded(path, flags, data)
        if image is None:
            image = _decoded_by_pil(path, orient, data)
        if image is None and tag == 1:  # GDAL does not apply an EXIF orientation
            image = _decoded_by_gdal(path, data)
    if image is None:
        empty = data is not None and not data or Path(path).is_file() and Path(path).stat().st_size == 0
        suffix = Path(path).suffix.lower()
        kind, under = UNREAD_FORMATS.get(suffix), ""
        if kind is None and not empty:  # a phone's HEIC under a .jpg name
            kind = _unread_format_of_bytes(path, data)
            under = f" under a {suffix or 'suffix-less'} name" if kind else ""
        if kind is not None and not empty:  # no copy mends these: "Copy it again" sent users to the card
            article = "an" if kind[0] in "AEIOU" else "a"
            raise ImageError(describe(path, f"is {article} {kind} photo{under}, which is not read here",
                                      "convert it to JPEG or PNG first (heif-convert, or the camera maker's raw "
                                      "converter), or leave it out"))
        raise ImageError(describe(path, "is empty (0 bytes)" if empty else "cannot be decoded as an image",
                                  "Copy it again from the card, or leave it out"))
    if image.dtype != np.uint8:
        raise ImageError(describe(path, f"expected an 8-bit image, got {image.dtype}",
                                  "convert it to 8-bit RGB first (choosing the range of its values to keep)"))
    if image.ndim == 2 or image.shape[2] == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return image if image.shape[2] == 3 else np.ascontiguousarray(image[:, :, :3])


def _starts_as_jpeg(path: Path, data: bytes | None) -> bool:
    """A JPEG by its first bytes whatever its name (a browser's .jfif, a renamed .png): checked whole too."""
    if data is not None:
        return data.startswith(SOI)
    try:
        with open(path, "rb") as f:
            return f.read(len(SOI)) == SOI
    except OSError:
        return False  # said by the decoder's refusal below


def _unread_format_of_bytes(path: Path, data: bytes | None) -> str | None:
    """"HEIC", "HEIF" or "AVIF" for a file whose bytes are one (an ISO base media 'ftyp' box with such a
    brand), whatever its name; None for anything else (an MP4 has the same box, other brands)."""
    if data is None:
        try:
            with open(path, "rb") as f:
                data = f.read(64)
        except OSError:
            return None
    if data[4:8] != b"ftyp":
        return None
    size = int.from_bytes(data[:4], "big")
    box = data[8:min(max(size, 12), 64)]
    brands = {box[i:i + 4] for i in range(0, len(box) - 3, 4)}  # major, minor version, compatible ones
    for kind, marks in _ISOBMFF_PHOTO_BRANDS:
        if brands & marks:
            return kind
    return None


# brands that make an ISO base media file a still photo, the first found naming it (AVIF is a HEIF too)
_ISOBMFF_PHOTO_BRANDS = (("AVIF", {b"avif", b"avis"}), ("HEIC", {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}),
                         ("HEIF", {b"mif1", b"msf1"}))


def cv_imread(path: Path, flags: int) -> np.ndarray | None:
    """``cv2.imread`` that survives a name not in UTF-8 (an old Windows card's 'Br\\xfccke.png', which
    Python holds with a lone surrogate): imread crashed the process on one (segmentation fault). Such a
    file is read by Python and decoded from memory instead. Refused, nothing decoded, when its header
    states more pixels than the cap (skyinspect.pixel_cap)."""
    check_image_header(path)
    return _cv_read(path, flags)


def _cv_read(path: Path, flags: int) -> np.ndarray | None:
    """``cv_imread`` once the header's size is checked."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return _cv_decoded(path, flags, read_file_bytes(path))
    with _tiff_tags_unlogged(path), _opencv_limit_named(path):
        return cv2.imread(str(path), flags)


def _cv_decoded(path: Path, flags: int, data: bytes | None) -> np.ndarray | None:
    """``_cv_read``, or from ``data`` where the caller holds the bytes (imdecode applies the EXIF
    orientation as imread does; it asserts on an empty buffer). The header's size is checked already."""
    if data is None:
        return _cv_read(path, flags)
    with _tiff_tags_unlogged(path), _opencv_limit_named(path):
        return cv2.imdecode(np.frombuffer(data, np.uint8), flags) if data else None


@contextlib.contextmanager
def _opencv_limit_named(path: Path) -> Iterator[None]:
    """OpenCV asserts (cv2.error, a traceback out of segment) on a header stating more pixels than
    CV_IO_MAX_IMAGE_PIXELS, before decoding anything: a damaged header, or a mosaic too big to read whole."""
    try:
        yield
    except cv2.error as exc:
        if "CV_IO_MAX_IMAGE_PIXELS" not in str(exc):
            raise
        limit = int(os.environ.get("OPENCV_IO_MAX_IMAGE_PIXELS", 1 << 30))
        raise ImageError(describe(path, f"its header states more pixels than OpenCV decodes ({limit / 1e6:.0f} MPx, "
                                        f"OPENCV_IO_MAX_IMAGE_PIXELS)",
                                  "If the image is that large, cut it into tiles of a few thousand pixels and segment "
                                  "those; if not, its header is damaged: copy it again from the card")) from exc


def _opened(path: Path, data: bytes | None) -> Path | io.BytesIO:
    """What PIL opens: the bytes the caller holds, else the file."""
    return path if data is None else io.BytesIO(data)


@contextlib.contextmanager
def _tiff_tags_unlogged(path: Path) -> Iterator[None]:
    """OpenCV logs a warning for each TIFF tag it does not know, and a GeoTIFF's (33550, 33922, 34735,
    34737: its georeferencing) gave 4 'TIFF_Warning ... Unknown field with tag' lines a read, among
    segment's notes; and one OpenCV cannot decompress (ZSTD, LERC: GDAL writes them) printed a 'TIFF_Error'
    line each read, though Pillow or GDAL then read it (or read_bgr refuses it by name). A TIFF is read
    with OpenCV's log silent."""
    if Path(path).suffix.lower() not in (".tif", ".tiff"):
        yield
        return
    get_level, set_level = _cv_log_level_calls()
    level = get_level()
    set_level(_CV_LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        set_level(level)


def _cv_log_level_calls() -> tuple[Callable[[], int], Callable[[int], object]]:
    """OpenCV 5's cv2.utils.logging get/set, else OpenCV 4.8's cv2.getLogLevel/setLogLevel (pyproject
    allows 4.8, which has no cv2.utils.logging; both count levels the same way)."""
    logging_module = getattr(cv2.utils, "logging", None)
    if logging_module is not None:
        return logging_module.getLogLevel, logging_module.setLogLevel
    return cv2.getLogLevel, cv2.setLogLevel


_CV_LOG_LEVEL_SILENT = 0  # cv::utils::logging::LOG_LEVEL_SILENT in OpenCV 4 and 5


def exif_orientation(path: Path, data: bytes | None = None) -> int:
    """The photo's EXIF orientation tag (1, as stored, without one or for a file PIL cannot read);
    ``data``: its bytes, read instead of the file."""
    try:
        with open_header(_opened(path, data)) as img:  # not Image.open: a 196-MPx ortho's header raised there
            return int(img.getexif().get(_ORIENTATION, 1) or 1)
    except (OSError, ValueError, SyntaxError, TypeError):
        return 1


def header_shapes(path: Path, data: bytes | None = None) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """((height, width) as shown, (height, width) as stored) from the header, nothing decoded (a few ms);
    None for a TIFF (Pillow gives its size already turned by its tag) or a file PIL cannot read. ``data``:
    its bytes (a JPEG's first ones, holding its header), read instead of the file."""
    try:
        with open_header(_opened(path, data)) as img:  # not Image.open: a 196-MPx ortho's header raised there
            if img.format == "TIFF":
                return None
            w, h = img.size
            turned = int(img.getexif().get(_ORIENTATION, 1) or 1) in QUARTER_TURNS
    except (OSError, ValueError, SyntaxError, TypeError):
        return None
    return ((w, h) if turned else (h, w)), (h, w)


def _is_tiff(path: Path) -> bool:
    return Path(path).suffix.lower() in (".tif", ".tiff")


def _checked_tiff_orientation(path: Path, data: bytes | None) -> int:
    """A TIFF's EXIF orientation, its size refused over the pixel cap, from one parse of its header (its
    IFDs, a GeoTIFF's georeferencing tags: parsed for each before). 1 where PIL cannot read it."""
    try:
        with open_header(_opened(path, data)) as img:
            size, tag = img.size, int(img.getexif().get(_ORIENTATION, 1) or 1)
    except (OSError, ValueError, SyntaxError, TypeError):
        return 1  # said by the decoders' refusal
    refuse_over_cap(path, *size)
    return tag


def _decoded_by_pil(path: Path, orient: bool, data: bytes | None = None) -> np.ndarray | None:
    """What OpenCV cannot decode but PIL can, as uint8 BGR (None when PIL cannot either): OpenCV 5.1
    reads no TIFF whose EXIF orientation turns it a quarter (5-8), in any mode, and said of such a
    photo that it 'cannot be decoded'. 8-bit modes only; another depth is refused as above."""
    from PIL import ImageOps

    # from its bytes, never the file: Pillow (13.0) maps an uncompressed grey or RGBA TIFF and then drops
    # its orientation tag without turning the pixels, so such a photo came back as stored
    data = read_file_bytes(path) if data is None else data
    try:  # without Pillow's bomb guard (open_header): the cap was checked from the header before this is reached
        with open_header(io.BytesIO(data)) as img:
            tag = int(img.getexif().get(_ORIENTATION, 1) or 1)
            img.load()  # Pillow's TIFF reader turns the pixels by the tag here, and drops the tag
            turned = tag != 1 and int(img.getexif().get(_ORIENTATION, 1) or 1) == 1
            shown = ImageOps.exif_transpose(img) if orient and not turned else img
            mode = shown.mode
            pixels = np.asarray(shown.convert("RGB"))[:, :, ::-1] if mode in _EIGHT_BIT_MODES else None
    except (OSError, ValueError, SyntaxError):  # not an image PIL knows either
        return None
    if pixels is None:  # raised here: ImageError is a ValueError, which the except above would swallow
        raise ImageError(describe(path, f"expected an 8-bit image, got PIL mode {mode}",
                                  "convert it to 8-bit RGB first (choosing the range of its values to keep)"))
    if not orient and turned and tag in STORED_FROM_SHOWN:  # the stored pixels: a turn Pillow made is undone
        pixels = STORED_FROM_SHOWN[tag](pixels)
    return np.ascontiguousarray(pixels)


def _decoded_by_gdal(path: Path, data: bytes | None = None) -> np.ndarray | None:
    """A TIFF that neither OpenCV nor Pillow decodes, through GDAL (rasterio, which models/no_data.py reads
    GeoTIFFs' no data with): an ortho exported LERC-compressed (Esri's compression) was refused as 'cannot
    be decoded. Copy it again from the card'. Red, green and blue by their colour interpretation (else the
    first three bands), one band as grey; an alpha band is no data's (models/no_data.py). In its own data
    type (read_bgr refuses all but 8 bits). None where GDAL cannot read it either, for a palette band,
    and for a TIFF with an EXIF orientation, which GDAL does not apply (the caller's to leave out)."""
    if not _is_tiff(path):
        return None
    try:
        import rasterio
        from rasterio.errors import NotGeoreferencedWarning, RasterioError
        from rasterio.io import MemoryFile
    except ImportError:  # pragma: no cover - a runtime dependency
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a plain TIFF
            memory = contextlib.nullcontext() if data is None else MemoryFile(data)
            with memory as mem, (rasterio.open(path) if mem is None else mem.open()) as ds:
                colours = [c.name for c in ds.colorinterp]
                if "palette" in colours[:1]:
                    return None
                if all(c in colours for c in ("red", "green", "blue")):
                    bands = [colours.index(c) + 1 for c in ("blue", "green", "red")]
                else:
                    bands = [3, 2, 1] if ds.count >= 3 else [1]
                pixels = ds.read(bands)
    except (RasterioError, OSError, ValueError):
        return None
    return np.ascontiguousarray(pixels.transpose(1, 2, 0)) if len(bands) == 3 else pixels[0]


_ORIENTATION = 0x0112
# formats phones and cameras write that neither OpenCV nor Pillow decodes here: named when one fails
# (and left out of a folder by models.photo_inputs, with a note)
UNREAD_FORMATS = {".heic": "HEIC", ".heif": "HEIF", **{s: "camera raw" for s in (
    ".dng", ".raw", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2", ".raf")}}
QUARTER_TURNS = (5, 6, 7, 8)  # EXIF orientations that swap a photo's width and height
# the stored pixels of an (H, W) or (H, W, C) array as shown, for each EXIF orientation (its inverse)
STORED_FROM_SHOWN: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1], 5: lambda a: np.swapaxes(a, 0, 1),
    6: lambda a: np.rot90(a, 1), 7: lambda a: np.swapaxes(a[::-1, ::-1], 0, 1), 8: lambda a: np.rot90(a, -1)}
# the other way: the pixels as shown of stored ones (a mask drawn on a photo's stored pixels, models/labelled.py)
SHOWN_FROM_STORED: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1], 5: lambda a: np.swapaxes(a, 0, 1),
    6: lambda a: np.rot90(a, -1), 7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1], 8: lambda a: np.rot90(a, 1)}
_EIGHT_BIT_MODES = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "CMYK", "YCbCr")


__all__ = ["QUARTER_TURNS", "SHOWN_FROM_STORED", "STORED_FROM_SHOWN", "UNREAD_FORMATS", "checked_header_shapes",
           "cv_imread", "exif_orientation", "header_shapes",
           "is_listed", "read_bgr", "read_file_bytes"]
