"""TrtSegmenter frees what it takes on the GPU (its two device buffers and its stream), once, on close(), at the
end of a ``with`` block, when it is dropped, and when its construction fails part-way. Stand-ins for TensorRT and
cuda-python (neither can run here) count what is allocated and freed, as NVIDIA's sample frees its buffers
(samples/python/common_runtime.py free_buffers: cudaFree per buffer, then cudaStreamDestroy)."""

from __future__ import annotations

import gc
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
    """Counts device allocations: ``live`` what is held now, ``freed`` every cudaFree/cudaStreamDestroy call (a
    second free of the same pointer would show twice). ``fail_malloc_at``: the n-th cudaMalloc (1-based) fails."""

    cudaMemcpyKind = SimpleNamespace(cudaMemcpyHostToDevice=1, cudaMemcpyDeviceToHost=2)

    def __init__(self, fail_malloc_at: int | None = None) -> None:
        self.live: dict[object, int] = {}
        self.freed: list[object] = []
        self.mallocs, self.fail_malloc_at, self._next = 0, fail_malloc_at, 0x1000

    def cudaGetDeviceProperties(self, device: int) -> tuple[int, Any]:
        return 0, SimpleNamespace(name=b"Orin", major=8, minor=7, multiProcessorCount=16)

    def cudaStreamCreate(self) -> tuple[int, object]:
        stream = ("stream", self._next)
        self._next += 1
        self.live[stream] = 0
        return 0, stream

    def cudaStreamDestroy(self, stream: object) -> tuple[int]:
        self.freed.append(stream)
        return (0 if self.live.pop(stream, None) is not None else 400,)  # 400: cudaErrorInvalidResourceHandle

    def cudaMalloc(self, size: int) -> tuple[int, int]:
        self.mallocs += 1
        if self.mallocs == self.fail_malloc_at:
            return 2, 0  # cudaErrorMemoryAllocation
        ptr, self._next = self._next, self._next + size
        self.live[ptr] = size
        return 0, ptr

    def cudaFree(self, ptr: int) -> tuple[int]:
        self.freed.append(ptr)
        return (0 if self.live.pop(ptr, None) is not None else 1,)  # 1: cudaErrorInvalidValue

    def cudaStreamSynchronize(self, stream: object) -> tuple[int]:
        return (0,)


def _fake_trt() -> Any:
    context = SimpleNamespace(set_input_shape=lambda name, shape: True)
    engine = SimpleNamespace(num_io_tensors=2, get_tensor_name=lambda i: (INPUT, OUTPUT)[i],
                             get_tensor_mode=lambda name: name, create_execution_context=lambda: context,
                             get_tensor_dtype=lambda name: FLOAT)
    return SimpleNamespace(__version__="10.3.0",
                           Logger=type("Logger", (), {"WARNING": 2, "__init__": lambda s, lv: None}),
                           TensorIOMode=SimpleNamespace(INPUT=INPUT, OUTPUT=OUTPUT),
                           DataType=SimpleNamespace(FLOAT=FLOAT, HALF="float16"),
                           Runtime=lambda logger: SimpleNamespace(deserialize_cuda_engine=lambda data: engine))


@pytest.fixture()
def cudart(monkeypatch: pytest.MonkeyPatch) -> _Cudart:
    fake = _Cudart()
    monkeypatch.setattr(trt_runtime, "_import_trt", lambda: (_fake_trt(), fake))
    monkeypatch.setattr(TrtSegmenter, "_build", lambda self, precision, images: self.engine_path.write_bytes(b"e"))
    return fake


def test_each_load_frees_its_buffers_and_stream_once(tmp_path: Path, cudart: _Cudart) -> None:
    """Three loads in one process (a reload of the engine, segment's API over several folders, these tests): each
    kept its two device buffers (2 x 14.2 MB at 8 tiles of 384 px) and its stream until the process ended - nothing
    freed them. Now close() frees each exactly once, and a second close() frees nothing more."""
    for _ in range(3):
        seg = TrtSegmenter(DEFAULT_MODEL_PATH, cache_dir=tmp_path)
        assert len(cudart.live) == 3 and sum(cudart.live.values()) == 2 * 8 * 3 * 384 * 384 * 4
        seg.close()
        seg.close()
        assert cudart.live == {}
    assert len(cudart.freed) == len(set(cudart.freed)) == 9
    with pytest.raises(ModelError, match="closed"):  # never a copy into memory given back to CUDA
        seg._infer(np.zeros((1, 3, 384, 384), np.float32))


def test_a_with_block_and_a_dropped_segmenter_free_theirs(tmp_path: Path, cudart: _Cudart) -> None:
    with TrtSegmenter(DEFAULT_MODEL_PATH, cache_dir=tmp_path) as seg:
        assert len(cudart.live) == 3
    assert cudart.live == {} and len(cudart.freed) == 3
    seg = TrtSegmenter(DEFAULT_MODEL_PATH, cache_dir=tmp_path)
    del seg
    gc.collect()
    assert cudart.live == {} and len(cudart.freed) == len(set(cudart.freed)) == 6


@pytest.mark.parametrize("fail_at", [1, 2])
def test_a_failed_construction_frees_what_it_took(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  fail_at: int) -> None:
    """cudaMalloc of the input (1) or the output (2) buffer failing: the stream and the input buffer already taken
    were never freed, and no object was left to free them."""
    fake = _Cudart(fail_malloc_at=fail_at)
    monkeypatch.setattr(trt_runtime, "_import_trt", lambda: (_fake_trt(), fake))
    monkeypatch.setattr(TrtSegmenter, "_build", lambda self, precision, images: self.engine_path.write_bytes(b"e"))
    with pytest.raises(ModelError, match=r"cudaMalloc\((input|output)\) failed with error 2"):
        TrtSegmenter(DEFAULT_MODEL_PATH, cache_dir=tmp_path)
    gc.collect()
    assert fake.live == {} and len(fake.freed) == len(set(fake.freed)) == fail_at


def test_every_backend_can_be_closed() -> None:
    """Callers close whatever load_segmenter gave them: ONNX Runtime's has nothing to free, and says so by doing
    nothing."""
    from models import load_segmenter

    with load_segmenter() as seg:
        assert seg.backend == "onnxruntime"
    seg.close()


def test_segment_closes_its_segmenter_after_the_photos_and_on_a_refusal(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`skyinspect segment --backend tensorrt` left the engine's buffers to the process's end; it now closes the
    segmenter once its photos are done, and when a check refuses them (exit 2)."""
    import cv2
    from typer.testing import CliRunner

    from models.runtime import TiledSegmenter
    from skyinspect.cli.main import app

    closed: list[str] = []
    monkeypatch.setattr(TiledSegmenter, "close", lambda self: closed.append(self.backend))
    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "a.jpg"), np.full((60, 80, 3), 128, np.uint8))
    args = ["segment", str(photos), "--flips", "1", "--upscale", "0"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert closed == ["onnxruntime"]
    cv2.imwrite(str(photos / "b_strip.png"), np.zeros((2, 66000, 3), np.uint8))  # its overlay cannot be written
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "out2")])
    assert result.exit_code == 2, result.output
    assert closed == ["onnxruntime"] * 2
