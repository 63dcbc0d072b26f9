"""Score a training run's saved epochs by the selection rule and say which to ship.

The rule (fixed in session 4, before any test set was run; models/MODEL_CARD.md): the mean of UAV75
val crack 2-px tolerance F, DeepCrack val crack IoU (30 training images held out,
``models/data/deepcrack_val.json``) and corrosion val IoU, each image in one pass, plain argmax (no
calibrated threshold: candidates are not calibrated yet), the rest as the runtime ships one pass
(crack refinement; since session 13 the probabilities sharpened and cracks continued along their
ridge, so a run scored before then is not comparable: ``--baseline`` re-scores the shipped model).
No test set is touched. Each checkpoint (``weights/epochN.pt``, written by ``models.train
--save-period 1``, and ``last.pt``) is exported to ONNX beside it and scored; ``--baseline`` scores
an existing ONNX model the same way. Needs the ``train`` extra (export).

    python -m models.select_epoch /work/data/runs/skyseg-v6 --baseline models/skyinspect-seg.onnx
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from skyinspect.atomic import write_atomic
from skyinspect.errors import InputError, describe

RULE_SETS = ("uav75_val", "deepcrack_val", "corrosion_val")
# scored beside the rule, not in it: the DeepCrack hold-out enlarged 2x (cracks wider than training's)
REPORTED_SETS = ("deepcrack_val_wide",)


def rule_score(summary: dict[str, dict[str, float]]) -> float:
    """(UAV75 val tol. F + DeepCrack val IoU + corrosion val IoU) / 3 from an evaluation summary."""
    try:
        terms = (summary["uav75_val"]["tol_f"], summary["deepcrack_val"]["iou"], summary["corrosion_val"]["iou"])
    except KeyError as exc:
        raise InputError(describe("evaluation summary", f"lacks {exc} needed by the selection rule")) from exc
    return float(sum(t or 0.0 for t in terms) / 3.0)


def checkpoints(run: Path) -> list[Path]:
    """The run's per-epoch weights in epoch order, then ``last.pt``."""
    weights = Path(run) / "weights"
    if not weights.is_dir():
        raise InputError(describe(run, "no weights/ folder: not an ultralytics run",
                                  "pass the folder models.train wrote (PROJECT/NAME)"))
    epochs = sorted(weights.glob("epoch*.pt"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))
    last = weights / "last.pt"
    found = epochs + ([last] if last.exists() else [])
    if not found:
        raise InputError(describe(weights, "holds no epochN.pt or last.pt",
                                  "train with --save-period 1 to keep every epoch"))
    return found


def score_model(onnx: Path, out: Path, shared: Path | None = None) -> dict[str, float]:
    from models.evaluate import evaluate
    from models.prepare import DEFAULT_SHARED

    summary = evaluate(model=onnx, out=out, shared=shared or DEFAULT_SHARED, sets=[*RULE_SETS, *REPORTED_SETS],
                       flips=1, upscale=None, thresholds=False)
    return {"rule": round(rule_score(summary), 4),  # type: ignore[arg-type]
            "uav75_val_tol_f": summary["uav75_val"]["tol_f"],  # type: ignore[index]
            "deepcrack_val_iou": summary["deepcrack_val"]["iou"],  # type: ignore[index]
            "corrosion_val_iou": summary["corrosion_val"]["iou"],  # type: ignore[index]
            "deepcrack_val_wide_iou": summary["deepcrack_val_wide"]["iou"]}  # type: ignore[index]


def select(run: Path, baseline: Path | None = None, shared: Path | None = None) -> dict[str, object]:
    """Export and score every saved epoch of ``run``; returns (and writes ``run/selection.json``) the
    scores and the best checkpoint. Checkpoints already scored (same file time) are not redone.
    ``epochN.pt`` is ultralytics' name for the weights after epoch N + 1 (it counts from 0)."""
    from models.export import export
    from models.train import require_train_extra

    run = Path(run)
    found = checkpoints(run)  # a wrong folder, or no way to export, is refused before anything is scored
    require_train_extra(f"exporting {run / 'weights'}")
    out = run / "selection.json"
    done: dict[str, dict[str, float]] = json.loads(out.read_text())["scores"] if out.exists() else {}
    if baseline is not None and done.get("baseline", {}).get("model") != str(baseline):
        done["baseline"] = {**score_model(Path(baseline), run / "eval_baseline.json", shared),
                            "model": str(baseline)}  # type: ignore[dict-item]
    for ckpt in found:
        mtime = ckpt.stat().st_mtime  # last.pt is rewritten while a run goes on: score it again then
        if ckpt.stem in done and done[ckpt.stem].get("mtime") == mtime:
            continue
        onnx = export(ckpt, run / "onnx" / f"{ckpt.stem}.onnx", model_id=f"candidate-{run.name}-{ckpt.stem}",
                      version="0.0.0")
        done[ckpt.stem] = {**score_model(onnx, run / "onnx" / f"eval_{ckpt.stem}.json", shared), "mtime": mtime}
        _write_json(out, {"scores": done})  # resumable after each epoch
    candidates = {k: v for k, v in done.items() if k != "baseline"}
    best = max(candidates, key=lambda k: candidates[k]["rule"])
    result = {"rule": "(UAV75 val tol. F + DeepCrack val IoU + corrosion val IoU) / 3, one pass, argmax",
              "scores": done, "best": best, "best_rule": candidates[best]["rule"]}
    _write_json(out, result)
    return result


def score_lines(result: dict[str, object]) -> list[str]:
    """One line per scored model, then the best (for the terminal)."""
    lines = [f"{name:>10}  rule {s['rule']:.4f}  UAV75 F {s['uav75_val_tol_f']:.3f}  DeepCrack val IoU "
             f"{s['deepcrack_val_iou']:.3f}  corrosion val IoU {s['corrosion_val_iou']:.3f}"
             + (f"  (wide cracks IoU {s['deepcrack_val_wide_iou']:.3f})" if "deepcrack_val_wide_iou" in s else "")
             for name, s in result["scores"].items()]  # type: ignore[union-attr]
    return lines + [f"best: {result['best']} ({result['best_rule']:.4f})"]


def _write_json(path: Path, doc: object) -> None:
    """Write-then-rename: an interrupted run leaves the previous scores, never half a file."""
    write_atomic(path, json.dumps(doc, indent=1) + "\n")


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m models.select_epoch", description=__doc__.splitlines()[0])
    p.add_argument("run", type=Path, help="the ultralytics run folder (PROJECT/NAME)")
    p.add_argument("--baseline", type=Path, default=None, help="an ONNX model to score the same way")
    p.add_argument("--shared", type=Path, default=None, help="shared/data folder")
    a = p.parse_args(argv)
    try:
        result = select(a.run, a.baseline, a.shared)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(score_lines(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
