"""Torch-free segmentation runtime: tiling + a backend + postprocessing.

:class:`TiledSegmenter` owns everything but the forward pass (checks, tiling at the model's native
scale, blending, argmax, instances); backends supply ``_infer``: ONNX Runtime
(:class:`models.onnx_runtime.OnnxSegmenter`, CPU or CUDA) and TensorRT on Jetson
(models/tensorrt_runtime.py). Only numpy, opencv-python-headless and onnxruntime (and
scikit-image for crack skeletons) are needed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from models import FLIP_CHOICES, UPSCALE_FLIPS
from models.decide import class_map_from_probs
from models.model_file import EXPORT_FIX, STRIDE_PX, ModelMetadata, sha256_of
from models.postprocess import cv_plane, extract_instances
from models.refine import DEFAULT_CRACK_REFINE, extend_along_ridges, refine_cracks
from models.regions import defect_regions
from models.sharpen import CANDIDATE_MIN_PROB, sharpen_probs, touched_blocks
from models.tiling import Stitcher, StitchMode, extract_tiles, tile_grid
from models.tta import flip_averaged, reduce_probs, scaled_size
from models.wide import add_wide_cracks, wide_crack_mask
from models.work_plan import model_input_px
from skyinspect.drift import DriftReference
from skyinspect.errors import ImageError, ModelError, describe
from skyinspect.segmentation import CORROSION, CRACK, Segmentation

DRIFT_REFERENCE_FILE = Path(__file__).with_name("data") / "drift_reference.json"
# Frames up to this size go through a dynamic-shape model whole. Measured (models.evaluate, shipped
# v2): whole-image passes score the same as 384-px tiles (UAV75 val tol. F 0.636 vs 0.632, DeepCrack
# IoU 0.552 vs 0.552, corrosion 0.434 vs 0.435) and the demo's 1280x960 frames (see README) likewise,
# at 1.0x the frame's pixels instead of the tiles' 1.44x. Larger frames are tiled at native scale.
WHOLE_FRAME_MAX_PX = 1_600_000


class SegmentInterrupted(ModelError):
    """A frame's segmentation stopped by :meth:`TiledSegmenter.interrupt`."""


@dataclass(frozen=True)
class SegmentTiming:
    """Where one frame's time went (seconds): tiling + normalisation, the model, blending the tiles
    back, and class map → instances (polygons, skeletons)."""

    preprocess_s: float = 0.0
    inference_s: float = 0.0
    stitch_s: float = 0.0
    postprocess_s: float = 0.0

    @property
    def total_s(self) -> float:
        return self.preprocess_s + self.inference_s + self.stitch_s + self.postprocess_s


def load_drift_reference(model_id: str, file: Path | None = None) -> DriftReference | None:
    """The shipped training-set statistics, if they belong to ``model_id`` (else no drift check)."""
    file = Path(file) if file is not None else DRIFT_REFERENCE_FILE
    if not file.is_file():
        return None
    ref = DriftReference.from_json(file.read_text(), file)
    return ref if ref.model_id == model_id else None


# uint8 → float32 /255 as a table: the same values as multiplying by float32(1/255)
_TO_UNIT = (np.arange(256, dtype=np.float32) * np.float32(1.0 / 255.0)).reshape(256, 1)


def to_model_input(tiles_bgr: np.ndarray) -> np.ndarray:
    """(N, t, t, 3) uint8 BGR tiles → (N, 3, t, t) float32 RGB/255. Each tile is split into its
    planes and each plane looked up in a 256-entry table straight into the output (OpenCV, threaded):
    1.45 ms for a 1280x960 frame where numpy's strided multiply per channel took 2.25 ms (and
    transpose + astype + scale, walking the array three times, 2.5x that)."""
    x = np.empty((tiles_bgr.shape[0], 3) + tiles_bgr.shape[1:3], dtype=np.float32)
    for i in range(tiles_bgr.shape[0]):
        planes = cv2.split(np.ascontiguousarray(tiles_bgr[i]))
        for c in range(3):
            cv2.LUT(planes[2 - c], _TO_UNIT, dst=x[i, c])
    return x


class TiledSegmenter:
    """Segment frames of any size at the model's native pixel scale: tiles of the model's
    ``input_size`` with ``overlap`` px of overlap, batches of ``batch_tiles``, per-class
    probabilities blended back at full resolution, then instances. A dynamic-shape model takes
    frames up to ``whole_frame_max_px`` in one pass instead (same scale, no tile overlap to pay
    for). Subclasses implement ``_infer`` (float32 NCHW RGB/255 → float32 N×C×H×W probabilities)."""

    backend = "none"
    # Backends whose model accepts any H and W (multiples of STRIDE_PX) set this: frames up to
    # whole_frame_max_px then go through in one pass instead of 12+ overlapping tiles.
    dynamic_shapes = False

    def __init__(self, path: Path, meta: ModelMetadata, overlap: int = 64, batch_tiles: int = 8,
                 stitch_mode: StitchMode = "blend", min_area: dict[int, int] | None = None,
                 crack_threshold: float | None | str = "model",
                 whole_frame_max_px: int = WHOLE_FRAME_MAX_PX,
                 corrosion_threshold: float | None | str = "model",
                 crack_refine: tuple[int, float] | None = DEFAULT_CRACK_REFINE, flips: int = 1,
                 upscale: float | None = None, upscale_flips: int = UPSCALE_FLIPS) -> None:
        self.path = Path(path)
        if flips not in FLIP_CHOICES:
            raise ModelError(describe("flips", f"expected one of {FLIP_CHOICES}, got {flips!r}",
                                      "1 for live use, 4 for the best masks at four times the model time"))
        self.flips = int(flips)
        none = upscale is None or upscale in (0, 1)  # 0 and 1: no enlarged pass
        top = meta.input_size / STRIDE_PX  # a large frame's tiles (input_size / upscale px) stop at the stride
        if not none and not 1.0 < upscale <= top:  # type: ignore[operator]  # NaN fails both
            raise ModelError(describe("upscale", f"expected a factor > 1 and at most {top:g} (the model's "
                                      f"{meta.input_size}-px input over its {STRIDE_PX}-px stride), or 0 for none, "
                                      f"got {upscale!r}",
                                      "1.5 adds passes over the frame enlarged by half (thin cracks)"))
        if upscale_flips not in FLIP_CHOICES:
            raise ModelError(describe("upscale_flips", f"expected one of {FLIP_CHOICES}, got {upscale_flips!r}"))
        self.upscale, self.upscale_flips = (None if none else float(upscale)), int(upscale_flips)  # type: ignore[arg-type]
        # (closing window px, keep share) of models.refine.refine_cracks; None: the raw upsampled band
        self.crack_refine = crack_refine
        # (radius px, eps) of models.sharpen.sharpen_probs; None: the upsampled probabilities as they
        # are. models.load_segmenter sets it (and crack_ridge_low) as shipped: models.ONE_PASS_PROB_SHARPEN
        self.prob_sharpen: tuple[int, float] | None = None
        # crack probability down to which a crack is continued along its ridge (models.refine.
        # extend_along_ridges); None: the argmax's cracks as they are
        self.crack_ridge_low: float | None = None
        # an extra pass over the frame reduced by this factor adds the open cracks wider than any
        # the model was trained on (models.wide); None: none (onboard). load_segmenter sets it
        self.wide_crack_scale: float | None = None
        self.whole_frame_max_px = int(whole_frame_max_px)
        self.classes, self.input_size = meta.classes, meta.input_size
        self.model_id, self.version = meta.model_id, meta.version
        self.sha256: str = sha256_of(self.path)
        self.overlap = int(overlap)
        self.batch_tiles = max(1, int(batch_tiles))
        self.stitch_mode: StitchMode = stitch_mode
        self.min_area = min_area
        self.drift_reference = load_drift_reference(self.model_id)
        # "model": the threshold calibrated into the model file (argmax when it has none); None: argmax
        self.crack_threshold = meta.crack_threshold if crack_threshold == "model" else crack_threshold
        self.corrosion_threshold = meta.corrosion_threshold if corrosion_threshold == "model" else corrosion_threshold
        self.last_timing = SegmentTiming()
        # set by interrupt(): shared with the parallel workers (copies of this segmenter), so one call stops all
        self._stopping = threading.Event()
        # watch_progress()'s hook, in a list shared with the parallel workers (made before it may be set)
        self._progress: list[Callable[[np.ndarray, float], None] | None] = [None]
        self._frame: tuple[np.ndarray, int, list[int]] | None = None  # in flight: (frame, planned px, done px)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.path.name!r}, model_id={self.model_id!r}, "
                f"sha256={self.sha256[:12]}...)")

    def _infer(self, tiles_nchw: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def close(self) -> None:
        """Free what the backend holds outside Python's memory (TensorRT: its GPU buffers); a no-op here and
        on a second call. Callers close what load_segmenter gave them, or use it in a ``with`` block."""

    def __enter__(self) -> TiledSegmenter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def parallel_workers(self, n: int | None = None) -> list[TiledSegmenter]:
        """Segmenters that may run at the same time, one per thread, to share this machine (the
        same model and settings; ``n`` of them, or as many as pay off when None). A backend that
        cannot run concurrently (one GPU context) returns just itself."""
        return [self]

    def interrupt(self) -> None:
        """Make the frames in flight on this segmenter and its parallel workers stop at their next model
        pass, raising SegmentInterrupted (Ctrl-C in `skyinspect segment`: a 9-MPx photo's remaining passes
        took a minute and more); :meth:`resume` before segmenting again."""
        self._stopping.set()

    def resume(self) -> None:
        self._stopping.clear()

    def watch_progress(self, hook: Callable[[np.ndarray, float], None] | None) -> None:
        """Call ``hook(frame, share done)`` after each batch of model passes of a frame in :meth:`segment`,
        on this segmenter and its parallel workers (the frame is the array passed to ``segment``); share
        done is the model input pixels passed over those planned (models.work_plan). None: no more."""
        self._progress[0] = hook

    def _passed(self, x: np.ndarray) -> None:
        """A batch of model input ``x`` (N, C, H, W) is done: said to the progress hook."""
        frame, hook = self._frame, self._progress[0]
        if frame is not None and hook is not None:
            frame[2][0] += x.shape[0] * x.shape[2] * x.shape[3]
            hook(frame[0], min(1.0, frame[2][0] / max(1, frame[1])))

    def _stop_if_interrupted(self) -> None:
        if self._stopping.is_set():
            raise SegmentInterrupted(describe(self.path, "segmentation interrupted"))

    def _check_image(self, image: np.ndarray) -> None:
        if not isinstance(image, np.ndarray):
            raise ImageError(describe("image", f"expected a numpy uint8 HxWx3 BGR array, got {type(image).__name__}",
                                      "decode it with cv2.imread(path, cv2.IMREAD_COLOR)"))
        if image.dtype != np.uint8:
            raise ImageError(describe("image", f"expected uint8 pixels, got {image.dtype}",
                                      "convert 16-bit/float frames to 8-bit first (e.g. cv2.convertScaleAbs)"))
        if image.ndim != 3 or image.shape[2] != 3 or image.shape[0] < 1 or image.shape[1] < 1:
            raise ImageError(describe("image", f"expected shape (H, W, 3) BGR, got {image.shape}",
                                      "convert grayscale/BGRA with cv2.cvtColor(..., cv2.COLOR_GRAY2BGR/BGRA2BGR)"))

    def uses_whole_frame(self, height: int, width: int) -> bool:
        """True when a frame of this size goes through the model in one pass (no tiles)."""
        return self.dynamic_shapes and height * width <= self.whole_frame_max_px

    def whole_frame_input(self, image_bgr: np.ndarray) -> np.ndarray:
        """The (1, 3, H', W') model input of a one-pass frame: reflect-padded to a multiple of the
        model's stride (and to at least one training tile, like the tiled path pads small frames)."""
        h, w = image_bgr.shape[:2]
        ph = max(-(-h // STRIDE_PX) * STRIDE_PX, self.input_size)
        pw = max(-(-w // STRIDE_PX) * STRIDE_PX, self.input_size)
        padded = image_bgr
        if (ph, pw) != (h, w):
            mode = "reflect" if h > 1 and w > 1 and ph - h < h and pw - w < w else "edge"
            padded = np.pad(image_bgr, ((0, ph - h), (0, pw - w), (0, 0)), mode=mode)
        return to_model_input(padded[None])

    def _predict_whole(self, image_bgr: np.ndarray) -> np.ndarray:
        """One pass over the frame (see :meth:`whole_frame_input`)."""
        t0 = time.perf_counter()
        h, w = image_bgr.shape[:2]
        x = self.whole_frame_input(image_bgr)
        ph, pw = x.shape[2:]
        self._stop_if_interrupted()
        t1 = time.perf_counter()
        probs = np.asarray(self._infer(x), dtype=np.float32)
        t2 = time.perf_counter()
        self._passed(x)
        if probs.shape != (1, len(self.classes), ph, pw):
            raise ModelError(describe(self.path, f"expected output (1, {len(self.classes)}, {ph}, {pw}) "
                                                 f"probabilities, got {probs.shape}", EXPORT_FIX))
        out = probs[0, :, :h, :w]
        self.last_timing = SegmentTiming(preprocess_s=t1 - t0, inference_s=t2 - t1,
                                         stitch_s=time.perf_counter() - t2)
        return out

    def predict_probs(self, image_bgr: np.ndarray) -> np.ndarray:
        """Per-class probabilities (C, H, W) float32 at the frame's own resolution, averaged over
        ``self.flips`` flipped passes and, with ``self.upscale``, ``self.upscale_flips`` passes
        over the frame upscaled (models/tta.py)."""
        self._check_image(image_bgr)
        if self.flips == 1 and not self.upscale:
            return self._predict_probs_once(image_bgr)

        def timing() -> tuple[float, float, float]:
            t = self.last_timing
            return t.preprocess_s, t.inference_s, t.stitch_s

        probs, (pre, infer, stitch) = flip_averaged(self._predict_probs_once, image_bgr, self.flips, timing)
        if self.upscale:
            up, (p2, i2, s2) = flip_averaged(self._predict_upscaled, image_bgr, self.upscale_flips, timing)
            t0 = time.perf_counter()
            probs = (probs + up) * np.float32(0.5)
            pre, infer, stitch = pre + p2, infer + i2, stitch + s2 + time.perf_counter() - t0
        self.last_timing = SegmentTiming(pre, infer, stitch)
        return probs

    def _predict_upscaled(self, image_bgr: np.ndarray) -> np.ndarray:
        """(C, H, W) probabilities of the frame enlarged ``self.upscale`` times, at the frame's own
        resolution. A frame whose enlargement goes through whole is enlarged and its output reduced
        (bilinear both ways); a larger one is tiled at native resolution in tiles of
        input_size / upscale px, each enlarged to input_size and its output reduced before blending:
        the same pixels as tiling the enlarged frame (up to the tiles' edges), without holding a
        frame 2.25x the size."""
        h, w = image_bgr.shape[:2]
        bh, bw = scaled_size(h, w, self.upscale)  # type: ignore[arg-type]
        if self.uses_whole_frame(bh, bw):
            t0 = time.perf_counter()
            big = cv2.resize(image_bgr, (bw, bh), interpolation=cv2.INTER_LINEAR)
            t1 = time.perf_counter()
            probs = self._predict_probs_once(big)
            t2 = time.perf_counter()
            out = reduce_probs(probs, h, w)
            t = self.last_timing
            self.last_timing = SegmentTiming(t.preprocess_s + t1 - t0, t.inference_s,
                                             t.stitch_s + time.perf_counter() - t2)
            return out
        tile = max(STRIDE_PX, round(self.input_size / self.upscale))  # type: ignore[operator]
        overlap = min(round(self.overlap / self.upscale), tile - 1)  # type: ignore[operator]
        return self._predict_tiled(image_bgr, tile, overlap)

    def _predict_probs_once(self, image_bgr: np.ndarray) -> np.ndarray:
        h, w = image_bgr.shape[:2]
        if self.uses_whole_frame(h, w):
            return self._predict_whole(image_bgr)
        return self._predict_tiled(image_bgr, self.input_size, self.overlap)

    def _predict_tiled(self, image_bgr: np.ndarray, tile: int, overlap: int) -> np.ndarray:
        """Tiles of ``tile`` px (each resized to the model's input size when it differs, and its
        output resized back), blended at the frame's own resolution."""
        t0 = time.perf_counter()
        h, w = image_bgr.shape[:2]
        size = self.input_size
        grid = tile_grid(h, w, tile, overlap)
        tiles = extract_tiles(image_bgr, grid)  # (N, t, t, 3) uint8 BGR
        if tile != size:
            tiles = np.stack([cv2.resize(t, (size, size), interpolation=cv2.INTER_LINEAR) for t in tiles])
        stitcher = Stitcher(grid, len(self.classes), self.stitch_mode)
        pre, infer, merge = time.perf_counter() - t0, 0.0, 0.0
        for i in range(0, len(tiles), self.batch_tiles):
            self._stop_if_interrupted()
            t1 = time.perf_counter()
            x = to_model_input(tiles[i:i + self.batch_tiles])
            t2 = time.perf_counter()
            probs = np.asarray(self._infer(x), dtype=np.float32)
            t3 = time.perf_counter()
            self._passed(x)
            if probs.ndim != 4 or probs.shape[1:] != (len(self.classes), size, size) or probs.shape[0] != x.shape[0]:
                raise ModelError(describe(self.path, f"expected output ({x.shape[0]}, {len(self.classes)}, "
                                                     f"{size}, {size}) probabilities, got {probs.shape}", EXPORT_FIX))
            stitcher.add(probs if tile == size else np.stack([reduce_probs(p, tile, tile) for p in probs]))
            pre, infer, merge = pre + (t2 - t1), infer + (t3 - t2), merge + (time.perf_counter() - t3)
        t4 = time.perf_counter()
        out = stitcher.result()
        self.last_timing = SegmentTiming(preprocess_s=pre, inference_s=infer,
                                         stitch_s=merge + time.perf_counter() - t4)
        return out

    def _wide_cracks(self, image_bgr: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None, SegmentTiming]:
        """(The open cracks found in one pass over the frame reduced by ``wide_crack_scale``, as a
        mask at the frame's size (models.wide), and that pass's crack probability at the frame's
        size, both None when it found none; its timing)."""
        self._check_image(image_bgr)
        h, w = image_bgr.shape[:2]
        rh, rw = scaled_size(h, w, self.wide_crack_scale)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        small = cv2.resize(image_bgr, (rw, rh), interpolation=cv2.INTER_AREA)
        resize_s = time.perf_counter() - t0
        probs = self._predict_probs_once(small)
        t1 = time.perf_counter()
        class_map, _ = class_map_from_probs(probs, self.crack_threshold, self.corrosion_threshold)
        wide: np.ndarray | None = wide_crack_mask(class_map, self.wide_crack_scale, h, w)  # type: ignore[arg-type]
        crack_prob = None
        if wide.any():  # type: ignore[union-attr]
            crack_prob = cv2.resize(cv_plane(probs[CRACK]), (w, h), interpolation=cv2.INTER_LINEAR)
        else:
            wide = None
        t = self.last_timing
        return wide, crack_prob, SegmentTiming(t.preprocess_s + resize_s, t.inference_s, t.stitch_s,
                                               time.perf_counter() - t1)

    def segment(self, image_bgr: np.ndarray) -> Segmentation:
        """Segment one uint8 HxWx3 BGR frame of any size (``last_timing`` says where the time went)."""
        if self._progress[0] is None:
            return self._segment(image_bgr)
        self._check_image(image_bgr)
        self._frame = (image_bgr, model_input_px(self, *image_bgr.shape[:2]), [0])
        try:
            return self._segment(image_bgr)
        finally:
            self._frame = None

    def _segment(self, image_bgr: np.ndarray) -> Segmentation:
        wide, wide_prob, wide_timing = self._wide_cracks(image_bgr) if self.wide_crack_scale and \
            len(self.classes) > CRACK else (None, None, SegmentTiming())
        probs = self.predict_probs(image_bgr)
        t0 = time.perf_counter()
        # the decisions below act on defect probabilities down to the lowest of these, and only there
        floor = min(v for v in (0.5, self.crack_threshold, self.crack_ridge_low) if v is not None)
        touched = None
        if self.prob_sharpen is not None and probs.shape[0] > 1:
            probs = np.asarray(probs, dtype=np.float32)
            touched = touched_blocks(probs, self.prob_sharpen[0])
            probs = sharpen_probs(probs, image_bgr, *self.prob_sharpen, blocks=touched)
        # sharpening presumes probabilities that sum to one (it takes background as the rest); so
        # does reading the defect regions from its blocks only (models.sharpen.touched_blocks)
        within = touched if touched is not None and floor >= CANDIDATE_MIN_PROB else None
        regions = defect_regions(probs, floor, within=within) if probs.shape[0] > 1 else None
        class_map, confidence = class_map_from_probs(probs, self.crack_threshold, self.corrosion_threshold, regions)
        if self.crack_ridge_low is not None and probs.shape[0] > CRACK:
            class_map = extend_along_ridges(class_map, probs[CRACK], self.crack_ridge_low,
                                            CORROSION if probs.shape[0] > CORROSION else None, regions)
        if wide is not None and wide_prob is not None:
            class_map, added = add_wide_cracks(class_map, confidence, wide, wide_prob)
            if added is not None and regions is not None:
                regions = [*regions, added]  # the later steps only look for each class inside them
        if self.crack_refine is not None:
            class_map = refine_cracks(class_map, image_bgr, *self.crack_refine, regions=regions)
        instances = extract_instances(class_map, confidence, self.min_area, regions=regions)
        t, wt = self.last_timing, wide_timing
        self.last_timing = SegmentTiming(t.preprocess_s + wt.preprocess_s, t.inference_s + wt.inference_s,
                                         t.stitch_s + wt.stitch_s, time.perf_counter() - t0 + wt.postprocess_s)
        return Segmentation(class_map=class_map, instances=tuple(instances), model_id=self.model_id,
                            confidence=confidence, class_names=self.classes)
