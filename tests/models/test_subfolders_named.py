"""`skyinspect segment` on a folder and its subfolders named together (what the subfolder note tells a user
to do): the note no longer says the named ones are left out."""

from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _photo(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), (np.random.default_rng(0).random((40, 60, 3)) * 60 + 120).astype(np.uint8))


def _said(result: object) -> str:
    return " ".join(result.output.split())  # type: ignore[attr-defined]


def test_a_subfolder_named_too_is_not_said_to_be_left_out(tmp_path: Path) -> None:
    """Found running `skyinspect segment mix mix/sub --out out` (the note's own advice, UAV75 photos):
    'segmented 7 images' with rot8.jpg of mix/sub among them, and 'note: left out 1 photo(s) in subfolders
    of mix, mix/sub: sub (1); pass those folders to segment them too'."""
    card = tmp_path / "card"
    for name in ("top.jpg", "flight1/a.jpg", "flight2/b.jpg", "flight2/c.jpg", "flight2/deeper/d.jpg"):
        _photo(card / name)
    run = ["--out", str(tmp_path / "out"), "--flips", "1", "--upscale", "0"]
    result = CliRunner().invoke(app, ["segment", str(card), str(card / "flight1"), *run])
    assert result.exit_code == 0, result.output
    assert "segmented 2 images" in _said(result)
    # flight1 was named: only flight2's three photos are left out
    assert f"left out 3 photo(s) in subfolders of {card}: flight2 (3); pass those" in _said(result)
    # every photo of flight2 named one by one (the shell's card/flight2/*), its deeper folder not
    result = CliRunner().invoke(app, ["segment", str(card), str(card / "flight1"), str(card / "flight2" / "b.jpg"),
                                      str(card / "flight2" / "c.jpg"), *run])
    assert result.exit_code == 0, result.output
    assert "segmented 2 images" in _said(result) and "2 done before" in _said(result)
    assert f"left out 1 photo(s) in subfolders of {card}: flight2 (1); pass those" in _said(result)
    # all of them named: no note at all
    result = CliRunner().invoke(app, ["segment", str(card), str(card / "flight1"), str(card / "flight2"),
                                      str(card / "flight2" / "deeper"), *run])
    assert result.exit_code == 0, result.output
    assert "subfolders" not in _said(result)
