"""The ONNX Runtime backend (CPU, or CUDA with onnxruntime-gpu) of :class:`models.runtime.TiledSegmenter`:
the session, its threading, and the parallel workers that share the CPU's cores."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models import UPSCALE_FLIPS
from models.refine import DEFAULT_CRACK_REFINE
from models.model_file import ModelMetadata, check_model_file
from models.runtime import WHOLE_FRAME_MAX_PX, SegmentTiming, TiledSegmenter
from models.tiling import StitchMode
from skyinspect.errors import ModelError, describe

log = logging.getLogger(__name__)


class OnnxSegmenter(TiledSegmenter):
    """Crack/corrosion segmenter over an exported skyinspect ONNX model, run by ONNX Runtime
    (``providers`` e.g. ``["CUDAExecutionProvider", "CPUExecutionProvider"]``)."""

    backend = "onnxruntime"

    def __init__(self, model_path: Path, providers: Sequence[str] | None = None, overlap: int = 64,
                 batch_tiles: int = 8, stitch_mode: StitchMode = "blend",
                 min_area: dict[int, int] | None = None, crack_threshold: float | None | str = "model",
                 whole_frame_max_px: int = WHOLE_FRAME_MAX_PX,
                 corrosion_threshold: float | None | str = "model",
                 crack_refine: tuple[int, float] | None = DEFAULT_CRACK_REFINE, flips: int = 1,
                 spin_wait: bool = False, intra_op_threads: int | None = None,
                 upscale: float | None = None, upscale_flips: int = UPSCALE_FLIPS) -> None:
        path = check_model_file(model_path, "pass the path of an exported skyinspect .onnx model")
        self._providers = list(providers or ["CPUExecutionProvider"])
        self._spin_wait = spin_wait
        self._worker_sets: dict[int, list[TiledSegmenter]] = {}
        self._session = self._new_session(path, intra_op_threads)
        meta = ModelMetadata.parse(self._session.get_modelmeta().custom_metadata_map, path)
        inp = self._session.get_inputs()[0]
        self._input_name = inp.name
        batch_dim = inp.shape[0]
        # a fixed batch of 1 means one call per tile; a symbolic/None batch takes several at once
        self.dynamic_shapes = len(inp.shape) == 4 and not any(isinstance(d, int) for d in inp.shape[2:])
        super().__init__(path, meta, overlap, batch_tiles if not isinstance(batch_dim, int) else batch_dim,
                         stitch_mode, min_area, crack_threshold, whole_frame_max_px, corrosion_threshold,
                         crack_refine, flips, upscale, upscale_flips)

    def _new_session(self, path: Path, intra_op_threads: int | None):  # type: ignore[no-untyped-def]
        import onnxruntime as ort  # imported here so importing this module stays cheap

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if intra_op_threads is not None:
            opts.intra_op_num_threads = int(intra_op_threads)
        # No busy-waiting between ops unless ``spin_wait``: onboard, the capture and recording threads
        # share the cores with inference, and ORT's spinning workers starved them (2 cores, 1280x960:
        # pipeline/bare 0.91 spinning, 0.96 not; bench/onboard_pipeline.py). A process that has the
        # cores to itself (`skyinspect segment`, the evaluation) spins: 1280x960 frames 4-5 % faster
        # (model v4: 0.188 vs 0.198 s per frame; session 7, same machine and frames, alternating).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if self._spin_wait else "0")
        # a provider this ONNX Runtime lacks (CUDA without onnxruntime-gpu) is left out here, and one
        # that fails to start (no CUDA driver) ORT drops itself: either way the session runs on what
        # it got, and the segmenter must know (the CPU gets two parallel workers, a GPU one)
        wanted = [p for p in self._providers if p in ort.get_available_providers()] or ["CPUExecutionProvider"]
        try:
            session = ort.InferenceSession(str(path), sess_options=opts, providers=wanted)
        except Exception as exc:  # ORT raises its own Fail/InvalidProtobuf types
            raise ModelError(describe(path, f"expected an ONNX model, ONNX Runtime cannot load it "
                                            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})",
                                      "pass the skyinspect-seg.onnx produced by `python -m models.export`")) from exc
        running = list(session.get_providers())
        missing = [p for p in self._providers if p not in running]
        if missing:
            log.warning("%s: %s not available here, so the model runs on %s (for CUDA: pip install onnxruntime-gpu "
                        "with a matching CUDA and cuDNN; or choose --backend onnxruntime)", path.name,
                        " and ".join(missing), " and ".join(running))
        self._providers = running
        return session

    def parallel_workers(self, n: int | None = None) -> list[TiledSegmenter]:
        """On the CPU: ``n`` (default 2) segmenters over one new session whose ONNX Runtime runs
        each call in ``cores // n`` threads. This model scales poorly across ORT's intra-op threads
        and a frame's pre- and post-processing are single-threaded, so two one-thread workers on 2
        cores segment 1.4-1.5x the frames per second of one two-thread session (640x480 and
        1280x960 demo frames; bench/onboard_pipeline.py), each frame taking longer. On a GPU: just
        this segmenter (one device queue). The workers are made on the first call for each ``n``
        and copy the settings (thresholds, flips, crack refinement) as they are then."""
        import copy
        import os

        if any(p != "CPUExecutionProvider" for p in self._providers):
            return [self]
        cores = os.cpu_count() or 1
        n = (2 if cores >= 2 else 1) if n is None else max(1, int(n))
        if n == 1:
            return [self]
        if n not in self._worker_sets:  # made once: a session costs ~0.1 s to create
            session = self._new_session(self.path, max(1, cores // n))  # ORT sessions run concurrently
            workers = []
            for _ in range(n):
                worker = copy.copy(self)  # the settings; last_timing is per worker
                worker._session, worker._worker_sets = session, {}
                worker.last_timing = SegmentTiming()
                workers.append(worker)
            self._worker_sets[n] = workers
        return list(self._worker_sets[n])

    def _infer(self, tiles_nchw: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input_name: tiles_nchw})[0]
