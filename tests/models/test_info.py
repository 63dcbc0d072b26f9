"""`skyinspect model info`: the model and the runtimes this machine has, without loading a GPU."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models import DEFAULT_MODEL_PATH
from models.info import model_info
from models.model_file import sha256_of
from models.tensorrt_runtime import engine_cache_path, read_onnx_metadata
from skyinspect.cli.main import app
from skyinspect.errors import ModelError


def test_info_describes_the_shipped_model_and_finds_its_built_engines(tmp_path: Path) -> None:
    sha = sha256_of(DEFAULT_MODEL_PATH)
    built = engine_cache_path(tmp_path, sha, "Orin (nvgpu)", "10.3.0", "fp16", 8)
    built.write_bytes(b"engine")
    (tmp_path / "0123456789abcdef_orin_trt10.3_fp16_b8.engine").write_bytes(b"another model's")
    info = model_info(DEFAULT_MODEL_PATH, engine_cache_dir=tmp_path)
    assert info["model"]["sha256"] == sha and info["model"]["classes"] == ["background", "crack", "corrosion"]
    assert info["model"]["model_id"].startswith("skyinspect-seg") and info["model"]["input_size_px"] == 384
    assert info["drift_reference"]["for_this_model"] is True
    assert "CPUExecutionProvider" in info["onnxruntime"]["providers"]
    assert info["tensorrt"]["engines_for_this_model"] == [built.name]
    json.dumps(info)  # JSON-ready


def test_info_on_a_machine_without_tensorrt_says_what_to_use() -> None:
    pytest.importorskip("onnxruntime")
    if "tensorrt" in sys.modules or _importable("tensorrt"):
        pytest.skip("TensorRT is installed here")
    trt = model_info(DEFAULT_MODEL_PATH)["tensorrt"]
    assert trt["importable"] is False and "--backend onnxruntime" in trt["note"]


def test_a_file_that_is_not_onnx_is_refused_naming_it_without_the_onnx_package(tmp_path: Path, monkeypatch) -> None:
    """The runtime install has no `onnx`: ONNX Runtime's own parse error escaped as a traceback."""
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx -> ImportError
    bad = tmp_path / "notes.onnx"
    bad.write_text("not a model")
    with pytest.raises(ModelError, match=r"notes\.onnx: expected an ONNX model"):
        read_onnx_metadata(bad)
    assert read_onnx_metadata(DEFAULT_MODEL_PATH).input_size == 384


def test_cli(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["model", "info", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["model"]["version"]
    result = CliRunner().invoke(app, ["model", "info"])
    assert result.exit_code == 0 and "ONNX Runtime" in result.output
    (tmp_path / "x.onnx").write_text("no")
    result = CliRunner().invoke(app, ["model", "info", "--model", str(tmp_path / "x.onnx")])
    assert result.exit_code == 2 and "x.onnx" in result.output and "Traceback" not in result.output


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def test_a_folder_given_as_the_model_is_called_a_folder_not_missing(tmp_path: Path) -> None:
    """Found with `skyinspect model info --model DIR` and `skyinspect segment --model DIR`: a folder that
    is there (the one holding the model) was reported as 'model file not found'."""
    from models.onnx_runtime import OnnxSegmenter

    with pytest.raises(ModelError, match=r"is a folder, expected the \.onnx model file"):
        model_info(tmp_path)
    with pytest.raises(ModelError, match=r"is a folder, expected the \.onnx model file"):
        OnnxSegmenter(tmp_path)
    with pytest.raises(ModelError, match="model file not found"):
        model_info(tmp_path / "missing.onnx")
