"""Rebuild a trainable YOLO26n-sem checkpoint from a shipped skyinspect ONNX model.

Training checkpoints live outside the repository and can be lost with the machine that made them
(the session-4 run was); the shipped ONNX is always here. Its exporter fused every BatchNorm into the
convolution before it (``w' = w * g / s``, ``b' = beta - mu * g / s``), which cannot be undone, but an
equivalent trainable network can be built:

* each convolution gets the fused weight ``w'``;
* its BatchNorm is set so that in eval mode it adds ``b'``: running mean ``mu`` and variance ``var``
  measured on real training images (the statistics of ``w' * x`` that BatchNorm will see), scale
  ``sqrt(var + eps)`` and shift ``b' + mu`` (:func:`batchnorm_for_fused_bias`). Eval mode then
  reproduces the ONNX function exactly (the rebuilt model's probabilities match ONNX Runtime's to
  ~1e-6 before the checkpoint is stored in half precision), and train mode, which normalises with
  each batch's own statistics, starts close to it instead of far away.

The auxiliary training head (not exported) starts from scratch. Needs the ``train`` extra.

    python -m models.from_onnx models/skyinspect-seg.onnx --images DATASET/images/train --out v3.pt
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from skyinspect.errors import InputError, ModelError, describe

MODEL_CFG = "yolo26n-sem.yaml"


def batchnorm_for_fused_bias(fused_bias: np.ndarray, mean: np.ndarray, var: np.ndarray,
                             eps: float) -> dict[str, np.ndarray]:
    """BatchNorm parameters that turn ``z`` (a convolution's output without bias, with per-channel
    statistics ``mean``/``var``) into ``z + fused_bias`` in eval mode, and into approximately that in
    train mode on batches with those statistics."""
    scale = np.sqrt(np.asarray(var, dtype=np.float64) + eps)
    return {"weight": scale, "bias": np.asarray(fused_bias, dtype=np.float64) + mean,
            "running_mean": np.asarray(mean, dtype=np.float64), "running_var": np.asarray(var, dtype=np.float64)}


def _images(folder: Path, n: int, size: int, seed: int = 0) -> np.ndarray:
    import cv2

    paths = sorted(p for p in folder.glob("*") if p.suffix.lower() in {".png", ".jpg", ".jpeg"})
    if not paths:
        raise InputError(describe(folder, "no training images (.png/.jpg) found",
                                  "pass DATASET/images/train from `python -m models.prepare`"))
    rng = np.random.default_rng(seed)
    pick = [paths[i] for i in rng.choice(len(paths), min(n, len(paths)), replace=False)]
    out = []
    for p in pick:
        img = cv2.imread(str(p), cv2.IMREAD_COLOR)
        if img is None:
            raise InputError(describe(p, "cannot be decoded as an image", "re-run models.prepare"))
        out.append(cv2.resize(img, (size, size))[:, :, ::-1].transpose(2, 0, 1))
    return np.ascontiguousarray(np.stack(out)).astype(np.float32) / 255.0


def rebuild(onnx_path: Path, images: Path, out: Path, n_images: int = 96, batch: int = 16) -> Path:
    """Write a checkpoint ``out`` that ultralytics can train from (``models.train --init out``)."""
    from models.train import _offline_env, require_train_extra

    require_train_extra(onnx_path, also=("onnx",))
    import onnx
    import torch
    from onnx import numpy_helper

    _offline_env()
    from ultralytics import __version__ as ul_version
    from ultralytics.nn.tasks import SemanticSegmentationModel

    onnx_path = Path(onnx_path)
    if not onnx_path.is_file():
        raise InputError(describe(onnx_path, "model file not found", "pass models/skyinspect-seg.onnx"))
    inits = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(onnx_path)).graph.initializer}
    model = SemanticSegmentationModel(MODEL_CFG, nc=3, verbose=False)
    pairs = {name: mod for name, mod in model.named_modules()
             if isinstance(getattr(mod, "bn", None), torch.nn.BatchNorm2d) and f"{name}.conv.weight" in inits}
    head = model.model[-1].classifier[1]
    if not pairs or "model.17.classifier.1.weight" not in inits:
        raise ModelError(describe(onnx_path, f"expected a {MODEL_CFG} export with named conv weights, "
                                             f"found {len(pairs)} matching convolutions", "pass a skyinspect export"))
    fused_bias = {}
    with torch.no_grad():
        for name, mod in pairs.items():
            w = torch.from_numpy(inits[f"{name}.conv.weight"].copy())
            if mod.conv.weight.shape != w.shape:
                raise ModelError(describe(onnx_path, f"{name}: expected weight {tuple(mod.conv.weight.shape)}, "
                                                     f"got {tuple(w.shape)}", f"the ONNX is not a {MODEL_CFG} model"))
            mod.conv.weight.copy_(w)
            fused_bias[name] = inits[f"{name}.conv.bias"].astype(np.float64)
            bn = mod.bn  # eval mode: exactly "+ fused bias" until the statistics are measured
            bn.running_mean.zero_(), bn.running_var.fill_(1.0 - bn.eps), bn.weight.fill_(1.0)
            bn.bias.copy_(torch.from_numpy(fused_bias[name]))
        head.weight.copy_(torch.from_numpy(inits["model.17.classifier.1.weight"].copy()))
        head.bias.copy_(torch.from_numpy(inits["model.17.classifier.1.bias"].copy()))
    x = _images(Path(images), n_images, 384)
    sums: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {n: [] for n in pairs}
    hooks = [mod.bn.register_forward_hook(
        lambda _m, inp, _o, n=n: sums[n].append((inp[0].mean((0, 2, 3)).numpy(), inp[0].var((0, 2, 3), unbiased=False).numpy())))
        for n, mod in pairs.items()]
    model.eval()
    with torch.no_grad():
        for i in range(0, len(x), batch):
            model(torch.from_numpy(x[i:i + batch]))
    for h in hooks:
        h.remove()
    with torch.no_grad():
        for name, mod in pairs.items():
            mean = np.mean([s[0] for s in sums[name]], axis=0)
            var = np.mean([s[1] for s in sums[name]], axis=0)  # within-batch: what train-mode BN sees
            for key, value in batchnorm_for_fused_bias(fused_bias[name], mean, var, mod.bn.eps).items():
                getattr(mod.bn, key).copy_(torch.from_numpy(value))
    ckpt = {"epoch": -1, "best_fitness": None, "model": model.half(), "ema": None, "updates": 0,
            "optimizer": None, "train_args": {"task": "semantic", "imgsz": 384}, "version": ul_version,
            "note": f"rebuilt from {onnx_path.name} by models.from_onnx"}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, out)
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m models.from_onnx", description=__doc__.splitlines()[0])
    p.add_argument("onnx", type=Path, help="a skyinspect ONNX export, e.g. models/skyinspect-seg.onnx")
    p.add_argument("--images", type=Path, required=True, help="training images for the BatchNorm statistics")
    p.add_argument("--out", type=Path, required=True, help="checkpoint to write (outside the repository)")
    a = p.parse_args(argv)
    print(rebuild(a.onnx, a.images, a.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
