"""Torch-free segmentation runtime: ONNX Runtime + tiling + postprocessing.

Only numpy, opencv-python-headless, onnxruntime (and scikit-image for crack skeletons) are needed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from models.postprocess import extract_instances
from models.tiling import StitchMode, extract_tiles, stitch, tile_grid
from skyinspect.errors import ImageError, ModelError, describe
from skyinspect.segmentation import Segmentation

REQUIRED_KEYS = ("skyinspect.classes", "skyinspect.input_size", "skyinspect.normalisation",
                 "skyinspect.model_id", "skyinspect.output")
_EXPORT_FIX = "re-export it with `python -m models.export <best.pt>` (adds skyinspect.* metadata)"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class OnnxSegmenter:
    """Crack/corrosion segmenter over an exported skyinspect ONNX model.

    Frames of any size are tiled at the model's native ``input_size`` with ``overlap`` px of
    overlap, run in batches of ``batch_tiles`` (one ORT call per batch when the model's batch
    axis is dynamic), and the class probabilities are blended back at full resolution.
    """

    def __init__(self, model_path: Path, providers: Sequence[str] | None = None, overlap: int = 64,
                 batch_tiles: int = 8, stitch_mode: StitchMode = "blend",
                 min_area: dict[int, int] | None = None) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise ModelError(describe(path, "model file not found",
                                      "pass the path of an exported skyinspect .onnx model"))
        import onnxruntime as ort  # imported here so importing this module stays cheap

        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(path), sess_options=opts,
                                                 providers=list(providers or ["CPUExecutionProvider"]))
        except Exception as exc:  # ORT raises its own Fail/InvalidProtobuf types
            raise ModelError(describe(path, f"expected an ONNX model, ONNX Runtime cannot load it "
                                            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200]})",
                                      "pass the skyinspect-seg.onnx produced by `python -m models.export`")) from exc
        meta = self._session.get_modelmeta().custom_metadata_map
        missing = [k for k in REQUIRED_KEYS if k not in meta]
        if missing:
            raise ModelError(describe(path, f"ONNX model lacks skyinspect metadata (missing {', '.join(missing)})",
                                      _EXPORT_FIX))
        try:
            self.classes: tuple[str, ...] = tuple(json.loads(meta["skyinspect.classes"]))
            self.input_size: int = int(meta["skyinspect.input_size"])
        except (ValueError, TypeError) as exc:
            raise ModelError(describe(path, f"malformed skyinspect metadata ({exc})", _EXPORT_FIX)) from exc
        if meta["skyinspect.normalisation"] != "rgb/255":
            raise ModelError(describe(path, f"expected normalisation 'rgb/255', got "
                                            f"{meta['skyinspect.normalisation']!r}", _EXPORT_FIX))
        self.path = path
        self.model_id: str = meta["skyinspect.model_id"]
        self.version: str = meta.get("skyinspect.version", "")
        self.sha256: str = _sha256(path)
        self.overlap = int(overlap)
        self.stitch_mode: StitchMode = stitch_mode
        self.min_area = min_area
        inp = self._session.get_inputs()[0]
        self._input_name = inp.name
        batch_dim = inp.shape[0]
        # a fixed batch of 1 means one call per tile; a symbolic/None batch takes several at once
        self.batch_tiles = int(batch_tiles) if not isinstance(batch_dim, int) else max(1, batch_dim)
        self._fixed_batch = batch_dim if isinstance(batch_dim, int) else None

    def __repr__(self) -> str:
        return f"OnnxSegmenter({self.path.name!r}, model_id={self.model_id!r}, sha256={self.sha256[:12]}...)"

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

    def predict_probs(self, image_bgr: np.ndarray) -> np.ndarray:
        """Per-class probabilities (C, H, W) float32 at the frame's own resolution."""
        self._check_image(image_bgr)
        h, w = image_bgr.shape[:2]
        grid = tile_grid(h, w, self.input_size, self.overlap)
        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        tiles = extract_tiles(rgb, grid)  # (N, t, t, 3) uint8
        outs = []
        step = self.batch_tiles
        for i in range(0, len(tiles), step):
            x = tiles[i:i + step].transpose(0, 3, 1, 2).astype(np.float32) * (1.0 / 255.0)
            outs.append(self._session.run(None, {self._input_name: x})[0])
        probs = np.concatenate(outs, axis=0).astype(np.float32, copy=False)
        if probs.ndim != 4 or probs.shape[1] != len(self.classes) or probs.shape[2:] != tiles.shape[1:3]:
            raise ModelError(describe(self.path, f"expected output (N, {len(self.classes)}, {self.input_size}, "
                                                 f"{self.input_size}) probabilities, got {probs.shape}", _EXPORT_FIX))
        return stitch(probs, grid, self.stitch_mode)

    def segment(self, image_bgr: np.ndarray) -> Segmentation:
        """Segment one uint8 HxWx3 BGR frame of any size."""
        probs = self.predict_probs(image_bgr)
        class_map = probs.argmax(axis=0).astype(np.uint8)
        confidence = probs.max(axis=0)
        instances = extract_instances(class_map, confidence, self.min_area)
        return Segmentation(class_map=class_map, instances=tuple(instances), model_id=self.model_id,
                            confidence=confidence, class_names=self.classes)
