"""`skyinspect demo`: simulate → onboard → process on the embedded defaults, then score vs truth."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from skyinspect.errors import InputError

console = Console()

# The foundation's acceptance targets, printed beside the measured numbers.
TARGET_RECALL = 0.80
TARGET_ERROR_GSD = 3.0


def print_comparison(cmp: Any, title: str = "Findings vs simulator truth") -> None:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    recall = cmp.found_count / cmp.true_count if cmp.true_count else float("nan")
    table.add_row("true defects", str(cmp.true_count), "")
    table.add_row("found", f"{cmp.found_count} ({recall:.0%})", f">= {TARGET_RECALL:.0%}")
    table.add_row("false positives", str(cmp.false_positive_count), "")
    table.add_row("mean position error", f"{cmp.mean_position_error_m * 100:.1f} cm", "")
    table.add_row("mean GSD", f"{cmp.mean_gsd_m * 1000:.2f} mm/px", "")
    table.add_row("error in GSD", f"{cmp.error_in_gsd:.2f} GSD", f"<= {TARGET_ERROR_GSD:.0f} GSD")
    console.print(table)


def summary_model_id(flight: Path) -> str:
    from skyinspect.record import FlightRecordReader

    with FlightRecordReader(flight) as record:
        return record.model_id


def demo_command(
    out: Path = typer.Option(Path("skyinspect-demo"), "--out", help="Folder for the whole demo run."),
    small: bool = typer.Option(False, help="A tiny flight (smoke test; accuracy not meaningful)."),
    overwrite: bool = typer.Option(False, help="Replace an earlier demo in the same folder."),
    geometry_check: bool = typer.Option(True, help="Also run the flight with the simulator's own masks in "
                                        "place of the model, to separate detection from geometry errors."),
) -> None:
    """Run the whole path on a simulated pier-face flight and print how it compares with the truth."""
    import shutil

    from groundstation.evaluate import compare_with_truth
    from groundstation.pipeline import process
    from missions.simulator import SimConfig, simulate
    from models import load_segmenter
    from onboard.replay import run_replay
    from skyinspect.camera import CameraModel
    from skyinspect.surface import PlaneSurface

    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise InputError(f"{out}: folder exists and is not empty. Pass --overwrite or choose another --out")
        shutil.rmtree(out)
    started = time.monotonic()
    sim_dir, flight_dir, results_dir = out / "simulation", out / "flight", out / "results"

    console.rule("1/3 simulate")
    sim = simulate(sim_dir, SimConfig.small() if small else SimConfig())
    console.rule("2/3 onboard (replay)")
    summary = run_replay(sim_dir / "frames", sim_dir / "flight.tlog", flight_dir, load_segmenter(None),
                         CameraModel.load(sim_dir / "camera.yaml"))
    console.print(f"recorded {summary.frames} frames, {summary.instances} detections, {summary.fps:.2f} frames/s")
    console.rule("3/3 process")
    result = process(flight_dir, results_dir, PlaneSurface.load(sim_dir / "surface.json"))
    comparison = compare_with_truth(result.findings_geojson_path, sim_dir / "truth.geojson")

    print_comparison(comparison, f"Findings vs simulator truth (model {summary_model_id(flight_dir)})")
    if geometry_check:
        from missions.simulator.oracle import TruthMaskSegmenter

        check_dir = out / "geometry-check"
        run_replay(sim_dir / "frames", sim_dir / "flight.tlog", check_dir / "flight", TruthMaskSegmenter(sim_dir),
                   CameraModel.load(sim_dir / "camera.yaml"), progress=False)
        check = process(check_dir / "flight", check_dir / "results", PlaneSurface.load(sim_dir / "surface.json"),
                        progress=False)
        print_comparison(compare_with_truth(check.findings_geojson_path, sim_dir / "truth.geojson"),
                         "Geometry check: simulator masks in place of the model")
    console.print(f"map:    [bold]{result.map_path}[/]")
    console.print(f"report: [bold]{result.report_pdf_path}[/] (and {result.report_html_path.name})")
    console.print(f"GIS:    [bold]{result.gpkg_path}[/]")
    console.print(f"done in {time.monotonic() - started:.0f} s ({sim.frame_count} frames)")
