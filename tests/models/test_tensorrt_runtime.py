"""The TensorRT backend's pure parts (the engine itself needs a Jetson: not run here)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

from models import DEFAULT_MODEL_PATH
from models.tensorrt_runtime import TrtSegmenter, calibration_batches, engine_cache_path, read_onnx_metadata
from skyinspect.errors import ImageError, ModelError


def test_cache_key_separates_what_makes_engines_incompatible(tmp_path: Path) -> None:
    base = engine_cache_path(tmp_path, "ab" * 32, "Orin (nvgpu)", "10.3.0", "fp16", 8)
    assert base.parent == tmp_path and base.name == f"{'ab' * 8}_orin-nvgpu_trt10.3.0_fp16_b8.engine"
    others = {engine_cache_path(tmp_path, "cd" * 32, "Orin (nvgpu)", "10.3.0", "fp16", 8),
              engine_cache_path(tmp_path, "ab" * 32, "Xavier", "10.3.0", "fp16", 8),
              engine_cache_path(tmp_path, "ab" * 32, "Orin (nvgpu)", "10.4.1", "fp16", 8),
              engine_cache_path(tmp_path, "ab" * 32, "Orin (nvgpu)", "10.3.0", "int8", 8),
              engine_cache_path(tmp_path, "ab" * 32, "Orin (nvgpu)", "10.3.0", "fp16", 4)}
    assert base not in others and len(others) == 5
    with pytest.raises(ModelError, match="fp64"):
        engine_cache_path(tmp_path, "ab" * 32, "Orin", "10.3", "fp64", 8)


def test_calibration_batches_are_native_scale_tiles(tmp_path: Path) -> None:
    img = np.zeros((300, 500, 3), np.uint8)
    img[:, :, 2] = 255  # pure red in BGR
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"{i}.png"), img)
    batches = list(calibration_batches(sorted(tmp_path.glob("*.png")), 128, batch=4))
    # 300x500 at 128 px without overlap: 3 x 4 = 12 tiles per image, 36 in all → 9 full batches
    assert len(batches) == 9 and all(b.shape == (4, 3, 128, 128) and b.dtype == np.float32 for b in batches)
    assert np.allclose(batches[0][:, 0], 1.0) and np.allclose(batches[0][:, 1:], 0.0)  # RGB order, /255
    assert len(list(calibration_batches(sorted(tmp_path.glob("*.png")), 128, batch=4, max_batches=2))) == 2
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ImageError, match="bad.png"):
        list(calibration_batches([tmp_path / "bad.png"], 128, batch=4))


def test_metadata_of_the_shipped_model() -> None:
    meta = read_onnx_metadata(DEFAULT_MODEL_PATH)
    assert meta.classes == ("background", "crack", "corrosion") and meta.input_size > 0 and meta.model_id


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="TensorRT present: see the gpu tests")
def test_without_tensorrt_the_error_says_what_to_use(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="ONNX Runtime"):
        TrtSegmenter(DEFAULT_MODEL_PATH, cache_dir=tmp_path)
    with pytest.raises(ModelError, match="calibration"):
        TrtSegmenter(DEFAULT_MODEL_PATH, precision="int8", cache_dir=tmp_path)
    with pytest.raises(ModelError, match="not found"):
        TrtSegmenter(tmp_path / "missing.onnx", cache_dir=tmp_path)
