"""What skyinspect reads from an exported model file, whatever backend runs it: the file itself
(checked, hashed) and its ``skyinspect.*`` ONNX metadata (classes, input size, calibrated thresholds)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from skyinspect.errors import ModelError, describe

REQUIRED_KEYS = ("skyinspect.classes", "skyinspect.input_size", "skyinspect.normalisation",
                 "skyinspect.model_id", "skyinspect.output")
EXPORT_FIX = "re-export it with `python -m models.export <best.pt>` (adds skyinspect.* metadata)"
STRIDE_PX = 32  # the coarsest feature map of the YOLO26 backbone: input sides must be multiples
MAX_INPUT_SIZE_PX = 2048  # a tile of 2048x2048x3 floats is 50 MB; 100000 asked for a 27.9 GiB frame buffer


def check_model_file(path: Path, fix: str) -> Path:
    """``path`` when it is a file; else ModelError naming it (a folder, the one holding the model, was
    called 'not found' although it is there), with ``fix``."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(describe(path, "is a folder, expected the .onnx model file" if path.is_dir()
                                  else "model file not found", fix))
    return path


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class ModelMetadata:
    """What skyinspect needs to know about an exported model (from its ONNX metadata_props)."""

    classes: tuple[str, ...]
    input_size: int
    model_id: str
    version: str
    crack_threshold: float | None = None  # calibrated on validation data by models.calibrate; None: argmax
    corrosion_threshold: float | None = None  # likewise; corrosion below it becomes background

    @classmethod
    def parse(cls, meta: Mapping[str, str], path: Path) -> ModelMetadata:
        missing = [k for k in REQUIRED_KEYS if k not in meta]
        if missing:
            raise ModelError(describe(path, f"ONNX model lacks skyinspect metadata (missing {', '.join(missing)})",
                                      EXPORT_FIX))
        try:
            listed = json.loads(meta["skyinspect.classes"])
            classes = tuple(str(c) for c in listed)
            input_size = int(meta["skyinspect.input_size"])
        except (ValueError, TypeError) as exc:
            raise ModelError(describe(path, f"malformed skyinspect metadata ({exc})", EXPORT_FIX)) from exc
        # checked here, where the file is named: a tile size the tiler or the network cannot take failed mid-segment
        # (ValueError, ONNX Runtime's Concat error, MemoryError) and model info called the file fine
        if not (isinstance(listed, list) and all(isinstance(c, str) and c for c in listed)
                and len(set(classes)) == len(classes) >= 2):
            raise ModelError(describe(path, f"skyinspect.classes: expected a JSON list of at least 2 distinct class "
                                            f"names (background first), got {meta['skyinspect.classes']!r}", EXPORT_FIX))
        if not (STRIDE_PX <= input_size <= MAX_INPUT_SIZE_PX and input_size % STRIDE_PX == 0):
            raise ModelError(describe(path, f"skyinspect.input_size: expected a multiple of {STRIDE_PX} px from "
                                            f"{STRIDE_PX} to {MAX_INPUT_SIZE_PX} (the size it was exported at, e.g. "
                                            f"384), got {meta['skyinspect.input_size']!r}", EXPORT_FIX))
        if meta["skyinspect.normalisation"] != "rgb/255":
            raise ModelError(describe(path, f"expected normalisation 'rgb/255', got "
                                            f"{meta['skyinspect.normalisation']!r}", EXPORT_FIX))
        crack_threshold = _threshold(meta, "skyinspect.crack_threshold", path)
        corrosion_threshold = _threshold(meta, "skyinspect.corrosion_threshold", path)
        return cls(classes, input_size, meta["skyinspect.model_id"], meta.get("skyinspect.version", ""),
                   crack_threshold, corrosion_threshold)


def _threshold(meta: Mapping[str, str], key: str, path: Path) -> float | None:
    """A calibrated probability threshold from the metadata (None when absent), range-checked."""
    if key not in meta:
        return None
    try:
        value = float(meta[key])
    except ValueError as exc:
        raise ModelError(describe(path, f"{key} is {meta[key]!r}, expected a number")) from exc
    if not 0.0 < value < 1.0:
        raise ModelError(describe(path, f"{key} {value} outside (0, 1)"))
    return value
