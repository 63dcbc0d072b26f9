"""INT8 calibration as TensorRT drives it: TensorRT calls the Python calibrator from C++ and, in its Python
bindings (NVIDIA/TensorRT python/src/infer/pyInt8.cpp, pyCalibratorTrampoline::getBatch), catches any
exception raised in ``get_batch``, prints it to stderr and returns false, which TensorRT reads as 'no more
calibration data'. TensorRT cannot run here: a stand-in builder drives the calibrator the same way."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cv2
import numpy as np
import pytest

from models import DEFAULT_MODEL_PATH
from models.tensorrt_runtime import TrtSegmenter
from skyinspect.errors import ImageError, ModelError


class _Config:
    def __init__(self) -> None:
        self.int8_calibrator: Any = None

    def set_memory_pool_limit(self, *args: object) -> None: ...

    def add_optimization_profile(self, profile: object) -> None: ...

    def set_flag(self, flag: object) -> None: ...

    def set_calibration_profile(self, profile: object) -> bool:
        return True


class _Builder:
    """Builds as TensorRT's INT8 path does: read the calibration cache, else pull batches until get_batch
    gives none (an exception in it is caught and printed, as the bindings' trampoline does), write the cache;
    no engine when no batch came."""

    def __init__(self, logger: object) -> None:
        self.batches = 0

    def create_network(self, flags: int) -> object:
        return SimpleNamespace(get_input=lambda i: SimpleNamespace(name="images"))

    def create_builder_config(self) -> _Config:
        return _Config()

    def create_optimization_profile(self) -> object:
        return SimpleNamespace(set_shape=lambda *args: None)

    def build_serialized_network(self, network: object, config: _Config) -> bytes | None:
        calib = config.int8_calibrator
        if calib is None or _trampoline(calib.read_calibration_cache) is not None:
            return b"engine"
        while _trampoline(calib.get_batch, ["images"]):
            self.batches += 1
        if self.batches == 0:
            return None
        _trampoline(calib.write_calibration_cache, memoryview(b"table"))
        return b"engine"


def _trampoline(method: Any, *args: object) -> Any:
    """pyInt8.cpp's pyCalibratorTrampoline: "[ERROR] Exception caught in <method>(): ..." on stderr, then
    false (get_batch), nullptr (read_calibration_cache) or nothing (write_calibration_cache)."""
    try:
        return method(*args)
    except Exception as exc:
        print(f"[ERROR] Exception caught in {method.__name__}(): {exc}", file=sys.stderr)
        return None


def _segmenter(tmp_path: Path) -> TrtSegmenter:
    trt = SimpleNamespace(__version__="10.3.0",
                          Logger=type("Logger", (), {"WARNING": 2, "__init__": lambda self, level: None}),
                          MemoryPoolType=SimpleNamespace(WORKSPACE="workspace"),
                          BuilderFlag=SimpleNamespace(FP16="fp16", INT8="int8"), IInt8EntropyCalibrator2=object,
                          Builder=_Builder,
                          OnnxParser=lambda network, logger: SimpleNamespace(parse=lambda data: True, num_errors=0))
    cudart = SimpleNamespace(cudaMalloc=lambda size: (0, 1234), cudaMemcpy=lambda *args: (0,),
                             cudaMemcpyKind=SimpleNamespace(cudaMemcpyHostToDevice=1), cudaFree=lambda ptr: (0,))
    seg = TrtSegmenter.__new__(TrtSegmenter)
    seg._trt, seg._cudart, seg.path = trt, cudart, DEFAULT_MODEL_PATH
    seg.input_size, seg.batch_tiles = 64, 1
    seg.engine_path = tmp_path / "cache" / "int8.engine"
    return seg


def test_a_frame_that_cannot_be_read_stops_the_int8_build(tmp_path: Path) -> None:
    """A 16-bit frame third of five: read_bgr refuses it inside get_batch, TensorRT's trampoline swallowed the
    ImageError, calibration ended after two of the five frames and that INT8 engine (and its calibration
    table) was cached for good, with nothing said but a line on stderr. The build now fails with the frame's
    own error and caches neither."""
    frames = []
    for i in range(5):
        frames.append(tmp_path / f"{i}.png")
        img = np.full((64, 64, 3), 40 * i, np.uint16 if i == 2 else np.uint8)
        cv2.imwrite(str(frames[-1]), img)
    seg = _segmenter(tmp_path)
    with pytest.raises(ImageError, match=r"2\.png: expected an 8-bit image, got uint16"):
        seg._build("int8", frames)
    assert not seg.engine_path.exists() and not seg.engine_path.with_suffix(".calib").exists()
    frames.pop(2)
    seg._build("int8", frames)  # the readable frames calibrate and the engine is cached
    assert seg.engine_path.read_bytes() == b"engine" and seg.engine_path.with_suffix(".calib").read_bytes() == b"table"



def test_too_few_calibration_tiles_are_named(tmp_path: Path) -> None:
    """Calibration frames that give fewer tiles than one batch: no batch at all reaches TensorRT, whose build
    then fails ('could not build an engine (see its log above)'); the message now says why and what to pass."""
    cv2.imwrite(str(tmp_path / "small.png"), np.full((64, 64, 3), 90, np.uint8))
    seg = _segmenter(tmp_path)
    seg.batch_tiles = 4
    with pytest.raises(ModelError, match=r"1 tile of 64 px, fewer than one batch of 4"):
        seg._build("int8", [tmp_path / "small.png"])
    assert not seg.engine_path.exists()


def test_a_refused_calibration_profile_frees_the_calibration_buffer(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The calibrator takes a device buffer for one batch when it is made; TensorRT refusing the calibration
    profile raised before the build's try/finally that frees it, and the buffer stayed taken."""
    cv2.imwrite(str(tmp_path / "frame.png"), np.full((64, 64, 3), 90, np.uint8))
    seg = _segmenter(tmp_path)
    taken: list[int] = []
    seg._cudart.cudaMalloc = lambda size: (taken.append(size), (0, 1234))[1]
    freed: list[int] = []
    seg._cudart.cudaFree = lambda ptr: (freed.append(ptr), (0,))[1]
    monkeypatch.setattr(_Config, "set_calibration_profile", lambda self, profile: False)
    with pytest.raises(ModelError, match="refused the INT8 calibration profile"):
        seg._build("int8", [tmp_path / "frame.png"])
    assert taken == [3 * 64 * 64 * 4] and freed == [1234] and not seg.engine_path.exists()
