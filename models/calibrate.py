"""Calibrate the decision thresholds of an exported model on validation splits.

    python -m models.calibrate --model models/skyinspect-seg.onnx --out cal.json [--write]

Cracks: thin cracks are ~0.2 % of a drone frame's pixels; a model trained on them is rarely
confident enough for its crack probability to win an argmax against the background around a 1-2 px
line. A threshold on the crack probability is swept over the UAV75 *validation* images (drone-shot
concrete, the in-domain split the model selection already uses) and the one with the best
2-px-tolerance F is chosen. Corrosion: the opposite failure - the argmax paints rust wider than the
annotators do (held-out precision 0.48, recall 0.83) - so a minimum corrosion probability is swept
over the corrosion *validation* split (never trained on; the test split stays untouched) and the
one with the best IoU is chosen. Both run through the runtime exactly as in flight. ``--write``
stores them in the model's metadata (``skyinspect.crack_threshold`` /
``skyinspect.corrosion_threshold``; needs the ``onnx`` package of the train extra), where the
runtime picks them up. Numbers on the same split are then optimistic: report the test sets beside them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from models import FLIP_CHOICES
from models._progress import progress
from models.decide import class_map_from_probs
from models.evaluate import SETS, TOL_PX, _stems, pixel_counts, read_example, scores
from models.prepare import DEFAULT_SHARED
from models.refine import extend_along_ridges, refine_cracks
from models.sharpen import sharpen_probs
from skyinspect.errors import InputError, describe
from skyinspect.segmentation import CORROSION, CRACK

THRESHOLDS = (None, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45)  # None = plain argmax
CORROSION_THRESHOLDS = (None, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93)
CORROSION_VAL = ("corrosion/roboflow_corrosion", "split:val")
# A crack threshold *above* argmax (a pixel stays crack only where its crack probability reaches it):
# the precision side, swept on both crack validation splits of the selection rule (session 13)
ABOVE_ARGMAX = (None, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85)
ABOVE_ARGMAX_SPLITS = ("uav75_val", "deepcrack_val")


def _pooled_sweep(seg: object, shared: Path, folder: str, lst: str, label: str, cls: int, tolerance: float | None,
                  thresholds: tuple[float | None, ...],
                  class_map_at: Callable[[np.ndarray, float | None], np.ndarray]) -> list[dict[str, object]]:
    """Pixel counts of ``cls`` pooled over a split, one row of scores per threshold (each image
    goes through the model once; ``class_map_at(probs, t)`` makes the decision at threshold t, then
    the runtime's crack continuation and refinement run on it, and the probabilities are sharpened
    first, where the segmenter does so)."""
    refine = getattr(seg, "crack_refine", None)
    sharpen = getattr(seg, "prob_sharpen", None)
    ridge = getattr(seg, "crack_ridge_low", None)
    pooled: dict[float | None, dict[str, int]] = {t: {} for t in thresholds}
    for stem in progress(_stems(shared, folder, lst), label):
        img, gt = read_example(shared, folder, stem)
        probs = seg.predict_probs(img)  # type: ignore[attr-defined]
        if sharpen is not None:
            probs = sharpen_probs(np.asarray(probs, dtype=np.float32), img, *sharpen)
        for t in thresholds:
            class_map = class_map_at(probs, t)
            if ridge is not None:
                class_map = extend_along_ridges(class_map, probs[CRACK], ridge, CORROSION)
            if refine is not None:
                class_map = refine_cracks(class_map, img, *refine)
            for k, v in pixel_counts(class_map == cls, gt, tolerance).items():
                pooled[t][k] = pooled[t].get(k, 0) + v
    return [{"threshold": t, **scores(c)} for t, c in pooled.items()]


def sweep(model: Path | None = None, shared: Path = DEFAULT_SHARED, split: str = "uav75_val",
          thresholds: tuple[float | None, ...] = THRESHOLDS, flips: int = 1) -> dict[str, object]:
    """Pooled crack scores per threshold on ``split``; the best by tolerance F is ``chosen``."""
    from models import load_segmenter

    seg = load_segmenter(model, flips=flips)
    folder, lst, cls = SETS[split]
    if cls != CRACK:
        raise InputError(describe(split, "expected a crack split to calibrate the crack threshold"))
    rows = _pooled_sweep(seg, Path(shared), folder, lst, f"calibrate on {split}", CRACK, TOL_PX, thresholds,
                         lambda probs, t: class_map_from_probs(probs, t)[0])
    best = max(rows, key=lambda r: r["tol_f"] or 0.0)
    return {"model_id": seg.model_id, "split": split, "rows": rows, "chosen": best["threshold"],
            "chosen_tol_f": best["tol_f"]}


def sweep_corrosion(model: Path | None = None, shared: Path = DEFAULT_SHARED,
                    thresholds: tuple[float | None, ...] = CORROSION_THRESHOLDS, flips: int = 1) -> dict[str, object]:
    """Pooled corrosion scores per minimum corrosion probability on the corrosion validation split;
    the best by IoU is ``chosen``."""
    from models import load_segmenter

    seg = load_segmenter(model, flips=flips)
    folder, lst = CORROSION_VAL
    rows = _pooled_sweep(seg, Path(shared), folder, lst, "calibrate on corrosion val", CORROSION, None, thresholds,
                         lambda probs, t: class_map_from_probs(probs, seg.crack_threshold, t)[0])
    best = max(rows, key=lambda r: r["iou"] or 0.0)
    return {"model_id": seg.model_id, "split": "corrosion_val", "rows": rows, "chosen": best["threshold"],
            "chosen_iou": best["iou"]}


def demote_weak_cracks(class_map: np.ndarray, probs: np.ndarray, threshold: float | None) -> np.ndarray:
    """``class_map`` with its crack pixels whose crack probability is below ``threshold`` given to
    the likelier of background and corrosion (a new array; None leaves the map as it is)."""
    if threshold is None:
        return class_map
    weak = (class_map == CRACK) & (probs[CRACK] < threshold)
    out = class_map.copy()
    if probs.shape[0] > CORROSION:
        out[weak] = np.where(probs[CORROSION][weak] > probs[0][weak], CORROSION, 0)
    else:
        out[weak] = 0
    return out


def sweep_above_argmax(model: Path | None = None, shared: Path = DEFAULT_SHARED,
                       thresholds: tuple[float | None, ...] = ABOVE_ARGMAX,
                       splits: tuple[str, ...] = ABOVE_ARGMAX_SPLITS) -> dict[str, list[dict[str, object]]]:
    """Pooled crack scores per split for crack thresholds above argmax (one pass, as the selection
    rule scores): does trading recall for precision pay on either crack term of the rule?"""
    from models import load_segmenter

    seg = load_segmenter(model, flips=1)
    out = {}
    for split in splits:
        folder, lst, _cls = SETS[split]
        out[split] = _pooled_sweep(seg, Path(shared), folder, lst, f"above argmax on {split}", CRACK, TOL_PX,
                                   thresholds, lambda probs, t: demote_weak_cracks(class_map_from_probs(
                                       probs, None, seg.corrosion_threshold)[0], probs, t))
    return out


def write_threshold(model: Path, threshold: float | None, key: str = "skyinspect.crack_threshold") -> None:
    """Store (or, for None, remove) a threshold key in the ONNX file, atomically."""
    from models.export import write_metadata

    if threshold is None:
        write_metadata(Path(model), {}, remove=(key,))
    else:
        write_metadata(Path(model), {key: repr(float(threshold))})


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m models.calibrate", description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=None)
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    p.add_argument("--out", type=Path, default=None, help="JSON with the sweep")
    p.add_argument("--write", action="store_true", help="store the chosen threshold in the model file")
    p.add_argument("--flips", type=int, choices=FLIP_CHOICES, default=1, help="test-time flips of the probabilities swept")
    p.add_argument("--above-argmax", action="store_true", help="only sweep crack thresholds above argmax on UAV75 "
                   "val and the DeepCrack val hold-out (a study: nothing is stored)")
    a = p.parse_args(argv)
    if a.above_argmax:
        rows = sweep_above_argmax(a.model, a.shared)
        for split, split_rows in rows.items():
            for r in split_rows:
                print(f"{split} crack threshold {str(r['threshold']):>5}: IoU {r['iou'] or 0:.3f}  "
                      f"tol P {r['tol_precision'] or 0:.3f}  tol R {r['tol_recall'] or 0:.3f}  "
                      f"tol F {r['tol_f'] or 0:.3f}")
        if a.out:
            a.out.write_text(json.dumps(rows, indent=1))
        return 0
    result = sweep(a.model, a.shared, flips=a.flips)
    for r in result["rows"]:  # type: ignore[union-attr]
        print(f"crack threshold {str(r['threshold']):>5}: IoU {r['iou'] or 0:.3f}  tol P {r['tol_precision'] or 0:.3f}  "
              f"tol R {r['tol_recall'] or 0:.3f}  tol F {r['tol_f'] or 0:.3f}")
    print(f"chosen: {result['chosen']} (tol F {result['chosen_tol_f']:.3f})")
    corrosion = sweep_corrosion(a.model, a.shared, flips=a.flips)
    for r in corrosion["rows"]:  # type: ignore[union-attr]
        print(f"corrosion threshold {str(r['threshold']):>5}: IoU {r['iou'] or 0:.3f}  P {r['precision'] or 0:.3f}  "
              f"R {r['recall'] or 0:.3f}")
    print(f"chosen: {corrosion['chosen']} (IoU {corrosion['chosen_iou']:.3f})")
    if a.out:
        a.out.write_text(json.dumps({"crack": result, "corrosion": corrosion}, indent=1))
    if a.write:
        from models import DEFAULT_MODEL_PATH

        write_threshold(a.model or DEFAULT_MODEL_PATH, result["chosen"])  # type: ignore[arg-type]
        write_threshold(a.model or DEFAULT_MODEL_PATH, corrosion["chosen"],  # type: ignore[arg-type]
                        "skyinspect.corrosion_threshold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
