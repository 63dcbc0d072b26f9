"""`skyinspect process`: flight record → georeferenced findings, GeoPackage, map and report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

console = Console()


def process_command(
    flight: Path = typer.Argument(..., help="Flight record folder written by `skyinspect onboard`."),
    out: Path = typer.Option(..., "--out", help="Results folder."),
    surface: Path | None = typer.Option(None, "--surface", help="Surface JSON the camera looks at "
                                        "(default: the ground plane under the take-off point)."),
    truth: Path | None = typer.Option(None, "--truth", help="truth.geojson to compare the findings with."),
    rerun: bool = typer.Option(False, help="Recompute every stage instead of reusing saved outputs."),
) -> None:
    """Georeference, fuse and measure the detections; write findings.gpkg, map.html, report.pdf."""
    from groundstation.pipeline import process
    from skyinspect.surface import PlaneSurface

    plane = PlaneSurface.load(surface) if surface is not None else None
    summary = process(flight, out, plane, rerun=rerun)
    if summary.frames_not_georeferenced:
        console.print(f"[yellow]warning:[/] {summary.frames_not_georeferenced} of {summary.frames_tagged} tagged "
                      "frames could not be georeferenced (their reasons are in the report's data-quality "
                      "section)" + ("; a facade or pier needs --surface SURFACE.json" if surface is None else ""))
    console.print(f"{summary.findings} findings from {summary.detections} detections; "
                  f"map: [bold]{summary.map_path}[/], report: [bold]{summary.report_pdf_path}[/]")
    if truth is not None:
        from groundstation.evaluate import compare_with_truth
        from skyinspect.cli.demo import print_comparison

        print_comparison(compare_with_truth(summary.findings_geojson_path, truth))
