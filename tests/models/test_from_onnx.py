"""Rebuilding a trainable checkpoint from the BN-fused ONNX (models/from_onnx.py): the BatchNorm
algebra in numpy here; the whole rebuild needs the train extra (torch) and is checked where it is
installed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.from_onnx import batchnorm_for_fused_bias


def _bn(z: np.ndarray, p: dict[str, np.ndarray], eps: float, train: bool) -> np.ndarray:
    mean = z.mean(axis=(0, 2, 3)) if train else p["running_mean"]
    var = z.var(axis=(0, 2, 3)) if train else p["running_var"]
    shape = (1, -1, 1, 1)
    return (p["weight"].reshape(shape) * (z - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
            + p["bias"].reshape(shape))


def test_batchnorm_adds_the_fused_bias_in_eval_and_train_mode() -> None:
    rng = np.random.default_rng(1)
    z = rng.normal([[[[3.0]], [[-2.0]], [[0.5]]]], [[[[2.0]], [[0.1]], [[5.0]]]], size=(8, 3, 6, 6))
    bias, eps = np.array([0.3, -1.0, 2.0]), 1e-3
    p = batchnorm_for_fused_bias(bias, z.mean(axis=(0, 2, 3)), z.var(axis=(0, 2, 3)), eps)
    expected = z + bias.reshape(1, -1, 1, 1)
    np.testing.assert_allclose(_bn(z, p, eps, train=False), expected, atol=1e-9)
    np.testing.assert_allclose(_bn(z, p, eps, train=True), expected, atol=1e-9)


def test_rebuilt_model_reproduces_the_shipped_onnx(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("ultralytics")
    import cv2
    import torch

    from models import DEFAULT_MODEL_PATH, load_segmenter
    from models.from_onnx import rebuild

    textures = Path(__file__).parents[2] / "missions/simulator/textures"
    for i, src in enumerate(sorted(textures.glob("*.jpg"))):
        cv2.imwrite(str(tmp_path / f"{i}.png"), cv2.resize(cv2.imread(str(src)), (384, 384)))
    ckpt = torch.load(rebuild(DEFAULT_MODEL_PATH, tmp_path, tmp_path / "v.pt", n_images=4, batch=2),
                      weights_only=False)
    model = ckpt["model"].float().eval()
    img = cv2.resize(cv2.imread(str(textures / "uav75_DSC00566.jpg")), (384, 384))
    x = torch.from_numpy(np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1))[None].astype(np.float32) / 255)
    with torch.no_grad():
        logits = model(x)
    probs = torch.nn.functional.interpolate(logits, scale_factor=8, mode="bilinear").softmax(1).numpy()[0]
    ref = load_segmenter(DEFAULT_MODEL_PATH)._infer(x.numpy())[0]
    assert np.abs(probs - ref).max() < 0.05  # half-precision storage; ~1e-6 before it
