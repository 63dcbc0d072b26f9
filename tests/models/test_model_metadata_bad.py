"""A model whose skyinspect.* metadata cannot be run is refused by name when it is read (`model info`,
`segment`, `onboard`), not with a traceback once photos are being segmented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models import DEFAULT_MODEL_PATH
from models.model_file import ModelMetadata
from skyinspect.cli.main import app
from skyinspect.errors import ModelError

BASE = {"skyinspect.classes": '["background", "crack", "corrosion"]', "skyinspect.input_size": "384",
        "skyinspect.normalisation": "rgb/255", "skyinspect.model_id": "m", "skyinspect.output": "probs"}


@pytest.mark.parametrize(("key", "value"), [
    # segment of a 1600x1200 photo: ValueError from tile_grid (-384, 0), ONNX Runtime's Concat failure (385),
    # MemoryError allocating 27.9 GiB (100000); model info called each of them fine
    ("skyinspect.input_size", "-384"), ("skyinspect.input_size", "0"), ("skyinspect.input_size", "385"),
    ("skyinspect.input_size", "100000"),
    ("skyinspect.classes", "[]"), ("skyinspect.classes", '["crack"]'), ("skyinspect.classes", '{"a": 1}'),
    ("skyinspect.classes", '["background", "crack", "crack"]'),
])
def test_metadata_that_cannot_be_run_is_refused_by_key(key: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=rf"m\.onnx: {key}: expected .*, got {re.escape(repr(value))}"):
        ModelMetadata.parse({**BASE, key: value}, tmp_path / "m.onnx")


def test_the_shipped_and_test_models_metadata_still_reads() -> None:
    assert ModelMetadata.parse(BASE, Path("m.onnx")).input_size == 384
    assert ModelMetadata.parse({**BASE, "skyinspect.input_size": "32"}, Path("m.onnx")).input_size == 32


def _with_metadata_value(src: Path, dst: Path, key: str, value: str) -> None:
    """Copy an ONNX file with one metadata_props entry (ModelProto field 14) rewritten, by walking the
    top-level protobuf fields (the runtime install has no `onnx` package to do it)."""

    def varint(b: bytes, i: int) -> tuple[int, int]:
        v = s = 0
        while True:
            c = b[i]
            i += 1
            v |= (c & 0x7F) << s
            s += 7
            if not c & 0x80:
                return v, i

    def enc(n: int) -> bytes:
        out = bytearray()
        while True:
            c, n = n & 0x7F, n >> 7
            out.append(c | 0x80 if n else c)
            if not n:
                return bytes(out)

    def field(f: int, data: bytes) -> bytes:
        return enc(f << 3 | 2) + enc(len(data)) + data

    b, out, i, k = src.read_bytes(), bytearray(), 0, field(1, key.encode())
    found = False
    while i < len(b):
        start = i
        tag, i = varint(b, i)
        body = b""
        if tag & 7 == 0:
            _, i = varint(b, i)
        elif tag & 7 == 2:
            n, i = varint(b, i)
            body, i = b[i:i + n], i + n
        else:
            i += 4 if tag & 7 == 5 else 8
        if tag >> 3 == 14 and body.startswith(k):
            out += field(14, k + field(2, value.encode()))
            found = True
        else:
            out += b[start:i]
    assert found, key
    dst.write_bytes(bytes(out))


def test_model_info_names_the_bad_key(tmp_path: Path) -> None:
    model = tmp_path / "resized.onnx"
    _with_metadata_value(DEFAULT_MODEL_PATH, model, "skyinspect.input_size", "-384")
    result = CliRunner().invoke(app, ["model", "info", "--model", str(model)])
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert "resized.onnx: skyinspect.input_size: expected" in said and "Traceback" not in said, said
