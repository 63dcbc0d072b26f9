"""`skyinspect model ...`: prepare data, train, export and evaluate the segmentation model.

Training needs the `train` extra (torch, ultralytics); evaluation needs only the runtime.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from models import POST_FLIGHT_FLIPS, POST_FLIGHT_UPSCALE
from skyinspect.cli.main_errors import handle_errors

console = Console()
app = typer.Typer(no_args_is_help=True, help="Prepare data, train, export and evaluate the model.")
SHARED_HELP = "The shared data folder (holds LICENSES.md, cracks/, corrosion/)."


@app.command("prepare")
@handle_errors
def prepare_command(
    shared: Path = typer.Option(Path("../shared/data"), help=SHARED_HELP),
    out: Path = typer.Option(..., help="Dataset folder to write (outside the repository)."),
    seed: int = typer.Option(0),
) -> None:
    """Build the ultralytics semantic-segmentation dataset from the real data on disk."""
    from models.prepare import prepare

    console.print(f"dataset YAML: [bold]{prepare(shared=shared, out=out, seed=seed)}[/]")


@app.command("train")
@handle_errors
def train_command(
    data: Path = typer.Option(..., help="Dataset YAML written by `skyinspect model prepare`."),
    hours: float = typer.Option(0.9, help="Wall-clock budget in hours."),
    imgsz: int = typer.Option(384),
    device: str = typer.Option("cpu", help="cpu, or a CUDA device index such as 0."),
    project: Path = typer.Option(Path("runs"), help="Where ultralytics writes the run."),
) -> None:
    """Train YOLO26n-sem from scratch, offline (needs the train extra: torch + ultralytics)."""
    from models.train import train

    console.print(f"best weights: [bold]{train(data=data, hours=hours, imgsz=imgsz, device=device, project=project)}[/]")


@app.command("export")
@handle_errors
def export_command(
    weights: Path = typer.Argument(..., help="best.pt from training."),
    out: Path = typer.Option(Path("models/skyinspect-seg.onnx"), help="ONNX file to write."),
) -> None:
    """Export to ONNX with skyinspect's metadata (classes, input size, normalisation, version)."""
    from models.export import export

    console.print(f"wrote [bold]{export(weights, out)}[/]")


@app.command("eval")
@handle_errors
def eval_command(
    out: Path = typer.Option(..., help="JSON file for per-image results and the summary."),
    model: Path | None = typer.Option(None, help="ONNX model (default: the shipped one)."),
    shared: Path = typer.Option(Path("../shared/data"), help=SHARED_HELP),
    limit: int | None = typer.Option(None, help="Evaluate at most this many images per set."),
    flips: int = typer.Option(POST_FLIGHT_FLIPS, help="Test-time flips averaged per image: 4 as `skyinspect segment` does, "
                              "1 for one pass as onboard."),
    upscale: float = typer.Option(POST_FLIGHT_UPSCALE, help="Also segment each image enlarged by this factor and "
                                  "average, as `skyinspect segment` does; 0 for none (as onboard)."),
) -> None:
    """Per-class IoU, pixel P/R/F1 and 2-px tolerance F on the held-out sets."""
    from models.evaluate import evaluate

    console.print_json(json.dumps(evaluate(model=model, out=out, shared=shared, limit=limit, flips=flips,
                                           upscale=upscale), default=str))
