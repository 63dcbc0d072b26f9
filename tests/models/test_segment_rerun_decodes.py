"""`skyinspect segment` decodes each photo once up front (every bad one named before anything is written)
and once to segment it; a rerun decodes only the photos it segments again, not those --out holds from the
same model and settings (it decoded every photo of the folder up front, those it then kept among them)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _decodes(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Decodes of each photo by name from now on: the up-front check's (models.photo_checks) and the
    segmenting's (models.batch), both skyinspect.photo.read_bgr."""
    import models.batch
    import models.photo_checks

    counted: Counter[str] = Counter()
    real = models.photo_checks.read_bgr

    def read_bgr(path: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        counted[Path(path).name] += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(models.photo_checks, "read_bgr", read_bgr)
    monkeypatch.setattr(models.batch, "read_bgr", read_bgr)
    return counted


def test_a_rerun_decodes_only_the_photos_it_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for name in ("a.jpg", "b.jpg", "c.png"):
        cv2.imwrite(str(photos / name), (rng.random((120, 160, 3)) * 60 + 120).astype(np.uint8))
    run = ["segment", str(photos), "--out", str(out), "--flips", "1", "--upscale", "0"]
    decodes = _decodes(monkeypatch)
    assert CliRunner().invoke(app, run).exit_code == 0
    assert dict(decodes) == {"a.jpg": 2, "b.jpg": 2, "c.png": 2}  # checked, then segmented
    decodes.clear()
    (out / "b.json").unlink()  # as if killed after b's mask and overlay
    result = CliRunner().invoke(app, run)
    assert result.exit_code == 0 and "segmented 1 images" in " ".join(result.output.split())
    assert dict(decodes) == {"b.jpg": 2}  # a and c kept: decoded by neither (1 each before)
    decodes.clear()
    result = CliRunner().invoke(app, run)
    assert result.exit_code == 0 and "segmented 0 images" in " ".join(result.output.split())
    assert not decodes
    (photos / "c.png").write_bytes(b"not a png")  # changed since: segmented again, so checked again
    result = CliRunner().invoke(app, run)
    assert result.exit_code == 2 and "c.png" in result.output and decodes == {"c.png": 1}


def test_segment_images_checks_only_the_photos_it_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """models.batch.segment_images (checked=False: it runs the checks itself) on a rerun: the photo kept is
    neither decoded up front nor segmented; the one whose outputs are gone is, once each."""
    from models import load_segmenter
    from models.batch import segment_images

    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for name in ("a.jpg", "b.jpg"):
        cv2.imwrite(str(photos / name), (rng.random((96, 128, 3)) * 60 + 120).astype(np.uint8))
    segmenter = load_segmenter(flips=1, upscale=0)
    images = sorted(photos.iterdir())
    assert not any(r.skipped for r in segment_images(images, out, segmenter))
    (out / "b.json").unlink()
    decodes = _decodes(monkeypatch)
    done = segment_images(images, out, segmenter)
    assert [r.skipped for r in done] == [True, False] and dict(decodes) == {"b.jpg": 2}  # a.jpg: 1 before


def test_a_photo_gone_since_its_outputs_were_written_is_named_not_a_traceback(tmp_path: Path) -> None:
    """Which photos are kept is worked out before the photos are checked: a photo whose outputs --out holds
    but which is now a link to nothing (a card unmounted) is refused by the check, by name, as before."""
    photos, out = tmp_path / "photos", tmp_path / "out"
    photos.mkdir()
    cv2.imwrite(str(photos / "a.jpg"), np.full((96, 128, 3), 150, np.uint8))
    run = ["segment", str(photos), "--out", str(out), "--flips", "1", "--upscale", "0"]
    assert CliRunner().invoke(app, run).exit_code == 0
    (photos / "a.jpg").unlink()
    (photos / "a.jpg").symlink_to(tmp_path / "card" / "a.jpg")
    result = CliRunner().invoke(app, run)
    assert result.exit_code == 2 and "which is not there" in " ".join(result.output.split()), result.output
