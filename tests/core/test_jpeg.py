"""A JPEG cut short is told from its bytes (skyinspect.jpeg): decoders fill the missing part grey."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skyinspect.errors import ImageError
from skyinspect.jpeg import EOI, SOI, check_jpeg_whole, jpeg_cut_short


def _jpeg(progressive: bool = False) -> bytes:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
    params = [cv2.IMWRITE_JPEG_QUALITY, 90] + ([cv2.IMWRITE_JPEG_PROGRESSIVE, 1] if progressive else [])
    ok, buf = cv2.imencode(".jpg", img, params)
    assert ok
    return buf.tobytes()


def _with_thumbnail(data: bytes) -> bytes:
    """An APP1 segment right after SOI holding a whole small JPEG (as EXIF thumbnails are), so
    that its own start-of-scan and end-of-image markers come before the main image's."""
    thumb = _jpeg()[:200] + EOI
    payload = b"Exif\x00\x00" + thumb
    return SOI + b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:]


WHOLE = {"baseline": _jpeg(), "progressive": _jpeg(True), "thumbnail": _with_thumbnail(_jpeg())}


@pytest.mark.parametrize("kind", sorted(WHOLE))
def test_whole_files_are_whole_and_trailing_bytes_do_not_matter(kind):
    data = WHOLE[kind]
    assert not jpeg_cut_short(data)
    assert not jpeg_cut_short(data + SOI + b"\xff\xda\x00\x02 a video or a preview appended, cut")


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(WHOLE)), keep=st.floats(0.0, 1.0, exclude_max=True))
def test_every_cut_before_the_end_marker_is_found(kind, keep):
    data = WHOLE[kind]
    end = data.rindex(EOI)
    cut = data[:max(2, int(keep * end))]  # anything short of the main image's end-of-image marker
    assert jpeg_cut_short(cut)


def test_why_the_check_exists_a_cut_file_reads_with_its_missing_rows_grey(tmp_path: Path):
    """cv2.imread (not imdecode, which refuses) fills what was never written with grey."""
    data = WHOLE["baseline"]
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[:int(0.8 * len(data))])
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None and image.shape == (96, 128, 3)
    assert np.all(image[-4:] == 128)


def test_not_a_jpeg_is_for_the_decoder_to_refuse():
    assert not jpeg_cut_short(b"")
    assert not jpeg_cut_short(b"\x89PNG\r\n\x1a\n")
    assert not jpeg_cut_short(SOI + b"garbage that is no marker")


def test_the_error_names_the_file_and_the_fix(tmp_path: Path):
    path = tmp_path / "DJI_0420.JPG"
    path.write_bytes(WHOLE["baseline"][:-300])
    with pytest.raises(ImageError, match=r"DJI_0420\.JPG: is cut short.*Copy it again from the card"):
        check_jpeg_whole(path)
    path.write_bytes(WHOLE["baseline"])
    check_jpeg_whole(path)
    with pytest.raises(ImageError, match="cannot be read"):
        check_jpeg_whole(tmp_path / "missing.jpg")


def test_a_long_scan_with_stuffed_bytes_is_told_whole_or_cut():
    """The check looks for the end marker from the file's end first (a whole file has it there; the
    forward search cost 0.19 ms of capture CPU per 640x480 frame: bench/onboard_stages.py measures it,
    not this test). The answer must stay that of the marker anywhere after the start of scan."""
    header = WHOLE["baseline"][:WHOLE["baseline"].index(b"\xff\xda")]
    sos = b"\xff\xda\x00\x0c\x03\x01\x00\x02\x11\x03\x11\x00\x3f\x00"
    data = header + sos + b"\xff\x00\x12" * 1_000_000 + EOI  # 3 MB of stuffed data bytes
    assert not jpeg_cut_short(data)
    assert not jpeg_cut_short(data + b"\x00" * 64)  # trailing bytes after the marker (some cameras)
    assert jpeg_cut_short(data[:-2]) and jpeg_cut_short(data[:-1])


@pytest.mark.parametrize("progressive", [False, True])
def test_a_file_is_told_whole_or_cut_from_its_header_and_tail_as_from_all_its_bytes(tmp_path: Path,
                                                                                   progressive: bool) -> None:
    """file_cut_short (a folder's frames checked up front, onboard.replay) reads a large whole JPEG's
    header and last 64 KB only, and says what jpeg_cut_short says of all its bytes."""
    from skyinspect.jpeg import file_cut_short

    rng = np.random.default_rng(2)
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] + ([cv2.IMWRITE_JPEG_PROGRESSIVE, 1] if progressive else [])
    ok, buf = cv2.imencode(".jpg", rng.integers(0, 255, (800, 900, 3), dtype=np.uint8), params)
    whole = _with_thumbnail(buf.tobytes())
    assert len(whole) > 2 * 256 * 1024 + 100_000  # over the head and tail read (file_cut_short)
    video = bytes(rng.integers(0, 0xFF, 300_000, dtype=np.uint8))  # no FF byte: no end-of-image marker in it
    cases = {"whole": whole, "cut": whole[:-70_000], "cut near its end": whole[:-3], "whole, video after": whole + video,
             "cut, its header only": whole[:600], "cut in its scan, big": whole[:700_000]}
    for name, data in cases.items():
        path = tmp_path / "p.jpg"
        path.write_bytes(data)
        assert file_cut_short(path) == jpeg_cut_short(data) == (name.startswith("cut")), name
