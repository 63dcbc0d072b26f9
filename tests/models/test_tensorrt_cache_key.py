"""The engine cache never hands back an engine built from other inputs: what changes the engine is in its file
name (models.tensorrt_runtime.engine_cache_path). TensorRT cannot run here: stand-ins for TensorRT and cuda-python
load the engine, and the build is replaced by one that records what it was asked to build."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cv2
import numpy as np
import pytest

import models.tensorrt_runtime as trt_runtime
from models import DEFAULT_MODEL_PATH
from models.tensorrt_runtime import TrtSegmenter
from skyinspect.errors import ImageError, ModelError

INPUT, OUTPUT, FLOAT = "input", "output", "float32"


class _Cudart:
    def __init__(self, props: Any) -> None:
        self.props = props

    def cudaGetDeviceProperties(self, device: int) -> tuple[int, Any]:
        return 0, self.props

    def cudaStreamCreate(self) -> tuple[int, str]:
        return 0, "stream"

    def cudaMalloc(self, size: int) -> tuple[int, int]:
        return 0, 0x1000

    def cudaFree(self, ptr: int) -> tuple[int]:
        return (0,)

    def cudaStreamDestroy(self, stream: str) -> tuple[int]:
        return (0,)


def _fake_trt() -> Any:
    engine = SimpleNamespace(num_io_tensors=2, get_tensor_name=lambda i: (INPUT, OUTPUT)[i],
                             get_tensor_mode=lambda name: name, create_execution_context=lambda: SimpleNamespace(),
                             get_tensor_dtype=lambda name: FLOAT)
    return SimpleNamespace(__version__="10.3.0",
                           Logger=type("Logger", (), {"WARNING": 2, "__init__": lambda s, lv: None}),
                           TensorIOMode=SimpleNamespace(INPUT=INPUT, OUTPUT=OUTPUT),
                           DataType=SimpleNamespace(FLOAT=FLOAT),
                           Runtime=lambda logger: SimpleNamespace(deserialize_cuda_engine=lambda data: engine))


ORIN_AGX = SimpleNamespace(name=b"Orin", major=8, minor=7, multiProcessorCount=16)


@pytest.fixture()
def builds(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[Path]]]:
    """(precision, calibration frames) of each engine build, on an AGX Orin."""
    done: list[tuple[str, list[Path]]] = []
    cudart = _Cudart(ORIN_AGX)
    monkeypatch.setattr(trt_runtime, "_import_trt", lambda: (_fake_trt(), cudart))

    def build(self: TrtSegmenter, precision: str, images: list[Path]) -> None:
        done.append((precision, list(images)))
        self.engine_path.parent.mkdir(parents=True, exist_ok=True)
        self.engine_path.write_bytes(b"engine")
        if precision == "int8":
            self.engine_path.with_suffix(".calib").write_bytes(b"table")

    monkeypatch.setattr(TrtSegmenter, "_build", build)
    return done


def _frames(folder: Path, value: int, n: int = 2) -> list[Path]:
    folder.mkdir(exist_ok=True)
    paths = [folder / f"{i}.png" for i in range(n)]
    for p in paths:
        cv2.imwrite(str(p), np.full((400, 400, 3), value + paths.index(p), np.uint8))
    return paths


def test_other_calibration_frames_build_another_int8_engine(tmp_path: Path, builds: list) -> None:
    """INT8 engines were cached by model, GPU, TensorRT, precision and batch only: calibrating on other frames (new
    files, or the same names holding other pictures) found the engine calibrated on the first ones and used it,
    and had it been deleted, the build read the first frames' calibration table (``.calib`` beside it) and skipped
    calibrating. The frames' contents (and the calibration's settings) are now part of the INT8 engine's name."""
    cache = tmp_path / "cache"
    first = _frames(tmp_path / "a", 40)
    seg = TrtSegmenter(DEFAULT_MODEL_PATH, precision="int8", calibration_images=first, cache_dir=cache)
    engine_a = seg.engine_path
    TrtSegmenter(DEFAULT_MODEL_PATH, precision="int8", calibration_images=first, cache_dir=cache)
    assert [p for p, _ in builds] == ["int8"]  # the same frames: the cached engine
    _frames(tmp_path / "a", 200)  # the same file names, other pictures
    seg = TrtSegmenter(DEFAULT_MODEL_PATH, precision="int8", calibration_images=first, cache_dir=cache)
    assert len(builds) == 2 and seg.engine_path != engine_a
    assert seg.engine_path.with_suffix(".calib") != engine_a.with_suffix(".calib")
    other = _frames(tmp_path / "b", 120, n=3)
    seg = TrtSegmenter(DEFAULT_MODEL_PATH, precision="int8", calibration_images=other, cache_dir=cache)
    assert len(builds) == 3 and len({p.name for p in cache.glob("*.engine")}) == 3
    fp16 = TrtSegmenter(DEFAULT_MODEL_PATH, precision="fp16", calibration_images=other, cache_dir=cache)
    assert "_cal" not in fp16.engine_path.name  # FP16 is not calibrated: frames passed along do not matter


def test_the_calibration_key_follows_contents_order_and_settings(tmp_path: Path) -> None:
    from models.tensorrt_runtime import calibration_key

    a, b = _frames(tmp_path / "a", 40, n=2)
    key = calibration_key([a, b], 384, 8)
    assert len(key) == 16 and key == calibration_key([a, b], 384, 8)
    assert len({key, calibration_key([b, a], 384, 8), calibration_key([a, b], 256, 8),
                calibration_key([a, b], 384, 4), calibration_key([a], 384, 8)}) == 5
    b.write_bytes(a.read_bytes() + b"\0")
    assert calibration_key([a, b], 384, 8) != key
    with pytest.raises(ImageError, match=r"missing\.png: cannot read the calibration frame"):
        calibration_key([tmp_path / "missing.png"], 384, 8)
    with pytest.raises(ModelError, match="calibration"):
        trt_runtime.engine_cache_path(tmp_path, "ab" * 32, "Orin", "10.3.0", "int8", 8)  # INT8 needs its key


def test_an_engine_built_on_one_orin_is_not_used_on_another(tmp_path: Path, builds: list,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Jetson Orin module's GPU calls itself "Orin" (cudaGetDeviceProperties; deviceQuery prints it for the
    AGX Orin's 16 SMs and the Orin NX's and Nano's 8 or 4), and the cache was keyed by that name: a cache built on
    an AGX Orin (a cloned disk image, an SSD moved to the drone's Orin NX) was used on the smaller module, where
    TensorRT says "Using an engine plan file across different models of devices is not recommended and is likely
    to affect performance or even cause errors" (its tactics were timed on the other GPU). The compute capability
    and the multiprocessor count are now part of the name."""
    cache = tmp_path / "cache"
    agx = TrtSegmenter(DEFAULT_MODEL_PATH, cache_dir=cache)
    orin_nx = SimpleNamespace(name=b"Orin", major=8, minor=7, multiProcessorCount=8)
    monkeypatch.setattr(trt_runtime, "_import_trt", lambda: (_fake_trt(), _Cudart(orin_nx)))
    nx = TrtSegmenter(DEFAULT_MODEL_PATH, cache_dir=cache)
    assert len(builds) == 2 and nx.engine_path != agx.engine_path
    assert "orin-sm87-16sm" in agx.engine_path.name and "orin-sm87-8sm" in nx.engine_path.name
    TrtSegmenter(DEFAULT_MODEL_PATH, cache_dir=cache)
    assert len(builds) == 2  # the same device again: its own engine, cached


def test_calibration_frames_may_be_given_as_a_glob(tmp_path: Path, builds: list) -> None:
    """A generator (Path.glob) is read once: the calibration key must not use it up before the build."""
    _frames(tmp_path / "a", 40, n=3)
    TrtSegmenter(DEFAULT_MODEL_PATH, precision="int8", calibration_images=sorted((tmp_path / "a").glob("*.png")),
                 cache_dir=tmp_path / "cache")
    TrtSegmenter(DEFAULT_MODEL_PATH, precision="int8", calibration_images=(tmp_path / "a").glob("*.png"),
                 cache_dir=tmp_path / "cache2")
    assert [len(images) for _, images in builds] == [3, 3]
