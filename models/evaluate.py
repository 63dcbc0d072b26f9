"""Evaluate an exported model through the same tiled runtime path the drone uses.

Sets: UAV75 val (10, drone concrete), DeepCrack test_clean (218), corrosion held-out test split
(from models/data/corrosion_split.json), and for model selection only DeepCrack val (30 train images
held out, models/data/deepcrack_val.json) and the corrosion validation split. Metrics are pooled over all pixels of a set (per-image
values are in the JSON too): class IoU for the set's defect class (not a mean with background),
pixel precision/recall/F1, and for cracks a 2-px-tolerance F (distance transforms). Images are
segmented by the model's parallel workers (``segment_each``); ``sec_per_image`` is the set's wall
time over its images (reading, segmentation and scoring). ``labelled=`` (CLI ``--images/--masks/--mask-class``)
scores a user's own labelled photos the same way instead (models/labelled.py).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from models._progress import progress
from models.batch import check_writable, write_atomic
from models.no_data import without_no_data
from models.labelled import MASK_CLASSES, NO_DATA, LabelledExample, check_labelled, classes_of, pair_masks, read_labelled
from models.prepare import DEFAULT_SHARED, SPLIT_FILE, deepcrack_val_stems, enlarge, read_pair
from models import CRACK_RIDGE_LOW, FLIP_CHOICES, ONE_PASS_PROB_SHARPEN, POST_FLIGHT_FLIPS, POST_FLIGHT_UPSCALE
from skyinspect.errors import InputError, describe, file_in_the_way
from skyinspect.segmentation import CLASS_NAMES, CORROSION, CRACK, segment_each, settings_of

SETS: dict[str, tuple[str, str, int]] = {  # name -> (folder, list, class id)
    "uav75_val": ("cracks/uav75", "val.txt", CRACK),
    "deepcrack_test_clean": ("cracks/deepcrack", "test_clean.txt", CRACK),
    "deepcrack_val": ("cracks/deepcrack", "holdout:deepcrack", CRACK),  # model selection only
    "corrosion_val": ("corrosion/roboflow_corrosion", "split:val", CORROSION),  # model selection only
    "corrosion_test": ("corrosion/roboflow_corrosion", "split:test", CORROSION),
    # the DeepCrack hold-out enlarged: cracks up to ~50 px wide, where DeepCrack's training images
    # stop at ~25 px and a drone flown close to an open crack sees 30-100 (session 14; not in the rule)
    "deepcrack_val_wide": ("cracks/deepcrack", "holdout:deepcrack", CRACK),
}
SET_ZOOM: dict[str, float] = {"deepcrack_val_wide": 2.0}  # name -> enlargement (bilinear) of image and mask
TOL_PX = 2.0


def _dist_to(mask: np.ndarray) -> np.ndarray:
    """Distance (px) from every pixel to the nearest True pixel of ``mask`` (inf if none)."""
    if not mask.any():
        return np.full(mask.shape, np.inf, dtype=np.float32)
    return cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)


def pixel_counts(pred: np.ndarray, gt: np.ndarray, tolerance: float | None = None) -> dict[str, int]:
    """TP/FP/FN counts, plus tolerance-matched counts when ``tolerance`` is given."""
    c = {"tp": int((pred & gt).sum()), "fp": int((pred & ~gt).sum()), "fn": int((~pred & gt).sum()),
         "n_pred": int(pred.sum()), "n_gt": int(gt.sum())}
    if tolerance is not None:
        c["pred_near_gt"] = int((_dist_to(gt)[pred] <= tolerance).sum())  # tolerant precision numerator
        c["gt_near_pred"] = int((_dist_to(pred)[gt] <= tolerance).sum())  # tolerant recall numerator
    return c


def scores(c: dict[str, int]) -> dict[str, float | None]:
    """IoU / P / R / F1 (and tolerant P/R/F) from pooled counts; None where undefined."""
    def ratio(a: float, b: float) -> float | None:
        return a / b if b else None

    def f1(p: float | None, r: float | None) -> float | None:
        return None if p is None or r is None or p + r == 0 else 2 * p * r / (p + r)

    p, r = ratio(c["tp"], c["tp"] + c["fp"]), ratio(c["tp"], c["tp"] + c["fn"])
    out = {"iou": ratio(c["tp"], c["tp"] + c["fp"] + c["fn"]), "precision": p, "recall": r, "f1": f1(p, r)}
    if "pred_near_gt" in c:
        tp_, tr_ = ratio(c["pred_near_gt"], c["n_pred"]), ratio(c["gt_near_pred"], c["n_gt"])
        out.update({"tol_precision": tp_, "tol_recall": tr_, "tol_f": f1(tp_, tr_)})
    return out


def _stems(shared: Path, folder: str, lst: str) -> list[str]:
    if lst == "holdout:deepcrack":
        return deepcrack_val_stems()
    if lst.startswith("split:"):
        if not SPLIT_FILE.exists():
            raise InputError(describe(SPLIT_FILE, "corrosion split missing", "run `python -m models.prepare`"))
        return list(json.loads(SPLIT_FILE.read_text())["splits"][lst.split(":", 1)[1]])
    path = shared / folder / lst
    if not path.exists():
        raise InputError(describe(path, "split list not found", "check --shared points at shared/data"))
    return [s.strip() for s in path.read_text().splitlines() if s.strip()]


def read_example(shared: Path, folder: str, stem: str, zoom: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(BGR image, boolean truth mask at the image's size) of one evaluation example, read as the
    training data is (models.prepare.read_pair), both enlarged ``zoom`` times when it is not 1 (the
    mask resampled likewise and cut at half)."""
    img, gt = read_pair(shared / folder / "images", shared / folder / "masks", stem)
    if zoom != 1.0:
        img, gt = enlarge(img, gt, (round(img.shape[1] * zoom), round(img.shape[0] * zoom)))
    return img, gt


def _segmenter(model: Path | None, crack_refine: bool, flips: int, upscale: float | None, thresholds: bool,
               sharpen: bool | None, crack_ridge: float | None, wide_crack_scale: float | None) -> Any:
    """The segmenter as `skyinspect segment` runs it, with the evaluation's overrides (see evaluate)."""
    from models import load_segmenter

    sharpening = "auto" if sharpen is None else (ONE_PASS_PROB_SHARPEN if sharpen else None)
    seg = load_segmenter(model, flips=flips, spin_wait=True, upscale=upscale,  # as `skyinspect segment` runs it
                         crack_ridge_low=crack_ridge, prob_sharpen=sharpening,
                         wide_crack_scale="auto" if wide_crack_scale is None else wide_crack_scale)
    if not crack_refine:
        seg.crack_refine = None
    if not thresholds:
        seg.crack_threshold = seg.corrosion_threshold = None
    return seg


def _settings(seg: Any) -> dict[str, object]:
    return {**settings_of(seg), "tolerance_px": TOL_PX}


def score_set(seg: Any, name: str, keys: list[str], load: Callable[[str], tuple[np.ndarray, np.ndarray]],
              classes: tuple[int, ...]) -> tuple[dict[str, dict[str, object]], dict[str, list[dict[str, object]]]]:
    """(summary, per-image rows) of one set, each keyed ``name`` when it scores one class and
    ``name:<class>`` for each of several. ``load(key)`` gives (BGR image, uint8 truth of class ids,
    ``NO_DATA`` where the photo has none: nothing found or scored there, as `skyinspect segment` does);
    images go through the segmenter's parallel workers, a few ahead (as `skyinspect segment` runs)."""
    pooled: dict[int, dict[str, int]] = {c: {} for c in classes}
    rows: dict[int, list[dict[str, object]]] = {c: [] for c in classes}
    other_px, total_px = dict.fromkeys(classes, 0), 0
    truths: deque[np.ndarray] = deque()

    def image(key: str) -> np.ndarray:
        img, truth = load(key)
        truths.append(truth)
        return img

    t0 = time.perf_counter()
    with contextlib.closing(segment_each(seg, progress(keys, name), image)) as results:  # see models.batch
        for key, result in results:
            truth = truths.popleft()
            if isinstance(result, Exception):
                raise result
            missing = truth == NO_DATA
            if missing.any():  # an orthophoto tile's no data: cleared as segment clears it (models/no_data.py)
                result = without_no_data(result, missing, getattr(seg, "min_area", None))
            total_px += truth.size - int(np.count_nonzero(missing))
            for cls in classes:
                c = pixel_counts(result.class_map == cls, truth == cls, TOL_PX if cls == CRACK else None)
                for k, v in c.items():
                    pooled[cls][k] = pooled[cls].get(k, 0) + v
                # pixels given the *other* defect class: the crack/corrosion confusion the summary reports
                other = int(((result.class_map != 0) & (result.class_map != cls)).sum())
                other_px[cls] += other
                rows[cls].append({"stem": key, **c, **scores(c), "other_class_px": other,
                                  "n_instances": len(result.instances)})
    seconds = time.perf_counter() - t0
    summary, per_image = {}, {}
    for cls in classes:
        key = name if len(classes) == 1 else f"{name}:{CLASS_NAMES[cls]}"
        ious = [r["iou"] for r in rows[cls] if r["iou"] is not None]
        summary[key] = {"n_images": len(rows[cls]), "class": cls, **scores(pooled[cls]), "counts": pooled[cls],
                        "other_class_pixel_frac": other_px[cls] / max(total_px, 1),
                        "mean_image_iou": float(np.mean(ious)) if ious else None,
                        "sec_per_image": seconds / max(len(rows[cls]), 1)}
        per_image[key] = rows[cls]
    return summary, per_image


def evaluate(model: Path | None = None, out: Path = Path("/work/data/eval.json"), shared: Path = DEFAULT_SHARED,
             sets: list[str] | None = None, limit: int | None = None,
             crack_refine: bool = True, flips: int = POST_FLIGHT_FLIPS,
             upscale: float | None = POST_FLIGHT_UPSCALE, thresholds: bool = True,
             sharpen: bool | None = None, crack_ridge: float | None = CRACK_RIDGE_LOW,
             wide_crack_scale: float | None = None, labelled: tuple[Path, Path, str] | None = None) -> dict[str, object]:
    """Run the model over each set; write per-image JSON + summary to ``out``; return the summary.
    ``labelled``: (images folder, masks folder, mask class) of the user's own labelled photos
    (models.labelled), scored instead of the shipped sets;
    ``crack_refine=False`` measures the runtime without :func:`models.refine.refine_cracks`,
    ``sharpen`` True/False forces :func:`models.sharpen.sharpen_probs` on/off (None: as the runtime
    does for these passes, models.load_segmenter);
    ``thresholds=False`` ignores the class thresholds calibrated into the model (plain argmax, as the
    selection rule scores candidates that have not been calibrated yet);
    ``wide_crack_scale``: the reduced pass for open cracks (models.wide; None: as the runtime does for
    these passes, 0: none);
    ``flips``, ``upscale``, ``crack_ridge``: test-time passes and crack continuation, by default those
    of ``skyinspect segment`` (models.POST_FLIGHT_FLIPS, POST_FLIGHT_UPSCALE, CRACK_RIDGE_LOW;
    None or 0: no upscaled pass, no continuation)."""
    shared, out = Path(shared), Path(out)
    if limit is not None and limit < 1:  # 0 gave a KeyError traceback, -1 silently left out the last photo
        raise InputError(describe("--limit", f"expected a number of images >= 1, got {limit}",
                                  "leave it out to evaluate every image"))
    if out.is_dir():  # found only when writing, after every photo was segmented (a traceback)
        raise InputError(describe(out, "is a folder; expected the JSON file to write",
                                  f"give --out a file name, such as {out / 'eval.json'}"))
    if file_in_the_way(out.parent) is not None:
        raise InputError(describe(out, "lies inside a file, not a folder", "give --out a file in a folder"))
    check_writable(out.parent, "give --out a file in a folder you can write")  # else found after every set
    examples: dict[str, LabelledExample] = {}
    if labelled is not None:  # checked before the model loads: a wrong folder fails at once
        images, masks, mask_class = labelled
        classes = classes_of(mask_class)
        examples = {e.image.name: e for e in pair_masks(images, masks)[:limit]}
        check_labelled(list(examples.values()), mask_class)
    seg = _segmenter(model, crack_refine, flips, upscale, thresholds, sharpen, crack_ridge, wide_crack_scale)
    summary: dict[str, object] = _settings(seg)
    per_image: dict[str, list[dict[str, object]]] = {}
    if labelled is not None:
        summary["labelled"] = {"images": str(images), "masks": str(masks), "mask_class": mask_class}
        s, rows = score_set(seg, Path(images).resolve().name or "images", list(examples),
                            lambda k: read_labelled(examples[k], mask_class), classes)
        summary.update(s)
        per_image.update(rows)
    for name in (sets or list(SETS)) if labelled is None else ():
        folder, lst, cls = SETS[name]

        def load(stem: str, folder: str = folder, zoom: float = SET_ZOOM.get(name, 1.0),
                 cls: int = cls) -> tuple[np.ndarray, np.ndarray]:
            img, gt = read_example(shared, folder, stem, zoom)
            return img, gt.astype(np.uint8) * np.uint8(cls)

        s, rows = score_set(seg, name, _stems(shared, folder, lst)[:limit], load, (cls,))
        summary.update(s)
        per_image.update(rows)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, (json.dumps({"summary": summary, "per_image": per_image}, indent=1) + "\n").encode())
    except OSError as exc:  # no permission, a parent that is a file: say so rather than a traceback
        raise InputError(describe(out, f"cannot write the results ({exc.strerror or exc})",
                                  "give --out a file in a folder you can write")) from exc
    return summary


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m models.evaluate", description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=None, help="ONNX model (default: shipped)")
    p.add_argument("--out", type=Path, default=Path("/work/data/eval.json"), help="JSON report path")
    p.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    p.add_argument("--sets", nargs="*", choices=list(SETS), default=None)
    p.add_argument("--limit", type=int, default=None, help="first N images per set (quick checks)")
    p.add_argument("--no-crack-refine", action="store_true",
                   help="skip drawing crack masks back onto dark pixels (models/refine.py), for comparison")
    p.add_argument("--sharpen", dest="sharpen", action="store_true", default=None,
                   help="sharpen the class probabilities by the image (models/sharpen.py) whatever the passes")
    p.add_argument("--no-sharpen", dest="sharpen", action="store_false",
                   help="never sharpen them (default: as the runtime does, on for one pass only)")
    p.add_argument("--flips", type=int, choices=FLIP_CHOICES, default=POST_FLIGHT_FLIPS,
                   help="test-time flips averaged per image (1 = one pass, as onboard)")
    p.add_argument("--upscale", type=float, default=POST_FLIGHT_UPSCALE,
                   help="also segment each image enlarged by this factor and average (0: none, as onboard)")
    p.add_argument("--crack-ridge", type=float, default=CRACK_RIDGE_LOW,
                   help="continue cracks along their probability ridge down to this value "
                        "(0: none; onboard and segment use 0.3)")
    p.add_argument("--wide-crack-scale", type=float, default=None,
                   help="add the open cracks a pass over each image reduced by this factor finds (models/wide.py; "
                        "default: as the runtime does, 0.5 with several passes and none with one; 0: none)")
    p.add_argument("--images", type=Path, default=None,
                   help="score your own labelled photos in this folder instead of the shipped sets (models/labelled.py)")
    p.add_argument("--masks", type=Path, default=None, help="their masks (default: the --images folder)")
    p.add_argument("--mask-class", choices=list(MASK_CLASSES), default="crack",
                   help="what the masks mark: binary crack or corrosion masks, or class ids as `skyinspect segment` "
                        "writes them")
    a = p.parse_args(argv)
    labelled = (a.images, a.masks or a.images, a.mask_class) if a.images is not None else None
    summary = evaluate(a.model, a.out, a.shared, a.sets, a.limit, crack_refine=not a.no_crack_refine, flips=a.flips,
                       upscale=a.upscale, sharpen=a.sharpen, crack_ridge=a.crack_ridge,
                       wide_crack_scale=a.wide_crack_scale, labelled=labelled)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
