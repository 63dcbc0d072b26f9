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


def test_an_ipv6_address_is_printed_as_a_url_a_browser_opens(results: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    import uvicorn

    from skyinspect.cli import serve

    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    monkeypatch.setattr(serve, "_check_port_free", lambda host, port: None)  # the URL, not the bind
    serve.serve_command(results, host="::1", port=8765, token=None, flight=None)
    out = " ".join(capsys.readouterr().out.split())
    assert "http://[::1]:8765/" in out  # "http://::1:8765/" is no URL: the browser searched for it
