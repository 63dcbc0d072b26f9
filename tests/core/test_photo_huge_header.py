"""A photo whose header states more pixels than OpenCV decodes (a damaged header, or a giant mosaic) is
refused by name: it was a cv2.error traceback ('pixels <= CV_IO_MAX_IMAGE_PIXELS') out of `segment`."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app
from skyinspect.errors import ImageError
from skyinspect.photo import read_bgr
from skyinspect.pixel_cap import MAX_IMAGE_MPX_ENV


def _png_stating(path: Path, width: int, height: int) -> Path:
    """A 68-byte PNG whose IHDR says width x height (8-bit RGB): a header nothing behind it fills."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("held", [False, True], ids=["read-by-opencv", "bytes-held"])
def test_a_header_over_opencvs_pixel_limit_is_named(tmp_path: Path, held: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "20000")  # skyinspect's own cap raised past it (skyinspect.pixel_cap)
    photo = _png_stating(tmp_path / "pier.png", 100_000, 100_000)
    with pytest.raises(ImageError, match=r"pier\.png: its header states more pixels than OpenCV decodes"):
        read_bgr(photo, data=photo.read_bytes() if held else None)


def test_segment_refuses_it_by_name_and_writes_nothing(tmp_path: Path) -> None:
    photo = _png_stating(tmp_path / "pier.png", 100_000, 100_000)
    result = CliRunner().invoke(app, ["segment", str(photo), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "pier.png" in said and "Traceback" not in said, said
    assert not list((tmp_path / "out").glob("pier*")), list((tmp_path / "out").iterdir())
