"""`upload --connect tcp:HOST:PORT` to a host that never answers the connection (off, on another network, a
firewall dropping the port) fails within the connect timeout with what to check, and one that refuses it says
nothing listens there, without pymavlink printing '... sleeping' for each try."""

from __future__ import annotations

import socket

import pytest

from skyinspect.errors import TelemetryError

from missions.planning.loopback import unanswered_tcp_port
from missions.planning.upload import connect


def _closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(60)
def test_an_unanswered_tcp_connect_fails_within_the_connect_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: pymavlink's 3 tries each waited the kernel's SYN retries: the CLI said 'cannot open ([Errno 110]
    # Connection timed out). Use udpout:HOST:PORT, ...' after 406 s.
    with unanswered_tcp_port() as port, pytest.raises(TelemetryError) as err:
        connect(f"tcp:127.0.0.1:{port}", timeout_s=1.0)
    said = str(err.value)
    assert f"--connect tcp:127.0.0.1:{port}" in said and "no answer to the TCP connection within 1 s" in said, said
    assert "firewall" in said and "Use udpout" not in said, said
    assert capsys.readouterr().out == ""


@pytest.mark.timeout(30)
def test_a_refused_tcp_connect_says_nothing_listens(capsys: pytest.CaptureFixture[str]) -> None:
    port = _closed_port()
    with pytest.raises(TelemetryError) as err:
        connect(f"tcp:127.0.0.1:{port}", timeout_s=5.0)
    said = str(err.value)
    assert "refused" in said and "nothing listens" in said and "Use udpout" not in said, said
    assert "sleeping" not in capsys.readouterr().out  # was '[Errno 111] Connection refused sleeping' twice


@pytest.mark.timeout(60)
def test_upload_cli_takes_a_connect_timeout(tmp_path) -> None:
    from typer.testing import CliRunner

    from missions.planning.formats import write_qgc_plan
    from missions.planning.mission import FRAME_GLOBAL, NAV_WAYPOINT, MissionItem

    from .test_cli_and_patterns import app

    plan_file = tmp_path / "m.plan"
    write_qgc_plan(plan_file, (MissionItem(NAV_WAYPOINT, FRAME_GLOBAL, (0, 0, 0, 0, 47.4, 8.5, 20.0)),),
                   (47.4, 8.5, 400.0), "ardupilot", 5.0)
    with unanswered_tcp_port() as port:
        r = CliRunner().invoke(app, ["upload", str(plan_file), "--connect", f"tcp:127.0.0.1:{port}",
                                     "--connect-timeout-s", "1"])
    said = " ".join(r.output.split())
    assert r.exit_code == 2 and "no answer to the TCP connection within 1 s" in said, r.output


@pytest.mark.timeout(60)
def test_a_tcp_host_name_that_does_not_resolve_is_named() -> None:
    # Before: 'cannot open ([Errno -2] Name or service not known). Use udpout:HOST:PORT, tcp:HOST:PORT or a serial
    # device', of a string already in that form.
    with pytest.raises(TelemetryError) as err:
        connect("tcp:nosuchhost.invalid:5760", timeout_s=5.0)  # RFC 2606: .invalid never resolves
    said = str(err.value)
    assert "nosuchhost.invalid" in said and "does not resolve" in said and "Use udpout" not in said, said
