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


_SWAP: list[object] = []  # (photo, replace) while a test watches; the audit hook below cannot be removed


def _swap_on_second_open(event: str, args: tuple[object, ...]) -> None:
    if event != "open" or not _SWAP or not isinstance(args[0], str):
        return
    photo, replace, opens = _SWAP  # type: ignore[misc]
    if Path(args[0]) == photo:
        opens.append(args[0])  # type: ignore[attr-defined]
        if len(opens) == 2:  # type: ignore[arg-type]
            replace()  # type: ignore[operator]


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_the_sha256_recorded_is_of_the_bytes_whose_pixels_were_segmented(tmp_path: Path, suffix: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The photo's file was read twice, once for its sha256 and again to decode it: a photo replaced in
    between (a card synced mid-run) was recorded with the first file's hash beside the second file's
    masks. Here the file is replaced as soon as it is opened a second time: the pixels segmented and the
    hash recorded must both be the first file's."""
    import sys

    photo, out = tmp_path / f"a{suffix}", tmp_path / "out"
    _photo(photo, 0)
    first = photo.read_bytes()
    seen: list[np.ndarray] = []
    real = TiledSegmenter.segment
    monkeypatch.setattr(TiledSegmenter, "segment", lambda self, image: seen.append(image.copy()) or real(self, image))
    if _swap_on_second_open not in getattr(sys, "_skyinspect_hooks", ()):
        sys.addaudithook(_swap_on_second_open)
        sys._skyinspect_hooks = (*getattr(sys, "_skyinspect_hooks", ()), _swap_on_second_open)  # type: ignore[attr-defined]
    opens: list[str] = []
    _SWAP[:] = [photo, lambda: _photo(photo, 1), opens]
    try:
        segment_images([photo], out, load_segmenter(flips=1, upscale=0), checked=True)
    finally:
        _SWAP.clear()
    assert len(opens) == 1  # read once: hashed, decoded and checked for transparency from the same bytes
    assert json.loads((out / "a.json").read_text())["source_sha256"] == hashlib.sha256(first).hexdigest()
    expected = cv2.imdecode(np.frombuffer(first, np.uint8), cv2.IMREAD_COLOR)
    assert len(seen) == 1 and np.array_equal(seen[0], expected)


def test_a_photo_changed_since_is_said_so_from_another_working_folder(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Found re-running `skyinspect segment` from another folder than the first run's (cd photos; segment
    . then segment /abs/photos): the record held the photo's path as typed ('photos/a.jpg'), read again
    against the new working folder, so a photo edited since was 'the results of another photo of this
    name (photos/a.jpg)' with 'segment into another --out folder' as the fix. The record now names the
    photo by its absolute path."""
    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    (tmp_path / "site" / "photos").mkdir(parents=True)
    _photo(tmp_path / "site" / "photos" / "a.jpg", 1)
    quick = ["--flips", "1", "--upscale", "0"]
    monkeypatch.chdir(tmp_path / "site")
    assert CliRunner().invoke(app, ["segment", "photos/a.jpg", "--out", "out", *quick]).exit_code == 0
    record = json.loads((tmp_path / "site" / "out" / "a.json").read_text())
    assert Path(record["source"]) == tmp_path / "site" / "photos" / "a.jpg"
    _photo(tmp_path / "site" / "photos" / "a.jpg", 2)  # edited in place
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["segment", str(tmp_path / "site" / "photos" / "a.jpg"), "--out",
                                      str(tmp_path / "site" / "out"), *quick])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "another photo of this name" not in said, said
    assert "holds the results of this photo as it was before it changed" in said
