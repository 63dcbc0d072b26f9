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
# Post-flight, each crack is continued along the one-pixel ridge of its crack probability down to
# this value (``crack_ridge_low``, models.refine.extend_along_ridges): chosen on the validation
# splits (session 13, with the passes above: UAV75 val tol. F 0.864 -> 0.883, recall 0.84 -> 0.90 at
# precision 0.89 -> 0.87; DeepCrack val IoU 0.732 -> 0.729; corrosion untouched). Onboard: none (one
# pass on the demo flight: more formwork-joint lines drawn as cracks; models/MODEL_CARD.md).
POST_FLIGHT_CRACK_RIDGE = 0.3


def load_segmenter(path: Path | str | None = None, providers: list[str] | None = None,
                   backend: str = "onnxruntime", flips: int = 1, spin_wait: bool = False,
                   upscale: float | None = None, crack_ridge_low: float | None = None) -> TiledSegmenter:
    """Load the shipped model (or ``path``) on a backend: ``onnxruntime`` (CPU unless ``providers``
    says otherwise), ``onnxruntime-cuda`` (CUDA, falling back to CPU) or ``tensorrt`` (Jetson; FP16
    engine built on first use and cached). All give the same tiled, torch-free interface.
    ``flips``: test-time flips averaged per frame (one of FLIP_CHOICES); ``upscale``: also segment
    the frame enlarged by this factor (UPSCALE_FLIPS flips) and average (None: no; see
    POST_FLIGHT_UPSCALE); ``crack_ridge_low``: continue cracks along their probability ridge down
    to this value (None or 0: no; see POST_FLIGHT_CRACK_RIDGE).
    ``spin_wait``: ONNX Runtime's threads busy-wait between ops, faster when nothing else needs the
    cores (post-flight segmentation), slower onboard where capture and recording share them."""
    from skyinspect.errors import ModelError, describe

    model = Path(path) if path is not None else DEFAULT_MODEL_PATH
    if backend == "tensorrt":
        from models.tensorrt_runtime import TrtSegmenter

        return _with_ridge(TrtSegmenter(model, flips=flips, upscale=upscale), crack_ridge_low)
    if backend not in BACKENDS:
        raise ModelError(describe("backend", f"expected one of {', '.join(BACKENDS)}, got {backend!r}"))
    from models.onnx_runtime import OnnxSegmenter

    if backend == "onnxruntime-cuda" and providers is None:
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return _with_ridge(OnnxSegmenter(model, providers=providers, flips=flips, spin_wait=spin_wait, upscale=upscale),
                       crack_ridge_low)


def _with_ridge(segmenter: TiledSegmenter, crack_ridge_low: float | None) -> TiledSegmenter:
    from skyinspect.errors import ModelError, describe

    if crack_ridge_low is not None and not 0.0 <= crack_ridge_low < 0.5:
        raise ModelError(describe("crack_ridge_low", f"expected a crack probability in [0, 0.5), got {crack_ridge_low!r}",
                                  f"{POST_FLIGHT_CRACK_RIDGE} as post-flight segmentation uses, or 0 for none"))
    segmenter.crack_ridge_low = crack_ridge_low or None
    return segmenter


__all__ = ["BACKENDS", "DEFAULT_MODEL_PATH", "FLIP_CHOICES", "POST_FLIGHT_CRACK_RIDGE", "POST_FLIGHT_FLIPS",
           "POST_FLIGHT_UPSCALE", "UPSCALE_FLIPS", "load_segmenter"]
