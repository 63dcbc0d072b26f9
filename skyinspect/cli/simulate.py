"""`skyinspect simulate`: render a deterministic inspection flight past a bridge pier face."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()
MAX_GNSS_ERROR_M = 100.0  # a plain receiver's error is metres; beyond this the option models nothing


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

    # checked before anything is written: inf or a huge sigma overflowed the .tlog's integer positions and a
    # negative seed the texture generator's, tracebacks after frames/ and camera.yaml were written
    if not 0 <= gnss_error_m <= MAX_GNSS_ERROR_M:
        raise InputError(describe("--gnss-error-m", f"expected a GNSS error sigma from 0 to {MAX_GNSS_ERROR_M:g} m, "
                                                    f"got {gnss_error_m}", "0.3 to 0.8 m is a plain GNSS receiver"))
    if seed < 0:
        raise InputError(describe("--seed", f"expected a seed >= 0, got {seed}", "any whole number from 0"))
    config = SimConfig.small() if small else SimConfig()
    result = simulate(out, replace(config, seed=seed, gnss_error_m=gnss_error_m,
                                   rtk=config.rtk and gnss_error_m < 0.05))
    console.print(f"simulated {result.n_frames} frames into [bold]{out}[/]")
