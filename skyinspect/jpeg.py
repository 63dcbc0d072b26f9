"""Is a JPEG file whole? A photo cut short (the camera lost power while writing it, a copy that was
interrupted) still decodes: libjpeg fills the missing rows grey and only prints "Premature end of
JPEG file", so the photo would be segmented, recorded and counted as covering its whole footprint
while part of it was never seen. ``jpeg_cut_short`` tells from the bytes alone.

The header segments are walked by their lengths up to the first start-of-scan (so an EXIF
thumbnail's own markers are skipped); after it, the entropy-coded data cannot hold the bytes
FF D9 (a data byte FF is always stuffed as FF 00), so a whole file has its end-of-image marker
somewhere after that point, and a cut one has none. Bytes appended after the end (some phones add a
video) do not matter."""

from __future__ import annotations

from pathlib import Path

from skyinspect.errors import ImageError, describe

JPEG_SUFFIXES = (".jpg", ".jpeg", ".jpe")  # files read as JPEG and checked whole
SOI = b"\xff\xd8"
EOI = b"\xff\xd9"
_SOS = 0xDA
_STANDALONE = {0x01, 0xD8, *range(0xD0, 0xD8)}  # markers without a length field


def jpeg_cut_short(data: bytes) -> bool:
    """True when ``data`` is a JPEG whose image data ends before its end-of-image marker. Data
    that is not a JPEG, or whose header is not what the format says, is False: for the decoder to
    refuse or read as it can."""
    start = _scan_start(data)
    # searched from the end, where a whole file has it: a forward search read all the
    # entropy-coded data (0.19 ms of CPU per 640x480 frame on the onboard capture thread)
    return start is not None and (start < 0 or data.rfind(EOI, start) == -1)


def file_cut_short(path: Path) -> bool:
    """``jpeg_cut_short`` of a file, reading its header and last 64 KB only where those tell
    (``read_jpeg_head``). OSError where it cannot be read."""
    cut = read_jpeg_head(path)[1]
    return cut if cut is not None else jpeg_cut_short(Path(path).read_bytes())


def read_jpeg_head(path: Path) -> tuple[bytes, bool | None]:
    """(the file's first 256 KB, whether it is cut short), in one open, without reading all of it where it
    need not: its header up to the start of scan and its last 64 KB, which in a whole file hold the
    end-of-image marker (a folder's photos checked up front, before the replay reads each); the whole
    file where that does not tell (a phone's video appended, a short file). None for "cut short" where
    the header segments do not lead, by their lengths, to the start of scan within the head (bytes that
    are no marker where one belongs): for the decoder to judge. OSError where it cannot be read."""
    size = Path(path).stat().st_size
    with open(path, "rb") as f:
        head = f.read(METADATA_HEAD_BYTES)
        start = _scan_start(head)
        if start is None or start < 0:
            return head, None
        if size > 2 * METADATA_HEAD_BYTES:  # the tail lies after the start of scan
            f.seek(size - _TAIL_BYTES)
            if EOI in f.read(_TAIL_BYTES):
                return head, False
            f.seek(len(head))
        return head, jpeg_cut_short(head + f.read())  # the head not read again


METADATA_HEAD_BYTES, _TAIL_BYTES = 256 * 1024, 64 * 1024  # a DJI photo's EXIF, XMP and thumbnail fit in the first


def _scan_start(data: bytes) -> int | None:
    """Where the entropy-coded data of a JPEG starts (after its first start-of-scan header), its header
    segments walked by their lengths; -1 where ``data`` ends before that (cut inside the header), None
    where it is no JPEG or its header is not what the format says (bytes that are no marker where one
    belongs, an end-of-image before any scan)."""
    if not data.startswith(SOI):
        return None
    pos, n = 2, len(data)
    while True:
        if pos + 4 > n:
            return -1
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker == EOI[1]:
            return None
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == _SOS:
            return pos + 2 + length if pos + 2 + length <= n else -1
        pos += 2 + length


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's start-of-frame segment, walked to as ``jpeg_cut_short`` walks (a few
    µs, where Pillow's header read took 0.3 ms a frame); None when ``data`` holds no readable one."""
    if not data.startswith(SOI):
        return None
    pos, n = 2, len(data)
    while pos + 4 <= n and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker in (EOI[1], _SOS):
            return None
        if marker in _SOF and pos + 9 <= n:  # FF Cn, length, precision, height, width
            return int.from_bytes(data[pos + 7:pos + 9], "big"), int.from_bytes(data[pos + 5:pos + 7], "big")
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return None


_SOF = {*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC}  # start-of-frame markers (C4, C8, CC are not)


def check_jpeg_whole(path: Path, data: bytes | None = None) -> None:
    """Raise ImageError naming ``path`` when its JPEG bytes (``data``, else the file's: its header and
    tail where those tell) are cut short."""
    try:
        cut = jpeg_cut_short(data) if data is not None else file_cut_short(path)
    except OSError as exc:
        raise ImageError(describe(path, f"cannot be read ({exc.strerror or exc})")) from exc
    if cut:
        raise cut_short_error(path)


def cut_short_error(path: Path) -> ImageError:
    """The refusal of a JPEG cut short, naming ``path``."""
    return ImageError(describe(path, "is cut short: its JPEG data ends before the image does (the camera lost "
                                     "power while writing it, or the copy was interrupted), and a decoder would "
                                     "fill the missing part grey", "Copy it again from the card, or leave it out"))


__all__ = ["EOI", "JPEG_SUFFIXES", "SOI", "check_jpeg_whole", "cut_short_error", "file_cut_short", "jpeg_cut_short",
           "jpeg_size", "read_jpeg_head"]
