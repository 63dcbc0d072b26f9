"""The selection rule and the run-folder walk of models.select_epoch (export/evaluation need the
train extra and the shared data; they are exercised by running the module, not here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.select_epoch import checkpoints, main, rule_score
from skyinspect.errors import InputError


def test_rule_is_the_mean_of_the_three_validation_terms() -> None:
    summary = {"uav75_val": {"tol_f": 0.795, "iou": 0.27}, "deepcrack_val": {"iou": 0.718, "tol_f": 0.9},
               "corrosion_val": {"iou": 0.555}}
    assert rule_score(summary) == pytest.approx((0.795 + 0.718 + 0.555) / 3)
    # a set with nothing predicted scores None for a term: it counts as 0, not as a skipped term
    assert rule_score({**summary, "corrosion_val": {"iou": None}}) == pytest.approx((0.795 + 0.718) / 3)
    with pytest.raises(InputError, match="deepcrack_val"):
        rule_score({"uav75_val": {"tol_f": 0.8}, "corrosion_val": {"iou": 0.5}})


def test_checkpoints_in_epoch_order_then_last(tmp_path: Path) -> None:
    weights = tmp_path / "run/weights"
    weights.mkdir(parents=True)
    for name in ("epoch10.pt", "epoch2.pt", "epoch1.pt", "last.pt", "best.pt"):
        (weights / name).write_bytes(b"")
    assert [p.name for p in checkpoints(tmp_path / "run")] == ["epoch1.pt", "epoch2.pt", "epoch10.pt", "last.pt"]


def test_a_folder_that_is_not_a_run_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InputError, match="no weights"):
        checkpoints(tmp_path)
    (tmp_path / "weights").mkdir()
    with pytest.raises(InputError, match="save-period"):
        checkpoints(tmp_path)
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "no weights" in capsys.readouterr().err


def test_cli_select_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    result = CliRunner().invoke(app, ["model", "select", str(tmp_path)])
    assert result.exit_code == 2 and "no weights/ folder" in result.output


def test_select_scores_each_epoch_once_and_names_the_best(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Export and evaluation replaced by doubles: the walk, the resume and the choice are what is tested."""
    import json
    import os

    import models.export
    import models.select_epoch as sel
    import models.train

    weights = tmp_path / "run/weights"
    weights.mkdir(parents=True)
    for name in ("epoch0.pt", "epoch1.pt", "last.pt"):
        (weights / name).write_bytes(b"")
    rules = {"epoch0": 0.60, "epoch1": 0.70, "last": 0.65, "v5": 0.68}
    scored: list[str] = []
    monkeypatch.setattr(models.export, "export", lambda ckpt, out, **kw: out.parent / f"{Path(ckpt).stem}.onnx")

    def fake_score(onnx: Path, out: Path, shared: Path | None = None) -> dict[str, float]:
        scored.append(onnx.stem)
        r = rules[onnx.stem]
        return {"rule": r, "uav75_val_tol_f": r, "deepcrack_val_iou": r, "corrosion_val_iou": r}

    monkeypatch.setattr(sel, "score_model", fake_score)
    monkeypatch.setattr(models.train, "require_train_extra", lambda what: None)
    result = sel.select(tmp_path / "run", baseline=tmp_path / "v5.onnx")
    assert result["best"] == "epoch1" and result["best_rule"] == 0.70  # the baseline is never "best"
    assert scored == ["v5", "epoch0", "epoch1", "last"]
    assert json.loads((tmp_path / "run/selection.json").read_text())["best"] == "epoch1"
    sel.select(tmp_path / "run", baseline=tmp_path / "v5.onnx")  # nothing new: nothing re-scored
    assert len(scored) == 4
    (weights / "last.pt").write_bytes(b"x")  # the run wrote last.pt again
    os.utime(weights / "last.pt", (1e9, 1e9))
    sel.select(tmp_path / "run", baseline=tmp_path / "v5.onnx")
    assert scored[4:] == ["last"]


def test_without_the_train_extra_select_says_how_to_install_it(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "epoch0.pt").write_bytes(b"")
    result = CliRunner().invoke(app, ["model", "select", str(tmp_path)])
    assert result.exit_code == 2 and "train extra" in result.output and "torch" in result.output
    assert "'.[train]'" in result.output  # not eaten as rich markup
    export = CliRunner().invoke(app, ["model", "export", str(tmp_path / "weights" / "epoch0.pt"),
                                      "--out", str(tmp_path / "m.onnx")])
    assert export.exit_code == 2 and "pip install" in export.output
    assert not (tmp_path / "m.onnx").exists()


def test_score_lines_name_every_model_and_the_best() -> None:
    from models.select_epoch import score_lines

    s = {"rule": 0.7, "uav75_val_tol_f": 0.8, "deepcrack_val_iou": 0.7, "corrosion_val_iou": 0.6}
    lines = score_lines({"scores": {"baseline": s, "epoch3": s}, "best": "epoch3", "best_rule": 0.7})
    assert len(lines) == 3 and "baseline" in lines[0] and lines[-1] == "best: epoch3 (0.7000)"
