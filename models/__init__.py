"""skyinspect's crack/corrosion segmentation model: data prep, training, export (heavy, lazy) and the
torch-free ONNX runtime.

Entry points for the CLI (``skyinspect model ...``), all plain functions with keyword arguments:
``models.prepare.prepare``, ``models.train.train``, ``models.export.export``,
``models.evaluate.evaluate``. Importing this package never imports torch or ultralytics.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.runtime import OnnxSegmenter

DEFAULT_MODEL_PATH = Path(__file__).with_name("skyinspect-seg.onnx")


def load_segmenter(path: Path | str | None = None, providers: list[str] | None = None) -> OnnxSegmenter:
    """Load the shipped model (or ``path``) as an :class:`~models.runtime.OnnxSegmenter`."""
    from models.runtime import OnnxSegmenter

    return OnnxSegmenter(Path(path) if path is not None else DEFAULT_MODEL_PATH, providers=providers)


__all__ = ["DEFAULT_MODEL_PATH", "load_segmenter"]
