"""`skyinspect simulate`: render a deterministic inspection flight past a bridge pier face."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
MAX_GNSS_ERROR_M = 100.0  # a plain receiver's error is metres; beyond this the option models nothing


def simulate_command(
    out: Path = typer.Option(..., "--out", help="Folder for frames/, flight.tlog, camera.yaml, surface.json "
                             "(process --surface), truth.geojson (process --truth), truth_masks/ and scene.json."),
    seed: int = typer.Option(0, help="Random seed; the same seed gives the same flight."),
    small: bool = typer.Option(False, help="A tiny, fast flight (for smoke tests)."),
    gnss_error_m: float = typer.Option(0.0, "--gnss-error-m", help="Log the flight with a plain-GNSS error of this "
                                       "sigma in metres (frames stay true; 0: exact telemetry)."),
    gnss_error_model: str = typer.Option("per-lane", "--gnss-error-model", help="How that error varies: 'per-lane' "
                                         "(one draw per lane, constant within it) or 'gauss-markov' (a drift with "
                                         "--gnss-correlation-s plus a white part, as a plain receiver errs)."),
    gnss_correlation_s: float = typer.Option(300.0, "--gnss-correlation-s", help="gauss-markov: the drift's "
                                             "correlation time in seconds (minutes for a plain receiver)."),
    gnss_white_m: float = typer.Option(0.02, "--gnss-white-m", help="gauss-markov: the white part's sigma in metres, "
                                       "one draw per 5 Hz receiver epoch."),
) -> None:
    """Simulate a flight: frames through the camera model, a MAVLink .tlog and the ground truth."""
    from dataclasses import replace

    from missions.simulator import SimConfig, simulate
    from missions.simulator.config import GNSS_ERROR_MODELS
    from skyinspect.errors import InputError, describe

    # checked before anything is written: inf or a huge sigma overflowed the .tlog's integer positions and a
    # negative seed the texture generator's, tracebacks after frames/ and camera.yaml were written
    if not 0 <= gnss_error_m <= MAX_GNSS_ERROR_M:
        raise InputError(describe("--gnss-error-m", f"expected a GNSS error sigma from 0 to {MAX_GNSS_ERROR_M:g} m, "
                                                    f"got {gnss_error_m}", "0.3 to 0.8 m is a plain GNSS receiver"))
    if seed < 0:
        raise InputError(describe("--seed", f"expected a seed >= 0, got {seed}", "any whole number from 0"))
    if gnss_error_model not in GNSS_ERROR_MODELS:
        raise InputError(describe("--gnss-error-model", f"expected one of {', '.join(GNSS_ERROR_MODELS)}, "
                                                        f"got {gnss_error_model!r}", "gauss-markov for a plain receiver"))
    if not 0 < gnss_correlation_s < math.inf:
        raise InputError(describe("--gnss-correlation-s", f"expected a correlation time > 0 s, got {gnss_correlation_s}",
                                  "60 to 1000 s is a plain receiver"))
    if not 0 <= gnss_white_m <= MAX_GNSS_ERROR_M:
        raise InputError(describe("--gnss-white-m", f"expected a sigma from 0 to {MAX_GNSS_ERROR_M:g} m, "
                                                    f"got {gnss_white_m}", "a few centimetres"))
    config = SimConfig.small() if small else SimConfig()
    result = simulate(out, replace(config, seed=seed, gnss_error_m=gnss_error_m, gnss_error_model=gnss_error_model,
                                   gnss_correlation_s=gnss_correlation_s, gnss_white_m=gnss_white_m,
                                   rtk=config.rtk and gnss_error_m < 0.05))
    console.print(f"simulated {result.n_frames} frames into [bold]{escape(str(out))}[/]")
