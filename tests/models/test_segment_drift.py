"""`skyinspect segment` runs the model's input-drift check over the photos it was given (as a flight's
frames get in `skyinspect process`): a folder of under-exposed or blurred photos is flagged, a normal one
not. Synthetic concrete-like texture (no real photo needed: the check is on brightness, contrast,
sharpness and the model's confidence)."""

import json
from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _concrete(seed: int) -> np.ndarray:
    """Grey grain like a concrete face: inside every range of the shipped model's drift reference."""
    g = cv2.GaussianBlur(np.random.default_rng(seed).normal(150, 40, (240, 320)).astype(np.float32), (0, 0), 1.2)
    return np.clip(np.dstack([g, g + 3, g - 3]), 0, 255).astype(np.uint8)


def _said(result: object) -> str:
    return " ".join(result.output.split())  # type: ignore[attr-defined]


def _folder(path: Path, change=lambda img: img) -> Path:
    path.mkdir()
    for i in range(3):
        cv2.imwrite(str(path / f"p{i}.png"), change(_concrete(i)))
    return path


def _segment(photos: Path, out: Path) -> object:
    result = CliRunner().invoke(app, ["segment", str(photos), "--out", str(out), "--flips", "1", "--upscale", "0"])
    assert result.exit_code == 0, result.output
    return result


def test_a_folder_of_normal_photos_is_not_flagged(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _segment(_folder(tmp_path / "normal"), out)
    assert "drift check: 3 photos look like the training imagery" in _said(result)
    stats = json.loads((out / "p0.json").read_text())["frame_stats"]
    assert set(stats) == {"brightness", "contrast", "sharpness", "mean_confidence"}
    assert 140 < stats["brightness"] < 160
    # a rerun keeps the photos and still says it, from their records
    assert "drift check: 3 photos look like the training imagery" in _said(_segment(tmp_path / "normal", out))


def test_under_exposed_and_blurred_folders_are_flagged(tmp_path: Path) -> None:
    """Found running `skyinspect segment` on UAV75 and corrosion photos darkened to 0.15 of their values, and
    blurred (sigma 6 px): masks written and 'segmented 6 images', no word that the photos are unlike anything
    the model was trained on (`process` flags such a flight; the drift library flags these photos)."""
    dark = _segment(_folder(tmp_path / "dark", lambda img: (img * 0.15).astype(np.uint8)), tmp_path / "o1")
    assert "OUT OF DISTRIBUTION: brightness 22" in _said(dark) and "100% of photos outside" in _said(dark)
    assert "Treat these photos' masks with caution" in _said(dark)
    blurred = _segment(_folder(tmp_path / "blurred", lambda img: cv2.GaussianBlur(img, (0, 0), 6)), tmp_path / "o2")
    assert "OUT OF DISTRIBUTION:" in _said(blurred) and "sharpness 1" in _said(blurred)
    assert "brightness" not in _said(blurred)


def test_an_orthos_no_data_collar_is_not_read_as_a_dark_contrasty_photo(tmp_path: Path) -> None:
    """Found running `skyinspect segment` on 3 UAV75 val photos with a 55 % transparent black collar (as an
    orthomosaic's tiles have): 'OUT OF DISTRIBUTION: brightness 90.3 ...; contrast 86.9 (training
    8.53-74.8; 100% of photos outside)', where the same photos without the collar look like the training
    imagery: the collar's black was counted as picture."""
    photos = tmp_path / "ortho"
    photos.mkdir()
    yy, xx = np.mgrid[:240, :320]
    collar = (xx + yy < 250) | (xx - yy > 180)
    for i in range(3):
        img = _concrete(i)
        img[collar] = 0
        cv2.imwrite(str(photos / f"t{i}.png"), np.dstack([img, np.where(collar, 0, 255).astype(np.uint8)]))
    out = tmp_path / "out"
    result = _segment(photos, out)
    assert json.loads((out / "t0.json").read_text())["no_data_px"] == int(collar.sum())
    assert "drift check: 3 photos look like the training imagery" in _said(result), _said(result)
    assert 140 < json.loads((out / "t0.json").read_text())["frame_stats"]["brightness"] < 160
