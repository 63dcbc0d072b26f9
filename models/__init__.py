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
# Each crack is continued along the one-pixel ridge of its crack probability down to this value
# (``crack_ridge_low``, models.refine.extend_along_ridges), and a single pass's class probabilities
# are first sharpened by the image (``prob_sharpen``, models.sharpen; averaged passes are sharp
# already: there it lost 0.011 on the rule). Chosen on the validation splits (session 13, rule
# (UAV75 val tol. F + DeepCrack val IoU + corrosion val IoU) / 3): post-flight passes 0.7368 ->
# 0.7419 (UAV75 tol. F 0.864 -> 0.883, DeepCrack IoU 0.732 -> 0.729); one pass 0.7036 -> 0.7154
# (UAV75 tol. F 0.795 -> 0.825 with precision and recall both up, DeepCrack IoU 0.718 -> 0.722,
# corrosion 0.598 -> 0.599). Numbers and the demo flight in models/MODEL_CARD.md.
CRACK_RIDGE_LOW = 0.3
# (guided filter window radius px, regularisation eps on grey levels scaled to 0-1): the middle of a
# plateau on validation (radius 2 with eps 1e-4 to 3e-3 all within 0.001 of each other; radius 3
# and more thickens hairlines, radius 1 does half as much)
ONE_PASS_PROB_SHARPEN = (2, 1e-3)


def load_segmenter(path: Path | str | None = None, providers: list[str] | None = None,
                   backend: str = "onnxruntime", flips: int = 1, spin_wait: bool = False,
                   upscale: float | None = None, crack_ridge_low: float | None = CRACK_RIDGE_LOW,
                   prob_sharpen: tuple[int, float] | None | str = "auto",
                   wide_crack_scale: float | None | str = "auto") -> TiledSegmenter:
    """Load the shipped model (or ``path``) on a backend: ``onnxruntime`` (CPU unless ``providers``
    says otherwise), ``onnxruntime-cuda`` (CUDA; without a usable CUDA the CPU, with a warning saying why) or ``tensorrt`` (Jetson; FP16
    engine built on first use and cached). All give the same tiled, torch-free interface.
    ``flips``: test-time flips averaged per frame (one of FLIP_CHOICES); ``upscale``: also segment
    the frame enlarged by this factor (UPSCALE_FLIPS flips) and average (None: no; see
    POST_FLIGHT_UPSCALE); ``crack_ridge_low``: continue cracks along their probability ridge down
    to this value (None or 0: no); ``prob_sharpen``: (radius px, eps) of the guided filter of the
    probabilities, None for none, "auto" for ONE_PASS_PROB_SHARPEN when one pass makes the frame's
    probabilities (one flip, no upscale) and none otherwise; ``wide_crack_scale``: a pass over the
    frame reduced by this factor adds open cracks wider than the model was trained on (models.wide),
    None or 0 for none, "auto" for models.wide.POST_FLIGHT_WIDE_CRACK_SCALE when several passes make
    the frame's probabilities and none for one pass (onboard).
    ``spin_wait``: ONNX Runtime's threads busy-wait between ops, faster when nothing else needs the
    cores (post-flight segmentation), slower onboard where capture and recording share them."""
    from skyinspect.errors import ModelError, describe

    model = Path(path) if path is not None else DEFAULT_MODEL_PATH
    if backend == "tensorrt":
        from models.tensorrt_runtime import TrtSegmenter

        return _decisions(TrtSegmenter(model, flips=flips, upscale=upscale), crack_ridge_low, prob_sharpen,
                          wide_crack_scale)
    if backend not in BACKENDS:
        raise ModelError(describe("backend", f"expected one of {', '.join(BACKENDS)}, got {backend!r}"))
    from models.onnx_runtime import OnnxSegmenter

    if backend == "onnxruntime-cuda" and providers is None:
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return _decisions(OnnxSegmenter(model, providers=providers, flips=flips, spin_wait=spin_wait, upscale=upscale),
                      crack_ridge_low, prob_sharpen, wide_crack_scale)


def _decisions(segmenter: TiledSegmenter, crack_ridge_low: float | None,
               prob_sharpen: tuple[int, float] | None | str,
               wide_crack_scale: float | None | str = None) -> TiledSegmenter:
    """``segmenter`` with its crack continuation, probability sharpening and wide-crack pass set
    (load_segmenter)."""
    from skyinspect.errors import ModelError, describe

    if crack_ridge_low is not None and not 0.0 <= crack_ridge_low < 0.5:
        # named as segment's and eval's option first: the keyword alone is in no --help
        raise ModelError(describe("--crack-ridge (crack_ridge_low)",
                                  f"expected a crack probability in [0, 0.5), got {crack_ridge_low!r}",
                                  f"{CRACK_RIDGE_LOW} as shipped, or 0 for none"))
    segmenter.crack_ridge_low = crack_ridge_low or None
    one_pass = segmenter.flips == 1 and not segmenter.upscale
    if wide_crack_scale == "auto":
        from models.wide import POST_FLIGHT_WIDE_CRACK_SCALE

        wide_crack_scale = None if one_pass else POST_FLIGHT_WIDE_CRACK_SCALE
    if wide_crack_scale and not 0.0 < wide_crack_scale < 1.0:  # type: ignore[operator]
        raise ModelError(describe("--wide-crack-scale (wide_crack_scale)",
                                  f"expected a reduction factor in (0, 1), got {wide_crack_scale!r}",
                                  "0.5 as segment uses, or 0 for none"))
    segmenter.wide_crack_scale = float(wide_crack_scale) if wide_crack_scale else None  # type: ignore[arg-type]
    if prob_sharpen == "auto":
        prob_sharpen = ONE_PASS_PROB_SHARPEN if one_pass else None
    if prob_sharpen is not None:
        radius, eps = prob_sharpen  # type: ignore[misc]
        if int(radius) != radius or radius < 1 or not eps > 0:
            raise ModelError(describe("prob_sharpen", f"expected (radius px >= 1, eps > 0), got {prob_sharpen!r}",
                                      f"{ONE_PASS_PROB_SHARPEN} as one pass uses, or None for none"))
        prob_sharpen = (int(radius), float(eps))
    segmenter.prob_sharpen = prob_sharpen  # type: ignore[assignment]
    return segmenter


__all__ = ["BACKENDS", "CRACK_RIDGE_LOW", "DEFAULT_MODEL_PATH", "FLIP_CHOICES", "ONE_PASS_PROB_SHARPEN",
           "POST_FLIGHT_FLIPS", "POST_FLIGHT_UPSCALE", "UPSCALE_FLIPS", "load_segmenter"]
