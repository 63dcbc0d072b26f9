"""`skyinspect segment` and `skyinspect model eval --images` refuse a photo whose header states more pixels
than skyinspect decodes (skyinspect.pixel_cap) before decoding it. A 431-KB PNG stating 20000x20000 was
decoded whole by segment's up-front check (14 s, 1.6 GB) before its memory check refused it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app
from skyinspect.pixel_cap import MAX_IMAGE_MPX_ENV


def _said(result: object) -> str:
    return " ".join(result.output.split())  # type: ignore[attr-defined]


def test_segment_refuses_a_photo_over_the_cap_and_writes_nothing(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "a.jpg"), np.full((60, 80, 3), 128, np.uint8))
    cv2.imwrite(str(photos / "b.png"), np.full((100, 201, 3), 128, np.uint8))
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "0.02")
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(tmp_path / "out"), "--flips", "1",
                                      "--upscale", "0"])
    said = _said(result)
    assert result.exit_code == 2 and "b.png: its header states 201x100 px" in said and "0.02 MPx" in said, said
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_model_eval_refuses_a_photo_over_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    cv2.imwrite(str(images / "c.png"), np.full((100, 201, 3), 128, np.uint8))
    cv2.imwrite(str(masks / "c.png"), np.zeros((100, 201), np.uint8))
    monkeypatch.setenv(MAX_IMAGE_MPX_ENV, "0.02")
    result = CliRunner().invoke(app, ["model", "eval", "--images", str(images), "--masks", str(masks),
                                      "--out", str(tmp_path / "eval.json"), "--flips", "1", "--upscale", "0"])
    said = _said(result)
    assert result.exit_code == 2 and "c.png: its header states 201x100 px" in said, said
    assert not (tmp_path / "eval.json").exists()
