"""Train the crack+corrosion semantic segmenter (ultralytics YOLO26n-sem) from scratch, offline.

torch/ultralytics are imported inside ``train`` only: the runtime install has neither.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from skyinspect.errors import InputError, ModelError, describe

DEFAULT_DATA = Path("/work/data/skyseg/skyseg.yaml")
DEFAULT_PROJECT = Path("/work/data/runs")
MODEL_CFG = "yolo26n-sem.yaml"  # architecture only; no pretrained weights can be downloaded


TRAIN_EXTRA_FIX = ("pip install torch==2.14.1 torchvision==0.29.1 && pip install -e '.[train]' "
                   "(the runtime install has neither torch nor ultralytics)")


def require_train_extra(what: object, also: tuple[str, ...] = ()) -> None:
    """A clear error, naming ``what`` needed them, when torch or ultralytics (or another module of
    the train extra named in ``also``) is not installed."""
    import importlib.util

    missing = [m for m in ("torch", "ultralytics", *also) if importlib.util.find_spec(m) is None]
    if missing:
        raise ModelError(describe(what, f"needs the train extra; {', '.join(missing)} not installed",
                                  TRAIN_EXTRA_FIX))


def _offline_env() -> None:
    """Stop ultralytics reaching the network (fonts, assets, pip auto-installs, telemetry)."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    font = Path.home() / ".config/Ultralytics/Arial.ttf"
    if not font.exists():
        for cand in (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),):
            if cand.exists():
                font.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(cand, font)
                break


def train(data: Path = DEFAULT_DATA, epochs: int = 300, hours: float | None = 0.9, imgsz: int = 384,
          batch: int = 16, workers: int = 2, project: Path = DEFAULT_PROJECT, name: str = "skyseg",
          fraction: float = 1.0, seed: int = 0, device: str = "cpu", init: Path | None = None,
          cls_pw: float = 0.5, lr0: float | None = None, warmup_epochs: float = 3.0,
          save_period: int = -1, skeleton_recall: float = 0.0) -> Path:
    """Train and return the path of ``best.pt``.

    ``hours`` caps wall-clock time (ultralytics' ``time=`` overrides ``epochs`` and rescales the LR
    schedule to the time budget), so a CPU run ends on schedule with a finished cosine/linear decay.
    ``init`` continues from an earlier ``best.pt`` (fine-tuning) instead of starting from scratch;
    ``lr0`` overrides the AdamW learning rate (a second fine-tune of an already fine-tuned model
    starts lower so it does not undo the first); ``warmup_epochs`` 0 skips ultralytics' warm-up,
    whose bias learning rate starts at 0.1 (meant for random weights). Measured in session 6: the
    first epoch of a fine-tune from v4 dropped the UAV75 validation F from 0.76 to 0.49 with the
    warm-up and to 0.52 without it, so the warm-up is not what costs the first epochs.
    ``save_period`` N > 0 keeps every N-th epoch's weights (``weights/epochN.pt``), so each can be
    exported and scored by the selection rule (MODEL_CARD.md) rather than by ultralytics' own fitness.
    ``skeleton_recall`` W > 0 adds W x the skeleton recall of the crack class to the loss
    (models/skeleton_loss.py).
    """
    data = Path(data)
    if not data.exists():
        raise InputError(describe(data, "dataset YAML not found", "run `python -m models.prepare` first"))
    require_train_extra("training")
    _offline_env()
    from ultralytics import YOLO  # lazy: heavy, and absent from the runtime install
    from ultralytics.utils import torch_utils

    # ultralytics pins CPU training to cpu_count - 1 torch threads (1 on a 2-core machine: 2.5x
    # slower per batch, measured); the data loader runs in the main process on CPU anyway.
    torch_utils.NUM_THREADS = os.cpu_count() or 1

    if init is not None and not Path(init).exists():
        raise InputError(describe(Path(init), "checkpoint to continue from not found", "pass a best.pt"))
    model = YOLO(str(init) if init else MODEL_CFG, task="semantic")
    if skeleton_recall > 0:
        _add_skeleton_recall(skeleton_recall)
    args: dict[str, object] = dict(
        data=str(data), epochs=epochs, imgsz=imgsz, batch=batch, workers=workers, device=device,
        project=str(project), name=name, exist_ok=True, pretrained=init is not None, seed=seed, fraction=fraction,
        amp=False, plots=False, val=True, patience=1000, cache="ram",
        # Field augmentations: lighting/colour shifts, altitude (scale), heading (flips, rotation).
        hsv_h=0.015, hsv_s=0.5, hsv_v=0.4, scale=0.3, fliplr=0.5, flipud=0.5, degrees=15.0,
        translate=0.1, mosaic=0.5, close_mosaic=3,
        # Cracks are ~1-3% of pixels: ENet-style inverse-log class weights, damped.
        cls_pw=cls_pw,
        # Fixed, not 'auto': auto picks MuSGD once epochs x batches > 10,000, and a time-capped run
        # asks for 300 epochs; MuSGD's Newton-Schulz step took 72 % of a CPU batch (py-spy), twice the
        # time per epoch of AdamW, whose lr is what auto gives 3 classes (0.002 * 5 / (4 + 3)).
        optimizer="AdamW", lr0=lr0 if lr0 else round(0.002 * 5 / (4 + 3), 6), momentum=0.9,
        warmup_epochs=warmup_epochs, save_period=save_period,
    )
    if hours:
        args["time"] = hours
    model.train(**args)
    best = Path(project) / name / "weights" / "best.pt"
    return best


def _add_skeleton_recall(weight: float) -> None:
    """Every semantic model's criterion from now on gets the skeleton recall term: the trainer builds
    its own model and criterion, so the class's ``init_criterion`` is what can be changed."""
    from ultralytics.nn.tasks import SemanticSegmentationModel

    from models.skeleton_loss import with_skeleton_recall

    base = SemanticSegmentationModel.init_criterion
    if getattr(base, "_skeleton_recall", None) == weight:
        return

    def init_criterion(self):  # type: ignore[no-untyped-def]
        return with_skeleton_recall(base(self), weight)

    init_criterion._skeleton_recall = weight  # type: ignore[attr-defined]
    SemanticSegmentationModel.init_criterion = init_criterion  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m models.train", description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--epochs", type=int, default=300, help="upper bound; --hours usually ends it first")
    p.add_argument("--hours", type=float, default=0.9, help="wall-clock cap (0 = epochs only)")
    p.add_argument("--imgsz", type=int, default=384)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--project", type=Path, default=DEFAULT_PROJECT)
    p.add_argument("--name", default="skyseg")
    p.add_argument("--fraction", type=float, default=1.0, help="train on a fraction (smoke tests)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--init", type=Path, default=None, help="continue from this best.pt (fine-tune)")
    p.add_argument("--cls-pw", type=float, default=0.5, help="class-weight power (0 = unweighted)")
    p.add_argument("--lr0", type=float, default=None, help="AdamW learning rate (default 0.001429)")
    p.add_argument("--warmup-epochs", type=float, default=3.0, help="0 for a fine-tune (see train())")
    p.add_argument("--save-period", type=int, default=-1, help="keep every N-th epoch's weights (-1: none)")
    p.add_argument("--skeleton-recall", type=float, default=0.0,
                   help="weight of the crack skeleton recall loss term (0: off; models/skeleton_loss.py)")
    a = p.parse_args(argv)
    best = train(a.data, a.epochs, a.hours or None, a.imgsz, a.batch, a.workers, a.project, a.name,
                 a.fraction, a.seed, init=a.init, cls_pw=a.cls_pw, lr0=a.lr0,
                 warmup_epochs=a.warmup_epochs, save_period=a.save_period, skeleton_recall=a.skeleton_recall)
    print(best)
    return 0


if __name__ == "__main__":
    sys.exit(main())
