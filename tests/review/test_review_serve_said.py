"""What `skyinspect serve` prints is the address and folder as they are: rich read the bracketed IPv6
host of the URL ('[fd00::5]', '[fe80::1]': a tag name starts with a letter) and '[draft]' in a folder's
name as markup and dropped them, so the line gave 'http://:8765/' to open."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rich.console import Console

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")


def test_the_url_and_folder_are_printed_as_they_are(results: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import uvicorn

    from skyinspect.cli import serve

    folder = tmp_path / "rs [draft]"
    shutil.copytree(results, folder)
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    monkeypatch.setattr(serve, "_check_port_free", lambda host, port: None)  # no such address on this machine
    monkeypatch.setattr(serve, "console", Console(width=400))
    serve.serve_command(folder, host="fd00::5", port=8765, token="t0ken", flight=None)
    said = " ".join(capsys.readouterr().out.split())
    assert "review app on http://[fd00::5]:8765/" in said, said
    assert f"(results: {folder};" in said, said
