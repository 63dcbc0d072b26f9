"""`skyinspect segment` refuses, from the photos' headers, what it would refuse after decoding them all:
a photo too large for the machine's memory with these passes, or one whose overlay JPEG cannot be
written. Both were found only once every photo had been decoded (a card of a thousand 20-MPx photos
takes minutes; the photo to refuse was itself decoded first, hundreds of MB)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

import models.photo_checks as photo_checks
from skyinspect.cli.main import app


def _said(result: object) -> str:
    return " ".join(result.output.split())  # type: ignore[attr-defined]


def _count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    decoded: list[str] = []
    real = photo_checks.read_bgr

    def counting(path: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        decoded.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(photo_checks, "read_bgr", counting)
    return decoded


def test_a_photo_too_large_for_the_memory_is_refused_before_any_photo_is_decoded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "a_small.jpg"), np.full((60, 80, 3), 128, np.uint8))
    cv2.imwrite(str(photos / "b_ortho.png"), np.zeros((4000, 4500, 3), np.uint8))  # 18 MPx, 55 KB
    monkeypatch.setattr(photo_checks, "memory_available_bytes", lambda: 1_000_000_000)
    decoded = _count_decodes(monkeypatch)
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    assert result.exit_code == 2, result.output
    assert "b_ortho.png: 4500x4000 px (18 MPx): segmenting it with these passes needs about" in _said(result)
    assert "more than the 1.0 GB this machine has free" in _said(result)
    assert decoded == []
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_photo_whose_overlay_cannot_be_written_is_refused_before_any_photo_is_decoded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "a_small.jpg"), np.full((60, 80, 3), 128, np.uint8))
    cv2.imwrite(str(photos / "b_strip.png"), np.zeros((2, 66000, 3), np.uint8))  # a stitched strip, 66000 px long
    decoded = _count_decodes(monkeypatch)
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    assert result.exit_code == 2, result.output
    assert "b_strip.png: 66000x2 px: its overlay JPEG cannot be written" in _said(result)
    assert decoded == []
