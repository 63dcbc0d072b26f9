"""`skyinspect serve --port`: a port no server can listen on is refused by name, before the app starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app


@pytest.mark.parametrize("port", ["70000", "0", "-1"])
def test_a_port_out_of_range_is_refused_with_exit_2(results: Path, port: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    started: list = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: started.append(kw))
    # 70000 had printed "review app on http://127.0.0.1:70000/" and died in uvicorn with an OverflowError
    # traceback (exit 1); 0 printed the address ":0/" that no browser opens (the OS picks a port unsaid)
    got = CliRunner().invoke(app, ["serve", str(results), "--port", port])
    assert got.exit_code == 2, got.output
    assert "Invalid value for '--port'" in got.output
    assert not started and "review app on" not in got.output
