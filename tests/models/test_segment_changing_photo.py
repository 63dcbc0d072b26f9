"""`skyinspect segment` on photos that change while the run segments them (a card synced or pulled
mid-run): each photo's record names the bytes that were segmented, not the file found afterwards."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from models import load_segmenter
from models.batch import segment_images
from models.runtime import TiledSegmenter


def _photo(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cv2.imwrite(str(path), (rng.random((120, 160, 3)) * 60 + 120).astype(np.uint8))


def _while_segmented(monkeypatch: pytest.MonkeyPatch, change: object) -> None:
    """Run ``change()`` each time the model is handed a photo: after the photo was read, before its outputs."""
    real = TiledSegmenter.segment

    def segment(self: TiledSegmenter, image: np.ndarray) -> object:
        change()  # type: ignore[operator]
        return real(self, image)

    monkeypatch.setattr(TiledSegmenter, "segment", segment)


def test_a_photo_replaced_while_it_is_segmented_is_recorded_as_the_photo_segmented(tmp_path: Path,
                                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The record's source_sha256 was the file's after the photo was segmented: a photo replaced meanwhile
    had the new file's hash beside the old photo's masks, and a rerun kept them for the new photo as
    'done before' without segmenting it. Now the rerun sees the photo changed (and says so)."""
    photo, out = tmp_path / "a.jpg", tmp_path / "out"
    _photo(photo, 0)
    segmented = hashlib.sha256(photo.read_bytes()).hexdigest()
    _while_segmented(monkeypatch, lambda: _photo(photo, 1))
    segment_images([photo], out, load_segmenter(flips=1, upscale=0))
    assert json.loads((out / "a.json").read_text())["source_sha256"] == segmented
    monkeypatch.undo()
    from skyinspect.errors import InputError

    with pytest.raises(InputError, match="as it was before it changed"):
        segment_images([photo], out, load_segmenter(flips=1, upscale=0))


def test_a_photo_removed_while_it_is_segmented_gets_its_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A card pulled while its last photo was segmented: the run stopped with 'No such file or directory'
    after the photo's mask and overlay were written, its JSON not (repro: DJI_0020 removed mid-run)."""
    photo, out = tmp_path / "b.jpg", tmp_path / "out"
    _photo(photo, 0)
    segmented = hashlib.sha256(photo.read_bytes()).hexdigest()
    _while_segmented(monkeypatch, lambda: photo.unlink(missing_ok=True))
    done = segment_images([photo], out, load_segmenter(flips=1, upscale=0))
    assert len(done) == 1 and not photo.exists()
    record = json.loads((out / "b.json").read_text())
    assert record["source_sha256"] == segmented and (out / "b_mask.png").is_file() and (out / "b_overlay.jpg").is_file()
