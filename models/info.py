"""What the model and its runtimes look like on this machine (``skyinspect model info``).

Setting up a Jetson or a ground-station PC, an operator wants to know before a flight: which model
file is shipped (id, version, sha256, calibrated thresholds), whether the drift check has its
training-set reference, which ONNX Runtime execution providers exist here (is CUDA usable?), and
whether TensorRT imports, with which version, and which engines are already built for this model
(the first TensorRT run builds one, which takes minutes on a Jetson). Nothing here loads a
session on a GPU or builds an engine: it only looks.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

from models.model_file import check_model_file, sha256_of
from models.runtime import DRIFT_REFERENCE_FILE, load_drift_reference
from models.tensorrt_runtime import DEFAULT_CACHE_DIR, read_onnx_metadata


def model_info(path: Path, engine_cache_dir: Path = DEFAULT_CACHE_DIR) -> dict[str, Any]:
    """A JSON-ready description of the model at ``path`` and of the runtimes this machine has."""
    path = check_model_file(path, "Pass --model, or reinstall to get the shipped one")
    meta = read_onnx_metadata(path)
    sha = sha256_of(path)
    drift = load_drift_reference(meta.model_id)
    return {
        "model": {"path": str(path.resolve()), "model_id": meta.model_id, "version": meta.version,
                  "classes": list(meta.classes), "input_size_px": meta.input_size, "sha256": sha,
                  "size_bytes": path.stat().st_size, "crack_threshold": meta.crack_threshold,
                  "corrosion_threshold": meta.corrosion_threshold},
        "drift_reference": {"file": str(DRIFT_REFERENCE_FILE), "for_this_model": drift is not None,
                            "images": drift.n_images if drift is not None else None},
        "python": platform.python_version(), "machine": platform.machine(),
        "onnxruntime": _onnxruntime(),
        "tensorrt": _tensorrt(engine_cache_dir, sha),
    }


def _onnxruntime() -> dict[str, Any]:
    try:
        import onnxruntime as ort
    except ImportError as exc:  # a runtime dependency: only a broken install lacks it
        return {"installed": False, "error": str(exc)}
    providers = list(ort.get_available_providers())
    return {"installed": True, "version": ort.__version__, "providers": providers,
            "cuda": "CUDAExecutionProvider" in providers,
            "backend_for_gpu": "onnxruntime-cuda" if "CUDAExecutionProvider" in providers else None}


def _tensorrt(cache_dir: Path, sha: str) -> dict[str, Any]:
    try:
        import tensorrt as trt  # only on the target (JetPack); never a dependency
    except ImportError:
        version = None
    else:
        version = str(getattr(trt, "__version__", "unknown"))
    engines = sorted(p.name for p in Path(cache_dir).glob(f"{sha[:16]}_*.engine")) if Path(cache_dir).is_dir() else []
    return {"importable": version is not None, "version": version, "engine_cache_dir": str(cache_dir),
            "engines_for_this_model": engines,
            "note": None if version is not None else "TensorRT comes with JetPack on the Jetson; elsewhere use "
                                                     "--backend onnxruntime (or onnxruntime-cuda on a GPU)"}


__all__ = ["model_info"]
