"""`skyinspect serve RESULTS`: the review app (FastAPI) on a results folder."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from skyinspect.errors import InputError, describe

console = Console()


def serve_command(
    results: Path = typer.Argument(..., help="Results folder written by `skyinspect process`."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind. Anything but loopback needs a token."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="TCP port."),  # 0 would have the OS pick a port the printed address cannot name
    token: str | None = typer.Option(None, "--token", envvar="SKYINSPECT_REVIEW_TOKEN",
                                     help="Token write actions must send (Authorization: Bearer ...). Generated "
                                          "and printed when binding to a non-loopback address without one."),
    flight: Path | None = typer.Option(None, "--flight", help="Flight record folder, when it has moved since "
                                       "processing (its images are the views)."),
) -> None:
    """Review findings: filter, see every view, confirm / reject / relabel / comment (audited), export."""
    try:
        import uvicorn

        from groundstation.review.app import create_app
    except ImportError as exc:
        raise InputError(describe("skyinspect serve", f"needs FastAPI and uvicorn ({exc.name} missing)",
                                  "pip install 'skyinspect[review]' (or: pip install fastapi uvicorn)")) from exc
    from groundstation.review import is_loopback

    if not is_loopback(host) and not token:
        token = secrets.token_urlsafe(24)
        console.print(f"bound to {escape(host)}: write actions need the token [bold]{escape(token)}[/]")
    app = create_app(Path(results), token or None, flight, local_only=is_loopback(host))
    if app.state.data.flight_not_found:  # the views would all be "no image for this view", unexplained
        console.print(f"[yellow]warning:[/] the flight record {escape(app.state.data.flight_not_found)} is not there (moved, "
                      "or named relative to where `process` ran): the findings show without their views. Pass "
                      "--flight FLIGHT_FOLDER")
    if app.state.unwritable:  # viewing still works; every decision would be refused
        console.print(f"[yellow]warning:[/] decisions cannot be saved: {escape(app.state.unwritable)}. Serve a copy "
                      "of the results folder on a disk you can write to", soft_wrap=True)
    _check_port_free(host, port)  # else uvicorn logs the bind error after we printed the address
    where = f"[{host}]" if ":" in host else host  # an IPv6 address goes in brackets in a URL
    # escaped: rich took '[fd00::5]' (a tag name starts with a letter) and '[draft]' in a folder for markup
    console.print(escape(f"review app on http://{where}:{port}/  (results: {os.fspath(results)}; Ctrl-C stops)"))
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _check_port_free(host: str, port: int) -> None:
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(describe(f"--host {host}", f"cannot be resolved ({exc.strerror})")) from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(describe(f"--port {port}", f"cannot listen on {host}:{port} ({exc.strerror}: another "
                                                        "program, or a review app already running)",
                                      "Pass another --port, or stop the other one")) from exc
