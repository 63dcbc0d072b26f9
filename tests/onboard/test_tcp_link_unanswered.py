"""A live TCP link to a host that never answers the connection (off, on another network, a firewall dropping
the port) is given up within ``connect_timeout_s`` and said, where each try waited for the kernel's SYN retries
(~130 s) with nothing said while every frame was recorded untagged."""

from __future__ import annotations

import logging
import time

import pytest

from missions.planning.loopback import unanswered_tcp_port
from onboard.telemetry.link_spec import pymavlink_connect
from onboard.telemetry.live import LiveMavlink


@pytest.mark.timeout(60)
def test_a_tcp_connect_nobody_answers_gives_up_at_its_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    with unanswered_tcp_port() as port, pytest.raises(TimeoutError, match=r"no answer .* within 0\.5 s"):
        pymavlink_connect(f"tcp:127.0.0.1:{port}", 255, 191, connect_timeout_s=0.5)
    assert capsys.readouterr().out == ""


@pytest.mark.timeout(60)
def test_a_live_tcp_link_nobody_answers_is_said_with_what_to_check(caplog: pytest.LogCaptureFixture) -> None:
    # Before: the receiver sat in pymavlink's connect for ~130 s; a 20-s flight said nothing about the link.
    with unanswered_tcp_port() as port, caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        live = LiveMavlink(f"tcp:127.0.0.1:{port}", connect_timeout_s=0.5, backoff_s=0.01, max_backoff_s=0.02)
        live.start()
        try:
            deadline = time.monotonic() + 20.0
            while live._open_failures < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            live.stop()
    said = [r.getMessage() for r in caplog.records if "cannot open link" in r.getMessage()]
    assert live._open_failures >= 2 and len(said) == 1, said
    assert f"tcp:127.0.0.1:{port}" in said[0] and "no answer" in said[0], said[0]
    assert "address" in said[0] and "firewall" in said[0] and "another MAVLink program" not in said[0], said[0]


@pytest.mark.timeout(60)
def test_onboard_cli_takes_the_connect_timeout(tmp_path, monkeypatch, caplog: pytest.LogCaptureFixture) -> None:
    import models
    import typer
    from onboard_helpers import DarkPixelSegmenter, make_frames, write_camera
    from typer.testing import CliRunner

    from skyinspect.cli.main_errors import handle_errors
    from skyinspect.cli.onboard_live import onboard_command

    monkeypatch.setattr(models, "load_segmenter", lambda path=None, **_kw: DarkPixelSegmenter())
    app = typer.Typer()
    app.command("onboard")(handle_errors(onboard_command))
    app.command("noop")(lambda: None)
    frames, camera = make_frames(tmp_path / "frames", 40), write_camera(tmp_path / "camera.json")
    with unanswered_tcp_port() as port, caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        r = CliRunner().invoke(app, ["onboard", "--frames", str(frames), "--mavlink", f"tcp:127.0.0.1:{port}",
                                     "--realtime-fps", "10", "--duration-s", "3", "--connect-timeout-s", "0.5",
                                     "--camera", str(camera), "--out", str(tmp_path / "rec")])
    assert r.exit_code == 0 and "untagged" in r.output, r.output
    said = [m.getMessage() for m in caplog.records if "cannot open link" in m.getMessage()]
    assert said and "no answer to the TCP connection within 0.5 s" in said[0], said


@pytest.mark.timeout(60)
def test_a_live_tcp_host_name_that_does_not_resolve_is_said_as_such(caplog: pytest.LogCaptureFixture) -> None:
    # Before: '... ([Errno -2] Name or service not known ...). A port in use is usually held by another MAVLink
    # program (mavproxy, mavlink-router, a second skyinspect)', which a name that does not resolve is not.
    with caplog.at_level(logging.WARNING, logger="onboard.telemetry.live"):
        live = LiveMavlink("tcp:nosuchhost.invalid:5760", backoff_s=0.01, max_backoff_s=0.02)  # RFC 2606: never
        live.start()
        try:
            deadline = time.monotonic() + 30.0
            while live._open_failures < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            live.stop()
    said = [r.getMessage() for r in caplog.records if "cannot open link" in r.getMessage()]
    assert said and "nosuchhost.invalid" in said[0] and "does not resolve" in said[0], said
    assert "another MAVLink program" not in said[0], said[0]
