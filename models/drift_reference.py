"""Build the drift reference of a model: input statistics over its training images.

    python -m models.drift_reference --dataset /work/data/skyseg --out models/data/drift_reference.json

The statistics (skyinspect/drift.py) are taken the way the runtime takes them on flight frames,
including the model's own mean confidence, so flight and reference compare like with like.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2

from models._progress import progress
from skyinspect.atomic import write_atomic
from skyinspect.drift import DriftReference, frame_stats
from skyinspect.errors import InputError, describe

DEFAULT_OUT = Path(__file__).with_name("data") / "drift_reference.json"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


def build(dataset: Path, model: Path | None = None, out: Path = DEFAULT_OUT, split: str = "train",
          limit: int | None = None, show_progress: bool = True) -> DriftReference:
    """Statistics over ``dataset``/images/``split`` (an ultralytics dataset from models.prepare)."""
    from models import load_segmenter

    folder = Path(dataset) / "images" / split
    images = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
    if not images:
        raise InputError(describe(folder, "no training images found",
                                  "pass the dataset folder written by `skyinspect model prepare`"))
    images = images[:limit] if limit else images
    seg = load_segmenter(model)
    stats = []
    for path in progress(images, "drift reference", total=len(images)) if show_progress else images:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise InputError(describe(path, "cannot be read as an image"))
        stats.append(frame_stats(img, seg.predict_probs(img).max(axis=0)))
    ref = DriftReference.from_stats(seg.model_id, stats,
                                    source=f"{len(stats)} images of {folder.parent.parent.name}/images/{split}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, ref.to_json())
    return ref


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m models.drift_reference", description=__doc__.splitlines()[0])
    p.add_argument("--dataset", type=Path, required=True)
    p.add_argument("--model", type=Path, default=None)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--limit", type=int, default=None)
    a = p.parse_args(argv)
    ref = build(a.dataset, a.model, a.out, limit=a.limit)
    print(ref.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
