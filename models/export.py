"""Export a trained YOLO26-sem checkpoint to ONNX with per-pixel class probabilities + skyinspect metadata.

Ultralytics' own ONNX export bakes ``argmax`` into the graph (uint8 class map). The runtime needs
per-class probabilities to blend overlapping tiles and to score instances, so during export the
head is patched to emit ``softmax(upsample_x8(logits))`` instead.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from skyinspect.atomic import write_atomic
from skyinspect.errors import InputError, ModelError, describe

CLASSES = ["background", "crack", "corrosion"]
DEFAULT_OUT = Path(__file__).with_name("skyinspect-seg.onnx")
MAX_BYTES = 25 * 1024 * 1024
OUTPUT_DOC = ("output0: float32 NCHW [N, 3, H, W] softmax class probabilities (sum 1 over C) at input "
              "resolution, channel order = skyinspect.classes; input 'images': float32 NCHW [N, 3, H, W] "
              "RGB/255, N/H/W dynamic (H, W multiples of 32; trained at 384)")


def skyinspect_metadata(model_id: str, version: str, trained_on: str, input_size: int) -> dict[str, str]:
    """The keys the runtime checks before it trusts a model file."""
    return {
        "skyinspect.classes": json.dumps(CLASSES),
        "skyinspect.input_size": str(input_size),
        "skyinspect.normalisation": "rgb/255",
        "skyinspect.model_id": model_id,
        "skyinspect.version": version,
        "skyinspect.trained_on": trained_on,
        "skyinspect.output": OUTPUT_DOC,
    }


def write_metadata(onnx_path: Path, meta: dict[str, str], remove: tuple[str, ...] = ()) -> None:
    """Replace/add ``metadata_props`` entries (and drop the ``remove`` keys), atomically in place."""
    try:
        import onnx
    except ImportError as exc:
        raise ModelError(describe(onnx_path, "writing metadata needs the onnx package",
                                  "pip install -e '.[train]' (or pip install onnx)")) from exc
    m = onnx.load(str(onnx_path))
    keep = [(p.key, p.value) for p in m.metadata_props if p.key not in meta and p.key not in remove]
    del m.metadata_props[:]
    for k, v in [*keep, *meta.items()]:
        p = m.metadata_props.add()
        p.key, p.value = k, v
    write_atomic(Path(onnx_path), m.SerializeToString())  # what onnx.save writes for a model held whole


def export(weights: Path, out: Path = DEFAULT_OUT, imgsz: int = 384, opset: int = 17,
           model_id: str = "skyinspect-seg-yolo26n-sem-v1", version: str = "1.0.0",
           trained_on: str = "UAV75 train (GPL-3.0) + DeepCrack train (non-commercial research only) + "
                             "Roboflow corrosion-instance-segmentation-sfcpc v16 (CC BY 4.0)") -> Path:
    """Export ``weights`` (best.pt) to ``out``; returns ``out``."""
    weights, out = Path(weights), Path(out)
    if not weights.exists():
        raise InputError(describe(weights, "checkpoint not found", "pass the run's weights/best.pt"))
    from models.train import _offline_env, require_train_extra

    require_train_extra(weights)
    _offline_env()
    import torch
    import torch.nn.functional as F
    from ultralytics import YOLO
    from ultralytics.nn.modules.head import SemanticSegment

    original = SemanticSegment.forward

    def probs_forward(self: SemanticSegment, x: list[torch.Tensor]) -> torch.Tensor:
        logits = self.classifier(x[0])
        if self.training or not self.export:
            return original(self, x)
        y = F.interpolate(logits, scale_factor=8, mode="bilinear", align_corners=False)
        return y.softmax(1)

    SemanticSegment.forward = probs_forward  # type: ignore[method-assign]
    try:
        produced = Path(YOLO(str(weights), task="semantic").export(
            format="onnx", imgsz=imgsz, opset=opset, dynamic=True, simplify=True, batch=1, device="cpu"))
    finally:
        SemanticSegment.forward = original  # type: ignore[method-assign]
    write_metadata(produced, skyinspect_metadata(model_id, version, trained_on, imgsz))
    if produced.stat().st_size > MAX_BYTES:
        raise ModelError(describe(produced, f"exported model is {produced.stat().st_size} bytes, over the "
                                            f"{MAX_BYTES} budget", "export a smaller scale (n)"))
    out.parent.mkdir(parents=True, exist_ok=True)
    if produced.resolve() != out.resolve():
        shutil.copy(produced, out)
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m models.export", description=__doc__.splitlines()[0])
    p.add_argument("weights", type=Path, help="trained checkpoint, e.g. /work/data/runs/skyseg/weights/best.pt")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--imgsz", type=int, default=384)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--model-id", default="skyinspect-seg-yolo26n-sem-v1")
    p.add_argument("--version", default="1.0.0")
    a = p.parse_args(argv)
    print(export(a.weights, a.out, a.imgsz, a.opset, a.model_id, a.version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
