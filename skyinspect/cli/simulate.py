"""`skyinspect simulate`: render a deterministic inspection flight past a bridge pier face."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()


def simulate_command(
    out: Path = typer.Option(..., "--out", help="Folder for frames/, flight.tlog, truth.geojson, camera.yaml."),
    seed: int = typer.Option(0, help="Random seed; the same seed gives the same flight."),
    small: bool = typer.Option(False, help="A tiny, fast flight (for smoke tests)."),
    gnss_error_m: float = typer.Option(0.0, "--gnss-error-m", help="Log the flight with a plain-GNSS error of this "
                                       "sigma, one draw per lane (frames stay true; 0: exact telemetry)."),
) -> None:
    """Simulate a flight: frames through the camera model, a MAVLink .tlog and the ground truth."""
    from dataclasses import replace

    from missions.simulator import SimConfig, simulate
    from skyinspect.errors import InputError, describe

    if not gnss_error_m >= 0:
        raise InputError(describe("--gnss-error-m", f"expected a GNSS error sigma >= 0 m, got {gnss_error_m}"))
    config = SimConfig.small() if small else SimConfig()
    result = simulate(out, replace(config, seed=seed, gnss_error_m=gnss_error_m,
                                   rtk=config.rtk and gnss_error_m < 0.05))
    console.print(f"simulated {result.n_frames} frames into [bold]{out}[/]")
