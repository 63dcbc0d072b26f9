"""TrtSegmenter end to end on stand-ins for TensorRT and cuda-python (neither can run here): 'device' buffers
are host memory at real addresses, so the copies the backend asks cudart for really move its data, and the
stand-in execution context computes an output from its input as an engine of the given shape would."""

from __future__ import annotations

import ctypes
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import models.tensorrt_runtime as trt_runtime
from models import DEFAULT_MODEL_PATH
from models.tensorrt_runtime import TrtSegmenter
from skyinspect.errors import ModelError

INPUT, OUTPUT, FLOAT = "input", "output", "float32"


class _Cudart:
    """cuda-python's runtime calls the backend makes; cudaMalloc gives twice what is asked (an engine writing
    past a buffer must not corrupt this test's process)."""

    cudaMemcpyKind = SimpleNamespace(cudaMemcpyHostToDevice=1, cudaMemcpyDeviceToHost=2)

    def __init__(self) -> None:
        self.blocks: dict[int, np.ndarray] = {}

    def cudaGetDeviceProperties(self, device: int) -> tuple[int, Any]:
        return 0, SimpleNamespace(name=b"Orin", major=8, minor=7, multiProcessorCount=16)

    def cudaStreamCreate(self) -> tuple[int, str]:
        return 0, "stream"

    def cudaMalloc(self, size: int) -> tuple[int, int]:
        block = np.zeros(2 * size, np.uint8)
        self.blocks[block.ctypes.data] = block
        return 0, block.ctypes.data

    def cudaFree(self, ptr: int) -> tuple[int]:
        return (0,)

    def cudaStreamDestroy(self, stream: str) -> tuple[int]:
        return (0,)

    def cudaMemcpyAsync(self, dst: int, src: int, size: int, kind: int, stream: str) -> tuple[int]:
        ctypes.memmove(dst, src, size)
        return (0,)

    def cudaStreamSynchronize(self, stream: str) -> tuple[int]:
        return (0,)


def _floats(address: int, shape: tuple[int, ...]) -> np.ndarray:
    count = int(np.prod(shape))
    return np.frombuffer((ctypes.c_float * count).from_address(address), np.float32).reshape(shape)


class _Context:
    """IExecutionContext: the output has ``channels`` planes, plane k = (k + 1) x the input's mean over RGB."""

    def __init__(self, channels: int) -> None:
        self.channels, self.shape, self.addresses = channels, None, {}

    def set_input_shape(self, name: str, shape: tuple[int, ...]) -> bool:
        self.shape = tuple(shape)
        return True

    def get_tensor_shape(self, name: str) -> tuple[int, ...]:
        n, _, h, w = self.shape
        return (n, 3, h, w) if name == INPUT else (n, self.channels, h, w)

    def set_tensor_address(self, name: str, address: int) -> bool:
        self.addresses[name] = address
        return True

    def execute_async_v3(self, stream: str) -> bool:
        assert self.shape is not None and set(self.addresses) == {INPUT, OUTPUT}  # TensorRT 10's preconditions
        x = _floats(self.addresses[INPUT], self.shape)
        out = _floats(self.addresses[OUTPUT], self.get_tensor_shape(OUTPUT))
        out[:] = x.mean(axis=1, keepdims=True) * np.arange(1, self.channels + 1, dtype=np.float32)[:, None, None]
        return True


def _fake_trt(channels: int, output_dtype: str = FLOAT) -> Any:
    engine = SimpleNamespace(num_io_tensors=2, get_tensor_name=lambda i: (INPUT, OUTPUT)[i],
                             get_tensor_mode=lambda name: name, create_execution_context=lambda: _Context(channels),
                             get_tensor_dtype=lambda name: FLOAT if name == INPUT else output_dtype)
    return SimpleNamespace(__version__="10.3.0",
                           Logger=type("Logger", (), {"WARNING": 2, "__init__": lambda s, lv: None}),
                           TensorIOMode=SimpleNamespace(INPUT=INPUT, OUTPUT=OUTPUT),
                           DataType=SimpleNamespace(FLOAT=FLOAT, HALF="float16"),
                           Runtime=lambda logger: SimpleNamespace(deserialize_cuda_engine=lambda data: engine))


def _segmenter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trt: Any) -> TrtSegmenter:
    monkeypatch.setattr(trt_runtime, "_import_trt", lambda: (trt, _Cudart()))
    monkeypatch.setattr(TrtSegmenter, "_build", lambda self, precision, images: self.engine_path.write_bytes(b"e"))
    return TrtSegmenter(DEFAULT_MODEL_PATH, cache_dir=tmp_path, batch_tiles=2)


def test_tiles_go_through_the_engine_and_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seg = _segmenter(tmp_path, monkeypatch, _fake_trt(3))
    t = seg.input_size
    x = np.random.default_rng(0).random((2, 3, t, t), dtype=np.float32)
    out = seg._infer(x)
    assert out.shape == (2, 3, t, t) and out.dtype == np.float32
    assert np.allclose(out[:, 2], 3 * x.mean(axis=1), atol=1e-6)
    assert seg._infer(x[:1]).shape == (1, 3, t, t)  # a short last batch: the profile's MIN is 1


def test_an_engine_whose_output_is_not_the_models_classes_is_refused(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The metadata says 3 classes; an engine giving 4 planes wrote a third more than the output buffer holds
    (sized from the metadata) and _infer returned the first 3 planes' bytes as (N, 3, t, t) 'probabilities':
    the runtime's output check (which ONNX Runtime's results go through) could never fire, since _infer made
    the shape it checks. Now the engine's own output shape is read after set_input_shape and refused."""
    seg = _segmenter(tmp_path, monkeypatch, _fake_trt(4))
    t = seg.input_size
    with pytest.raises(ModelError, match=rf"expected output \(2, 3, {t}, {t}\).*got \(2, 4, {t}, {t}\)"):
        seg._infer(np.zeros((2, 3, t, t), np.float32))


def test_an_engine_with_half_precision_output_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Output bytes read as float32 whatever the engine's output type: an FP16 output tensor came back as
    noise. The engine's I/O types are checked when it is loaded."""
    with pytest.raises(ModelError, match=r"output0?.*float32.*float16"):
        _segmenter(tmp_path, monkeypatch, _fake_trt(3, output_dtype="float16"))
