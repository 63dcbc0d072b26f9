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
              engine_cache_path(tmp_path, "ab" * 32, "Orin (nvgpu)", "10.3.0", "int8", 8, "0123456789abcdef"),
              engine_cache_path(tmp_path, "ab" * 32, "Orin (nvgpu)", "10.3.0", "int8", 8, "fedcba9876543210"),
              engine_cache_path(tmp_path, "ab" * 32, "Orin (nvgpu)", "10.3.0", "fp16", 4)}
    assert base not in others and len(others) == 6
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


class _Recorder:
    """Stands in for a TensorRT builder object (TensorRT cannot run here): records the calls made on it."""

    def __init__(self, calls: list[tuple[object, ...]], name: str) -> None:
        self._calls, self._name = calls, name

    def __getattr__(self, attr: str):  # type: ignore[no-untyped-def]
        def call(*args: object) -> object:
            self._calls.append((self._name, attr, *args))
            return {"create_network": lambda: _Recorder(self._calls, "network"),
                    "create_builder_config": lambda: _Recorder(self._calls, "config"),
                    "create_optimization_profile": lambda: _Recorder(self._calls, "profile"),
                    "get_input": lambda: type("Tensor", (), {"name": "images"})(),
                    "build_serialized_network": lambda: b"engine",
                    "set_calibration_profile": lambda: True}.get(attr, lambda: None)()
        return call

    def __setattr__(self, attr: str, value: object) -> None:
        if attr.startswith("_"):
            object.__setattr__(self, attr, value)
        else:
            self._calls.append((self._name, "=" + attr, value))


def test_an_int8_build_sets_the_calibration_profile(tmp_path: Path) -> None:
    """The shipped model's input has runtime dimensions (batch, H, W), and TensorRT 10's IBuilderConfig says
    "Calibration optimization profile must be set if int8 calibration is used to set scales for a network with
    runtime dimensions" (set_calibration_profile, NVIDIA/TensorRT python/docstrings/infer/pyCoreDoc.h): the
    INT8 build set none. Checked on the calls the build makes (a recorder stands in for TensorRT's objects)."""
    from types import SimpleNamespace

    calls: list[tuple[object, ...]] = []
    trt = SimpleNamespace(
        __version__="10.3.0", Logger=type("Logger", (), {"WARNING": 2, "__init__": lambda self, level: None}),
        MemoryPoolType=SimpleNamespace(WORKSPACE="workspace"), BuilderFlag=SimpleNamespace(FP16="fp16", INT8="int8"),
        IInt8EntropyCalibrator2=object)
    trt.Builder = lambda logger: _Recorder(calls, "builder")  # type: ignore[attr-defined]
    trt.OnnxParser = lambda network, logger: SimpleNamespace(parse=lambda data: True, num_errors=0)  # type: ignore[attr-defined]
    cudart = SimpleNamespace(cudaMalloc=lambda size: (0, 1234), cudaFree=lambda ptr: (0,))
    seg = TrtSegmenter.__new__(TrtSegmenter)
    seg._trt, seg._cudart, seg.path = trt, cudart, DEFAULT_MODEL_PATH
    seg.input_size, seg.batch_tiles = 384, 8
    for precision in ("fp16", "int8"):
        calls.clear()
        seg.engine_path = tmp_path / f"{precision}.engine"
        seg._build(precision, [tmp_path / "frame.png"])
        assert seg.engine_path.read_bytes() == b"engine"
        shapes = [c for c in calls if c[:2] == ("profile", "set_shape")]
        assert shapes == [("profile", "set_shape", "images", (1, 3, 384, 384), (8, 3, 384, 384), (8, 3, 384, 384))]
        flags = {c[2] for c in calls if c[:2] == ("config", "set_flag")}
        calibration = [c for c in calls if c[:2] == ("config", "set_calibration_profile")]
        if precision == "fp16":
            assert flags == {"fp16"} and not calibration
        else:
            assert flags == {"fp16", "int8"} and any(c[1] == "=int8_calibrator" for c in calls)
            assert len(calibration) == 1 and isinstance(calibration[0][2], _Recorder)
            assert calibration[0][2] is [c for c in calls if c[:2] == ("config", "add_optimization_profile")][0][2]


def test_calibration_frames_are_read_as_segment_reads_them(tmp_path: Path) -> None:
    """INT8 calibration read its frames with cv2.imread: a 12-bit camera's 16-bit PNG came out scaled down
    by 256 (nearly black tiles, scales fitted to a dark scene) and a JPEG cut short filled grey, where
    `skyinspect segment` refuses both (skyinspect.photo.read_bgr)."""
    frame = np.full((128, 128, 3), 4095, np.uint16)  # a 12-bit camera's white
    cv2.imwrite(str(tmp_path / "12bit.png"), frame)
    with pytest.raises(ImageError, match=r"12bit\.png: expected an 8-bit image, got uint16"):
        list(calibration_batches([tmp_path / "12bit.png"], 128, batch=1))
    ok, jpeg = cv2.imencode(".jpg", np.full((256, 256, 3), 200, np.uint8))
    (tmp_path / "cut.jpg").write_bytes(jpeg.tobytes()[: len(jpeg) // 2])
    with pytest.raises(ImageError, match=r"cut\.jpg: is cut short"):
        list(calibration_batches([tmp_path / "cut.jpg"], 128, batch=1))


def test_the_network_is_explicit_batch_on_jetpack_6_0s_tensorrt_8_6(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """JetPack 6.0 ships TensorRT 8.6 (6.1 and 6.2: 10.3). Before 10, create_network(0) makes an implicit-batch
    network, which TensorRT 8's ONNX parser refuses ('only supports networks with an explicit batch dimension');
    the flag is 1 << NetworkDefinitionCreationFlag.EXPLICIT_BATCH there, and ignored (0 is right) from 10 on.
    The named-tensor API the backend runs on (set_input_shape, execute_async_v3) came with 8.5: older is refused
    up front, by version."""
    from types import SimpleNamespace

    import models.tensorrt_runtime as trt_runtime

    calls: list[tuple[object, ...]] = []
    seg = TrtSegmenter.__new__(TrtSegmenter)
    seg._cudart, seg.path = SimpleNamespace(), DEFAULT_MODEL_PATH
    seg.input_size, seg.batch_tiles = 384, 8
    for version, flags in (("10.3.0", 0), ("8.6.2", 1 << 3)):
        calls.clear()
        seg._trt = SimpleNamespace(
            __version__=version, Logger=type("Logger", (), {"WARNING": 2, "__init__": lambda self, level: None}),
            MemoryPoolType=SimpleNamespace(WORKSPACE="workspace"), BuilderFlag=SimpleNamespace(FP16="fp16"),
            NetworkDefinitionCreationFlag=SimpleNamespace(EXPLICIT_BATCH=3),
            Builder=lambda logger: _Recorder(calls, "builder"),
            OnnxParser=lambda network, logger: SimpleNamespace(parse=lambda data: True, num_errors=0))
        seg.engine_path = tmp_path / f"{version}.engine"
        seg._build("fp16", [])
        assert [c for c in calls if c[1] == "create_network"] == [("builder", "create_network", flags)], version
    old = SimpleNamespace(__version__="8.4.3")
    monkeypatch.setattr(trt_runtime, "_import_trt", lambda: (old, SimpleNamespace()))
    with pytest.raises(ModelError, match=r"expected TensorRT 8\.5 or later.*got 8\.4\.3"):
        TrtSegmenter(DEFAULT_MODEL_PATH, cache_dir=tmp_path)
