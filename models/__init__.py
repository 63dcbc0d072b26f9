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
    from models.runtime import TiledSegmenter

DEFAULT_MODEL_PATH = Path(__file__).with_name("skyinspect-seg.onnx")
BACKENDS = ("onnxruntime", "onnxruntime-cuda", "tensorrt")
# Test-time flips (``flips``): 1 = the frame as it is; 2 = + its mirror image; 4 = + upside down and
# both, averaged (models.runtime.TiledSegmenter.predict_probs). Training augments with both flips, so
# the model should give a crack the same answer each way up; where it does not, the average is surer
# than any one pass (measured on the validation sets: models/MODEL_CARD.md). One model pass per flip.
FLIP_CHOICES = (1, 2, 4)
# `skyinspect segment`, `skyinspect model eval` and models.evaluate: the best masks, time matters
# less. Onboard keeps one pass per frame to keep up with the camera.
POST_FLIGHT_FLIPS = 4
# Post-flight, a second set of passes on the frame enlarged 1.5x (``upscale``, models/tta.py), with
# two flips: chosen on the validation splits (session 9: rule 0.726 -> 0.737; UAV75 val tol. F
# 0.840 -> 0.864, DeepCrack val IoU 0.727 -> 0.732, corrosion val IoU 0.612 -> 0.615), at 2-2.5x
# the time of four flips alone (models/MODEL_CARD.md). Onboard: none.
POST_FLIGHT_UPSCALE = 1.5
UPSCALE_FLIPS = 2


def load_segmenter(path: Path | str | None = None, providers: list[str] | None = None,
                   backend: str = "onnxruntime", flips: int = 1, spin_wait: bool = False,
                   upscale: float | None = None) -> TiledSegmenter:
    """Load the shipped model (or ``path``) on a backend: ``onnxruntime`` (CPU unless ``providers``
    says otherwise), ``onnxruntime-cuda`` (CUDA, falling back to CPU) or ``tensorrt`` (Jetson; FP16
    engine built on first use and cached). All give the same tiled, torch-free interface.
    ``flips``: test-time flips averaged per frame (one of FLIP_CHOICES); ``upscale``: also segment
    the frame enlarged by this factor (UPSCALE_FLIPS flips) and average (None: no; see
    POST_FLIGHT_UPSCALE).
    ``spin_wait``: ONNX Runtime's threads busy-wait between ops, faster when nothing else needs the
    cores (post-flight segmentation), slower onboard where capture and recording share them."""
    from skyinspect.errors import ModelError, describe

    model = Path(path) if path is not None else DEFAULT_MODEL_PATH
    if backend == "tensorrt":
        from models.tensorrt_runtime import TrtSegmenter

        return TrtSegmenter(model, flips=flips, upscale=upscale)
    if backend not in BACKENDS:
        raise ModelError(describe("backend", f"expected one of {', '.join(BACKENDS)}, got {backend!r}"))
    from models.onnx_runtime import OnnxSegmenter

    if backend == "onnxruntime-cuda" and providers is None:
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return OnnxSegmenter(model, providers=providers, flips=flips, spin_wait=spin_wait, upscale=upscale)


__all__ = ["BACKENDS", "DEFAULT_MODEL_PATH", "FLIP_CHOICES", "POST_FLIGHT_FLIPS", "POST_FLIGHT_UPSCALE", "UPSCALE_FLIPS",
           "load_segmenter"]
