"""TensorRT backend for Jetson (JetPack 6.1/6.2: TensorRT 10.3; 6.0: 8.6; Python 3.10), same interface as
ONNX Runtime.

The engine is built **on the target** from the shipped ONNX (engines are specific to the GPU and the
TensorRT version) and cached under ``~/.cache/skyinspect/trt/`` by ONNX hash, GPU (name, compute
capability, SM count), TensorRT version, precision and batch (INT8: and its calibration frames), so the
minutes-long build happens once per device. FP16 by default; INT8 with entropy calibration over real
inspection images is optional.

NOT RUN in this project's CI or development machine: ``tensorrt`` cannot be installed from PyPI here
and there is no Jetson. The code follows the TensorRT 10 Python API (``build_serialized_network``,
named I/O tensors, ``set_input_shape``/``set_tensor_address``/``execute_async_v3``; on TensorRT 8.6 the
network is made explicit-batch) and cuda-python's
``cudart`` for device memory; ``tensorrt`` and ``cuda`` are imported only when a TrtSegmenter is
created. The pure parts (cache keys, calibration batches, metadata) are tested everywhere.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from models.model_file import EXPORT_FIX, ModelMetadata, check_model_file, sha256_of
from models.runtime import TiledSegmenter, to_model_input
from models.tiling import extract_tiles, tile_grid
from skyinspect.atomic import write_atomic
from skyinspect.errors import ImageError, ModelError, describe
from skyinspect.photo import read_bgr

log = logging.getLogger(__name__)
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "skyinspect" / "trt"
PRECISIONS = ("fp32", "fp16", "int8")
_NO_TRT = ("TensorRT is only available on the target (JetPack 6 ships it for the system Python 3.10); "
           "elsewhere use the ONNX Runtime backend (OnnxSegmenter, CUDAExecutionProvider on a GPU)")


# what calibration_batches does to a frame before TensorRT sees it; change it with that function, so that
# engines and tables calibrated the old way are not reused (calibration_key)
_CALIBRATION_PREP = "read_bgr;tile_grid native scale;to_model_input RGB/255 NCHW float32;v1"
CALIBRATION_MAX_BATCHES = 32
CALIBRATION_OVERLAP_PX = 0


def calibration_key(images: Sequence[Path], input_size: int, batch: int) -> str:
    """What an INT8 engine was calibrated on, as 16 hex digits: the sha256 of every frame's contents in order
    (calibration reads them in order, up to CALIBRATION_MAX_BATCHES batches) and of the tiling and preprocessing
    settings. Other frames, the same names holding other pictures, or another order give another key."""
    h = hashlib.sha256(f"{_CALIBRATION_PREP};tile {int(input_size)};overlap {CALIBRATION_OVERLAP_PX};"
                       f"batch {int(batch)};max {CALIBRATION_MAX_BATCHES}".encode())
    for path in images:
        try:
            h.update(bytes.fromhex(sha256_of(Path(path))))
        except OSError as exc:
            raise ImageError(describe(path, f"cannot read the calibration frame ({exc.strerror or exc})",
                                      "pass existing inspection frames")) from exc
    return h.hexdigest()[:16]


def engine_cache_path(cache_dir: Path, onnx_sha256: str, gpu_name: str, trt_version: str, precision: str,
                      max_batch: int, calibration: str | None = None) -> Path:
    """Where the engine for this model/GPU/TensorRT/precision/batch lives (one file per combination); an INT8
    engine also by its calibration frames (``calibration``: calibration_key), its table beside it (.calib)."""
    if precision not in PRECISIONS:
        raise ModelError(describe("precision", f"expected one of {PRECISIONS}, got {precision!r}"))
    if (precision == "int8") != (calibration is not None):
        raise ModelError(describe("calibration", f"expected a calibration key for INT8 and only for it, got "
                                  f"{calibration!r} for {precision}", "pass calibration_key(frames, ...)"))
    gpu = re.sub(r"[^A-Za-z0-9]+", "-", gpu_name).strip("-").lower() or "gpu"
    trt = re.sub(r"[^0-9.]+", "", trt_version) or "unknown"
    cal = f"_cal{re.sub(r'[^0-9a-f]+', '', str(calibration))}" if calibration is not None else ""
    return Path(cache_dir) / f"{onnx_sha256[:16]}_{gpu}_trt{trt}_{precision}_b{int(max_batch)}{cal}.engine"


def gpu_identity(props: Any) -> str:
    """The GPU an engine is built for, from cudaGetDeviceProperties: its name, compute capability and SM count.
    The name alone is not enough: every Jetson Orin module's GPU is "Orin" (AGX 16 SMs, NX and Nano 8 or 4), and
    TensorRT engines are tuned for the exact GPU model they were built on."""
    name = props.name.decode(errors="replace") if isinstance(props.name, bytes) else str(props.name)
    return f"{name.split(chr(0))[0]} sm{int(props.major)}{int(props.minor)} {int(props.multiProcessorCount)}sm"


def read_onnx_metadata(path: Path) -> ModelMetadata:
    """skyinspect metadata of an ONNX file, with the ``onnx`` package or else ONNX Runtime."""
    try:
        try:
            import onnx
        except ImportError:  # the runtime install has ONNX Runtime only
            import onnxruntime as ort

            meta = dict(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
                        .get_modelmeta().custom_metadata_map)
        else:
            model = onnx.load(str(path), load_external_data=False)
            meta = {p.key: p.value for p in model.metadata_props}
    except Exception as exc:  # DecodeError, InvalidProtobuf and friends on a file that is not ONNX
        raise ModelError(describe(path, f"expected an ONNX model ({type(exc).__name__}: {exc})")) from exc
    return ModelMetadata.parse(meta, path)


def calibration_batches(images: Sequence[Path], input_size: int, batch: int,
                        max_batches: int = CALIBRATION_MAX_BATCHES, overlap: int = CALIBRATION_OVERLAP_PX,
                        tiles_seen: list[int] | None = None) -> Iterator[np.ndarray]:
    """INT8 calibration data: real frames, read as ``skyinspect segment`` reads photos, tiled at native
    scale in inference's tiles (``input_size`` px; ``overlap`` 0 by default, TrtSegmenter's 64 only at
    inference), as float32 NCHW RGB/255 batches of ``batch`` tiles (a short last batch is dropped).
    ``tiles_seen[0]`` counts the tiles read, when given."""
    pending: list[np.ndarray] = []
    produced = 0
    for path in images:
        img = read_bgr(path)  # as segment reads its photos: a 16-bit frame or a JPEG cut short is refused
        for tile in extract_tiles(img, tile_grid(*img.shape[:2], input_size, overlap)):
            pending.append(tile)
            if tiles_seen is not None:
                tiles_seen[0] += 1
            if len(pending) == batch:
                yield to_model_input(np.stack(pending))
                pending.clear()
                produced += 1
                if produced >= max_batches:
                    return


def _import_trt() -> tuple[Any, Any]:
    try:
        import tensorrt as trt
    except ImportError as exc:
        raise ModelError(describe("tensorrt", "the TensorRT Python module is not installed", _NO_TRT)) from exc
    try:
        from cuda.bindings import runtime as cudart  # cuda-python >= 12.6
    except ImportError:
        try:
            from cuda import cudart  # older cuda-python
        except ImportError as exc:
            raise ModelError(describe("cuda-python", "needed for TensorRT device buffers, not installed",
                                      "pip install cuda-python (the jetson extra)")) from exc
    return trt, cudart


def _network_flags(trt: Any) -> int:
    """create_network's flags for this TensorRT: explicit batch, which TensorRT 8's ONNX parser requires
    (JetPack 6.0 ships 8.6) and 10 makes the only mode (the flag deprecated, 0). The named-tensor API used
    here (set_input_shape, set_tensor_address, execute_async_v3) came with 8.5: older is refused."""
    version = str(trt.__version__)
    found = re.match(r"(\d+)\.(\d+)", version)
    major_minor = (int(found[1]), int(found[2])) if found else (0, 0)
    if major_minor < (8, 5):
        raise ModelError(describe("tensorrt", f"expected TensorRT 8.5 or later (JetPack 6: 8.6 or 10.3), "
                                  f"got {version}", "update JetPack, or use --backend onnxruntime"))
    return 0 if major_minor >= (10, 0) else 1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)


def _free_gpu(cudart: Any, held: list[tuple[str, Any]]) -> None:
    """Give back what a TrtSegmenter took, last taken first, each once (``held`` empties as it goes): device
    buffers with cudaFree, then the stream with cudaStreamDestroy, as NVIDIA's samples/python/common_runtime.py
    free_buffers does. cudaFree waits for the device to finish with the buffer (implicit synchronisation), and
    cudaStreamDestroy lets work still queued on the stream finish first (CUDA runtime API). A failure is logged,
    not raised: this runs from close(), a ``with`` block's exit (maybe with an error in flight) and the GC."""
    while held:
        kind, handle = held.pop()
        err = (cudart.cudaStreamDestroy(handle) if kind == "stream" else cudart.cudaFree(handle))[0]
        if int(err) != 0:
            log.warning("TensorRT backend: freeing its %s failed with CUDA error %s", kind, err)


def _check(result: tuple[Any, ...], what: str) -> Any:
    err, *rest = result
    if int(err) != 0:
        raise ModelError(describe("CUDA", f"{what} failed with error {err}"))
    return rest[0] if len(rest) == 1 else rest


class TrtSegmenter(TiledSegmenter):
    """The skyinspect model run by a TensorRT engine built from ``model_path`` on this device."""

    backend = "tensorrt"

    def __init__(self, model_path: Path, precision: str = "fp16", batch_tiles: int = 8, overlap: int = 64,
                 cache_dir: Path = DEFAULT_CACHE_DIR, calibration_images: Sequence[Path] = (),
                 min_area: dict[int, int] | None = None, flips: int = 1, upscale: float | None = None) -> None:
        path = check_model_file(model_path, "pass the shipped skyinspect-seg.onnx")
        super().__init__(path, read_onnx_metadata(path), overlap, batch_tiles, "blend", min_area, flips=flips,
                         upscale=upscale)
        calibration_images = list(calibration_images)  # read twice (its key, then the calibration): a glob too
        if precision == "int8" and not calibration_images:
            raise ModelError(describe(path, "INT8 needs calibration images (real inspection frames)",
                                      "pass calibration_images, or use precision='fp16'"))
        self._trt, self._cudart = _import_trt()
        _network_flags(self._trt)  # a TensorRT too old for this backend is refused before any GPU work
        gpu = gpu_identity(_check(self._cudart.cudaGetDeviceProperties(0), "cudaGetDeviceProperties"))
        calibration = (calibration_key(calibration_images, self.input_size, self.batch_tiles)
                       if precision == "int8" else None)  # the frames' contents: other frames, another engine
        self.engine_path = engine_cache_path(cache_dir, sha256_of(path), gpu, self._trt.__version__,
                                             precision, self.batch_tiles, calibration)
        if not self.engine_path.is_file():
            self._build(precision, calibration_images)
        logger = self._trt.Logger(self._trt.Logger.WARNING)
        self._engine = self._trt.Runtime(logger).deserialize_cuda_engine(self.engine_path.read_bytes())
        if self._engine is None:
            raise ModelError(describe(self.engine_path, "TensorRT cannot deserialize the cached engine",
                                      "delete it; it is rebuilt on the next start"))
        self._context = self._engine.create_execution_context()
        names = [self._engine.get_tensor_name(i) for i in range(self._engine.num_io_tensors)]
        mode_in = self._trt.TensorIOMode.INPUT
        self._input = next(n for n in names if self._engine.get_tensor_mode(n) == mode_in)
        self._output = next(n for n in names if self._engine.get_tensor_mode(n) != mode_in)
        for name in (self._input, self._output):  # the buffers below are float32, as the ONNX model's are
            dtype = self._engine.get_tensor_dtype(name)
            if dtype != self._trt.DataType.FLOAT:
                raise ModelError(describe(self.path, f"expected the engine's tensor {name!r} as float32 "
                                          f"(DataType.FLOAT), got {dtype} ({self.engine_path.name})", EXPORT_FIX))
        # what is taken on the GPU from here on is freed once: by close() (a with block, the callers), when the
        # segmenter is dropped (weakref.finalize; not at interpreter exit, where the process's end frees it all),
        # or right here if a later step fails; close() waits for a batch in flight (_lock)
        self._held: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self._free = weakref.finalize(self, _free_gpu, self._cudart, self._held)
        self._free.atexit = False
        try:
            self._stream = _check(self._cudart.cudaStreamCreate(), "cudaStreamCreate")
            self._held.append(("stream", self._stream))
            n, t, c = self.batch_tiles, self.input_size, len(self.classes)
            self._d_in = _check(self._cudart.cudaMalloc(n * 3 * t * t * 4), "cudaMalloc(input)")
            self._held.append(("input buffer", self._d_in))
            self._d_out = _check(self._cudart.cudaMalloc(n * c * t * t * 4), "cudaMalloc(output)")
            self._held.append(("output buffer", self._d_out))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Free the engine's GPU buffers and stream (after the batch in flight, if any); later calls do nothing,
        and inference on a closed segmenter is refused."""
        free = getattr(self, "_free", None)
        if free is None:
            return
        with self._lock:
            self._context = self._engine = None  # TensorRT's objects go before the memory they were given
            self._d_in = self._d_out = self._stream = None
            free()

    def _build(self, precision: str, calibration_images: Sequence[Path]) -> None:
        trt = self._trt
        logger = trt.Logger(trt.Logger.WARNING)
        builder = trt.Builder(logger)
        network = builder.create_network(_network_flags(trt))
        parser = trt.OnnxParser(network, logger)
        if not parser.parse(self.path.read_bytes()):
            errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
            raise ModelError(describe(self.path, f"TensorRT's ONNX parser refused the model: {errors}"))
        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, 1 << 30)
        profile = builder.create_optimization_profile()
        name, t = network.get_input(0).name, self.input_size
        profile.set_shape(name, (1, 3, t, t), (self.batch_tiles, 3, t, t), (self.batch_tiles, 3, t, t))
        config.add_optimization_profile(profile)
        if precision in ("fp16", "int8"):
            config.set_flag(trt.BuilderFlag.FP16)
        calibrator = None
        # the calibration table is written beside the engine, during the build
        self.engine_path.parent.mkdir(parents=True, exist_ok=True)
        try:  # the calibrator's device buffer is freed whatever happens once it is made
            if precision == "int8":
                config.set_flag(trt.BuilderFlag.INT8)
                calibrator = _make_calibrator(trt, self._cudart, calibration_images, self.input_size,
                                              self.batch_tiles, self.engine_path.with_suffix(".calib"))
                config.int8_calibrator = calibrator
                # the input's batch, H and W are runtime dimensions: TensorRT 10 calibrates such a network only
                # with a calibration profile (IBuilderConfig.set_calibration_profile; its OPT shape, a full batch)
                if not config.set_calibration_profile(profile):
                    raise ModelError(describe(self.path, "TensorRT refused the INT8 calibration profile",
                                              "use precision='fp16'"))
            log.warning("building the TensorRT %s engine for %s (minutes, once per device)", precision,
                        self.path.name)
            serialized = builder.build_serialized_network(network, config)
        finally:
            if calibrator is not None:
                calibrator.free()
        if calibrator is not None and calibrator.error is not None:
            # TensorRT's bindings print an exception raised in a calibrator method and carry on (get_batch: as
            # if the data had ended): the engine would be calibrated on the frames before it, and cached
            raise calibrator.error
        if serialized is None:
            raise ModelError(describe(self.path, "TensorRT could not build an engine (see its log above)"))
        write_atomic(self.engine_path, bytes(serialized))  # a half-built engine is never cached

    def _infer(self, tiles_nchw: np.ndarray) -> np.ndarray:
        with self._lock:
            if self._d_in is None:  # never a copy into memory given back to CUDA
                raise ModelError(describe(self.engine_path, "this TensorRT segmenter is closed",
                                          "load the model again"))
            return self._infer_open(tiles_nchw)

    def _infer_open(self, tiles_nchw: np.ndarray) -> np.ndarray:
        cudart = self._cudart
        x = np.ascontiguousarray(tiles_nchw, dtype=np.float32)
        n = x.shape[0]
        if not self._context.set_input_shape(self._input, x.shape):
            raise ModelError(describe(self.engine_path, f"TensorRT refused the input shape {x.shape}"))
        # the engine's own output shape, not the metadata's: a mismatch would write past the output buffer
        expected = (n, len(self.classes), self.input_size, self.input_size)
        got = tuple(self._context.get_tensor_shape(self._output))
        if got != expected:
            raise ModelError(describe(self.path, f"expected output {expected} probabilities (the metadata's "
                                                 f"classes at the input's size), got {got} from the engine",
                                      EXPORT_FIX))
        # pageable host memory: the copies are correct but not overlapped (CUDA runtime API synchronization
        # behaviour; docs/jetson.md), and nothing here relies on overlap
        out = np.empty(expected, np.float32)
        h2d, d2h = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice, cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
        _check((cudart.cudaMemcpyAsync(self._d_in, x.ctypes.data, x.nbytes, h2d, self._stream)[0], None), "copy in")
        self._context.set_tensor_address(self._input, int(self._d_in))
        self._context.set_tensor_address(self._output, int(self._d_out))
        if not self._context.execute_async_v3(self._stream):
            raise ModelError(describe(self.engine_path, "TensorRT inference failed"))
        _check((cudart.cudaMemcpyAsync(out.ctypes.data, self._d_out, out.nbytes, d2h, self._stream)[0], None),
               "copy out")
        _check((cudart.cudaStreamSynchronize(self._stream)[0], None), "synchronize")
        return out


def _make_calibrator(trt: Any, cudart: Any, images: Sequence[Path], input_size: int, batch: int,
                     cache: Path) -> Any:
    """An IInt8EntropyCalibrator2 over :func:`calibration_batches`, caching its table beside the engine."""

    class Calibrator(trt.IInt8EntropyCalibrator2):  # type: ignore[misc, name-defined]
        """TensorRT calls these methods from C++ and swallows what they raise (NVIDIA/TensorRT
        python/src/infer/pyInt8.cpp, pyCalibratorTrampoline): each keeps its first error (Ctrl-C included)
        in ``error`` for the build to raise, and ends the calibration."""

        def __init__(self) -> None:
            super().__init__()
            self.error: BaseException | None = None
            self._tiles, self._served = [0], 0
            self._batches = calibration_batches(images, input_size, batch, tiles_seen=self._tiles)
            self._device: Any = _check(cudart.cudaMalloc(batch * 3 * input_size * input_size * 4),
                                       "cudaMalloc(calib)")

        def _keep(self, exc: BaseException) -> None:
            if self.error is None:
                self.error = exc

        def free(self) -> None:
            if self._device is not None:
                cudart.cudaFree(self._device)
                self._device = None

        def get_batch_size(self) -> int:
            return batch

        def get_batch(self, names: list[str]) -> list[int] | None:
            if self.error is not None:
                return None
            try:
                data = next(self._batches, None)
                if data is None:
                    if self._served == 0:  # TensorRT would fail with no scales, not saying why
                        n = self._tiles[0]
                        self._keep(ModelError(describe(
                            "calibration_images", f"{len(images)} frame(s) gave {n} tile{'' if n == 1 else 's'} "
                            f"of {input_size} px, fewer than one batch of {batch}",
                            "pass more frames (each is tiled at native scale, without overlap)")))
                    return None
                self._served += 1
                data = np.ascontiguousarray(data)
                _check((cudart.cudaMemcpy(self._device, data.ctypes.data, data.nbytes,
                                          cudart.cudaMemcpyKind.cudaMemcpyHostToDevice)[0], None), "copy calib")
            except BaseException as exc:  # noqa: BLE001 - raised by the build, after TensorRT returns
                self._keep(exc)
                return None
            return [int(self._device)]

        def read_calibration_cache(self) -> bytes | None:
            try:
                return cache.read_bytes() if cache.is_file() else None
            except BaseException as exc:  # noqa: BLE001
                self._keep(exc)
                return None

        def write_calibration_cache(self, data: Any) -> None:
            if self.error is not None:  # a table from the frames before the error is not one to reuse
                return
            try:
                write_atomic(cache, bytes(data))
            except BaseException as exc:  # noqa: BLE001
                self._keep(exc)

    return Calibrator()
