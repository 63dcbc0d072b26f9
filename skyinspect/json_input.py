"""A JSON file an operator wrote (camera calibration, surface, truth GeoJSON), read from its bytes.

``json.loads`` of the bytes reads every encoding JSON allows: UTF-8 with or without a byte-order mark
(Notepad's "UTF-8 with BOM", PowerShell's Set-Content -Encoding UTF8) and UTF-16/32 (PowerShell 5's `>`
and Out-File write UTF-16). ``Path.read_text()`` took the locale's encoding: a BOM was refused as
'not valid JSON', UTF-16 and a stray Latin-1 byte were UnicodeDecodeError tracebacks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skyinspect.errors import InputError, describe


def read_json(path: Path, error: type[InputError] = InputError) -> Any:
    """The JSON value in ``path``. FileNotFoundError and json.JSONDecodeError are left to the caller (who
    words them for its file); ``error`` (an InputError) for bytes that are no Unicode text."""
    raw = Path(path).read_bytes()
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise error(describe(path, f"expected UTF-8 JSON, got byte {exc.object[exc.start]:#04x} at {exc.start}",
                             "Save it as UTF-8 (a text editor's 'Save as' offers the encoding)")) from exc


__all__ = ["read_json"]
