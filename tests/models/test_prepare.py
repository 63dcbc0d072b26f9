"""models.prepare on a tiny synthetic copy of the shared data layout (no real images needed)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import models.prepare as prep
from skyinspect.errors import InputError


def _pair(folder: Path, stem: str, size: tuple[int, int], defect_box: tuple[int, int, int, int]) -> None:
    """An image whose defect pixels are darker, and its 0/255 mask."""
    h, w = size
    img = np.full((h, w, 3), 170, np.uint8)
    mask = np.zeros((h, w), np.uint8)
    x0, y0, x1, y1 = defect_box
    mask[y0:y1, x0:x1] = 255
    img[mask > 0] = 60
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "images" / f"{stem}.jpg"), img)
    cv2.imwrite(str(folder / "masks" / f"{stem}.png"), mask)


@pytest.fixture()
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "shared"
    root.mkdir()
    (root / "LICENSES.md").write_text("synthetic\n")
    uav = root / "cracks/uav75"
    for stem in ("u1", "u2", "v1"):
        _pair(uav, stem, (512, 512), (100, 250, 400, 253))
    (uav / "train.txt").write_text("u1\nu2\n")
    (uav / "val.txt").write_text("v1\n")
    dc = root / "cracks/deepcrack"
    for stem in ("d1", "d2", "d3"):
        _pair(dc, stem, (384, 544), (20, 190, 520, 196))
    (dc / "train.txt").write_text("d1\nd2\nd3\n")
    co = root / "corrosion/roboflow_corrosion"
    for stem in ("c1", "c2", "c3"):
        _pair(co, stem, (448, 448), (100, 100, 200, 200))  # inside every 384 crop of the photo
    monkeypatch.setattr(prep, "deepcrack_val_stems", lambda: ["d3"])
    monkeypatch.setattr(prep, "load_or_make_split", lambda shared, seed: {"train": ["c1", "c2"], "val": ["c3"],
                                                                           "test": []})
    return root


def _sizes(folder: Path) -> set[tuple[int, int]]:
    return {cv2.imread(str(p), cv2.IMREAD_GRAYSCALE).shape for p in folder.glob("*.png")}


def test_v5_recipe_counts_and_layout(shared: Path, tmp_path: Path) -> None:
    yaml = prep.prepare(shared, tmp_path / "ds", uav_crops_per_image=4, corrosion_train_max=10, seed=7)
    counts = json.loads((tmp_path / "ds/counts.json").read_text())
    assert counts["uav75_train_crops"] == 8 and counts["uav75_train_files"] == 16  # 2 images x 4 crops x 2 copies
    assert counts["deepcrack_train"] == 2 and counts["deepcrack_val"] == 1
    assert counts["corrosion_train"] == 2 and counts["corrosion_val"] == 1
    assert "masks_dir: masks" in yaml.read_text()
    train = tmp_path / "ds/images/train"
    assert {p.name for p in train.glob("deepcrack_*")} == {"deepcrack_d1.png", "deepcrack_d2.png"}
    # every training input is one 384-px model tile; corrosion photos are resized to it whole
    assert _sizes(tmp_path / "ds/masks/train") == {(384, 384)}
    rust = cv2.imread(str(tmp_path / "ds/masks/train/corrosion_c1.png"), cv2.IMREAD_GRAYSCALE)
    assert set(np.unique(rust)) == {0, 2} and (rust == 2).sum() == pytest.approx((100 * 384 / 448) ** 2, rel=0.05)


def test_more_deepcrack_crops_and_native_scale_corrosion(shared: Path, tmp_path: Path) -> None:
    prep.prepare(shared, tmp_path / "ds", uav_crops_per_image=2, corrosion_train_max=10, seed=7,
                 deepcrack_crops=3, corrosion_native=True, field_degrade=False)
    counts = json.loads((tmp_path / "ds/counts.json").read_text())
    assert counts["deepcrack_train"] == 6  # 2 training images x 3 crops; the held-out one stays whole
    names = {p.name for p in (tmp_path / "ds/images/train").glob("deepcrack_*")}
    assert names == {f"deepcrack_d{i}{k}.png" for i in (1, 2) for k in ("", "_1", "_2")}
    assert _sizes(tmp_path / "ds/masks/train") == {(384, 384)}
    # cropped at the photo's own scale: the 100x100 px rust patch stays 100x100 px
    for stem in ("c1", "c2"):
        rust = cv2.imread(str(tmp_path / f"ds/masks/train/corrosion_{stem}.png"), cv2.IMREAD_GRAYSCALE) == 2
        assert rust.sum() == 100 * 100
    # validation photos are resized whole either way
    assert cv2.imread(str(tmp_path / "ds/masks/val/corrosion_c3.png"), cv2.IMREAD_GRAYSCALE).shape == (384, 384)


def test_one_crop_is_the_same_dataset_as_before(shared: Path, tmp_path: Path) -> None:
    """deepcrack_crops=1 draws the same random numbers as the code that built v5's data."""
    prep.prepare(shared, tmp_path / "a", uav_crops_per_image=2, seed=3, field_degrade=False)
    prep.prepare(shared, tmp_path / "b", uav_crops_per_image=2, seed=3, field_degrade=False, deepcrack_crops=1)
    for p in (tmp_path / "a/images/train").iterdir():
        assert np.array_equal(cv2.imread(str(p)), cv2.imread(str(tmp_path / "b/images/train" / p.name)))


def test_zoomed_crops_widen_the_cracks_and_leave_the_rest_alone(shared: Path, tmp_path: Path) -> None:
    prep.prepare(shared, tmp_path / "a", uav_crops_per_image=2, seed=3, field_degrade=False)
    prep.prepare(shared, tmp_path / "b", uav_crops_per_image=2, seed=3, field_degrade=False, zoom_crops=2)
    counts = json.loads((tmp_path / "b/counts.json").read_text())
    assert counts["deepcrack_train_zoomed"] == 4  # 2 training images x 2; the held-out one gets none
    zoomed = sorted((tmp_path / "b/masks/train").glob("zoom_*"))
    assert [p.name for p in zoomed] == [f"zoom_deepcrack_d{i}_{k}.png" for i in (1, 2) for k in (0, 1)]
    for p in zoomed:  # the 6-px crack line, 1.5-2.5x as wide, in a 384-px tile
        crack = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) == 1
        assert crack.shape == (384, 384)
        assert 1.4 * 6 <= crack.any(axis=1).sum() <= 2.6 * 6 and crack.any(axis=0).sum() > 100
    for p in (tmp_path / "a/images/train").iterdir():  # every other crop as without them
        assert np.array_equal(cv2.imread(str(p)), cv2.imread(str(tmp_path / "b/images/train" / p.name)))


def test_bad_arguments_name_the_problem(shared: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least 1 crop"):
        prep.prepare(shared, tmp_path / "ds", deepcrack_crops=0)
    with pytest.raises(InputError, match="0 or more crops"):
        prep.prepare(shared, tmp_path / "ds", zoom_crops=-1)
    with pytest.raises(InputError, match="inside the repository"):
        prep.prepare(shared, prep.REPO_ROOT / "dataset-here")
    with pytest.raises(InputError, match="LICENSES.md"):
        prep.prepare(tmp_path, tmp_path / "ds")
    assert prep.main(["--shared", str(shared), "--out", str(tmp_path / "ds"), "--deepcrack-crops", "0"]) == 2


def test_cli_prepare_takes_the_recipe_options(shared: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    result = CliRunner().invoke(app, ["model", "prepare", "--shared", str(shared), "--out", str(tmp_path / "ds"),
                                      "--uav-crops", "2", "--deepcrack-crops", "2", "--corrosion-native",
                                      "--no-field-degrade"])
    assert result.exit_code == 0, result.output
    counts = json.loads((tmp_path / "ds/counts.json").read_text())
    assert counts["uav75_train_crops"] == 4 and counts["deepcrack_train"] == 4
    assert "deepcrack_train_degraded" not in counts
    bad = CliRunner().invoke(app, ["model", "prepare", "--shared", str(shared), "--out", str(tmp_path / "x"),
                                   "--deepcrack-crops", "0"])
    assert bad.exit_code == 2 and "at least 1 crop" in bad.output


def test_cli_train_passes_the_fine_tune_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Wiring only: the shipped model's recipe (MODEL_CARD.md) must be expressible from the CLI."""
    from typer.testing import CliRunner

    import models.train
    from skyinspect.cli.main import app

    seen: dict[str, object] = {}
    monkeypatch.setattr(models.train, "train", lambda **kw: seen.update(kw) or tmp_path / "best.pt")
    result = CliRunner().invoke(app, ["model", "train", "--data", str(tmp_path / "d.yaml"), "--hours", "1.25",
                                      "--init", str(tmp_path / "v5.pt"), "--lr0", "0.0003", "--warmup-epochs", "0",
                                      "--cls-pw", "1.0", "--seed", "3", "--save-period", "1", "--name", "v6"])
    assert result.exit_code == 0, result.output
    assert seen["init"] == tmp_path / "v5.pt" and seen["lr0"] == 0.0003 and seen["warmup_epochs"] == 0
    assert seen["cls_pw"] == 1.0 and seen["seed"] == 3 and seen["save_period"] == 1 and seen["name"] == "v6"
