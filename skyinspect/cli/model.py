"""`skyinspect model ...`: prepare data, train, export and evaluate the segmentation model.

Training needs the `train` extra (torch, ultralytics); evaluation needs only the runtime.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from models import CRACK_RIDGE_LOW, POST_FLIGHT_FLIPS, POST_FLIGHT_UPSCALE
from skyinspect.cli.main_errors import handle_errors

console = Console()
app = typer.Typer(no_args_is_help=True, help="Prepare data, train, export and evaluate the model.")
SHARED_HELP = "The shared data folder (holds LICENSES.md, cracks/, corrosion/)."


@app.command("prepare")
@handle_errors
def prepare_command(
    shared: Path = typer.Option(Path("../shared/data"), help=SHARED_HELP),
    out: Path = typer.Option(..., help="Dataset folder to write (outside the repository)."),
    seed: int = typer.Option(7, help="Crop and degradation randomness (v5's data: 7)."),
    uav_crops: int = typer.Option(12, help="Random 384-px crops per UAV75 training image (v1-v4: 6)."),
    uav_repeat: int = typer.Option(2, help="Copies of each UAV75 crop (the in-domain drone cracks, oversampled)."),
    corrosion_train_max: int = typer.Option(1162, help="Corrosion training photos used (all; v1-v2: 400)."),
    deepcrack_crops: int = typer.Option(1,
                                        help="384-px crops per DeepCrack training image (v5: 1; 2 tried in session 10)."),
    corrosion_native: bool = typer.Option(False, help="Crop corrosion photos at their own scale instead of "
                                          "resizing them to 384 (tried in session 10; v5: resized)."),
    field_degrade: bool = typer.Option(True, help="Degraded copies for the field (blur, haze, shadow, noise, JPEG)."),
    zoom_crops: int = typer.Option(0, help="Extra crops per DeepCrack training image from it enlarged 1.5-2.5x: "
                                   "cracks wider than any it has (tried in session 14; v5: 0)."),
) -> None:
    """Build the ultralytics semantic-segmentation dataset from the real data on disk; the defaults
    are the shipped model's (v5) data recipe (models/MODEL_CARD.md)."""
    from models.prepare import prepare

    yaml = prepare(shared=shared, out=out, seed=seed, uav_crops_per_image=uav_crops, uav_repeat=uav_repeat,
                   corrosion_train_max=corrosion_train_max, deepcrack_crops=deepcrack_crops,
                   corrosion_native=corrosion_native, field_degrade=field_degrade, zoom_crops=zoom_crops)
    console.print(f"dataset YAML: [bold]{escape(str(yaml))}[/]")


@app.command("train")
@handle_errors
def train_command(
    data: Path = typer.Option(..., help="Dataset YAML written by `skyinspect model prepare`."),
    hours: float = typer.Option(0.9, help="Wall-clock budget in hours."),
    imgsz: int = typer.Option(384),
    device: str = typer.Option("cpu", help="cpu, or a CUDA device index such as 0."),
    project: Path = typer.Option(Path("runs"), help="Where ultralytics writes the run."),
    name: str = typer.Option("skyseg", help="Run name (folder under --project)."),
    init: Path | None = typer.Option(None, help="Continue from this checkpoint (fine-tune); none: from scratch. "
                                     "`python -m models.from_onnx` rebuilds one from a shipped ONNX model."),
    lr0: float | None = typer.Option(None, help="AdamW learning rate (default 0.001429; fine-tunes of v4+: 0.0003)."),
    warmup_epochs: float = typer.Option(3.0, help="0 for a fine-tune."),
    cls_pw: float = typer.Option(0.5, help="Class-weight power against the crack/background imbalance (v2+: 1.0)."),
    seed: int = typer.Option(0),
    save_period: int = typer.Option(-1, help="Keep every N-th epoch's weights for `skyinspect model select`."),
) -> None:
    """Train YOLO26n-sem offline, from scratch or from a checkpoint (needs the train extra: torch + ultralytics)."""
    from models.train import train

    best = train(data=data, hours=hours, imgsz=imgsz, device=device, project=project, name=name, init=init,
                 lr0=lr0, warmup_epochs=warmup_epochs, cls_pw=cls_pw, seed=seed, save_period=save_period)
    console.print(f"best weights: [bold]{escape(str(best))}[/]")


@app.command("select")
@handle_errors
def select_command(
    run: Path = typer.Argument(..., help="The training run folder (PROJECT/NAME) with weights/epochN.pt."),
    baseline: Path | None = typer.Option(None, help="An ONNX model to score the same way (e.g. the shipped one)."),
    shared: Path = typer.Option(Path("../shared/data"), help=SHARED_HELP),
) -> None:
    """Export every saved epoch and score it by the selection rule on the validation splits only
    (UAV75 val tol. F, DeepCrack val IoU, corrosion val IoU; one pass, argmax); needs the train extra."""
    from models.select_epoch import score_lines, select

    result = select(run, baseline, shared)
    console.print("\n".join(score_lines(result)), highlight=False)
    console.print(escape(f"written to {Path(run) / 'selection.json'}"))


@app.command("export")
@handle_errors
def export_command(
    weights: Path = typer.Argument(..., help="best.pt from training."),
    out: Path = typer.Option(Path("models/skyinspect-seg.onnx"), help="ONNX file to write."),
) -> None:
    """Export to ONNX with skyinspect's metadata (classes, input size, normalisation, version)."""
    from models.export import export

    console.print(f"wrote [bold]{escape(str(export(weights, out)))}[/]")


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
    crack_ridge: float = typer.Option(CRACK_RIDGE_LOW, help="Continue cracks along their probability ridge "
                                      "down to this value, as `skyinspect segment` and onboard do; 0 for none."),
    wide_crack_scale: float | None = typer.Option(None, help="Add the open cracks a pass over each image reduced by "
                                                  "this factor finds (models/wide.py); default as `skyinspect segment`: "
                                                  "0.5 with several passes, none with one (as onboard); 0 for none."),
    images: Path | None = typer.Option(None, help="Score your own labelled photos in this folder instead of the "
                                       "held-out sets (each with a mask of the same name, or name_mask)."),
    masks: Path | None = typer.Option(None, help="The masks of --images (default: the --images folder)."),
    mask_class: str = typer.Option("crack", help="What the masks mark: crack or corrosion (binary masks, 0/255 or "
                                   "0/1), or ids (0 background, 1 crack, 2 corrosion, as `skyinspect segment` writes)."),
) -> None:
    """Per-class IoU, pixel P/R/F1 and 2-px tolerance F on the held-out sets, or on your own labelled photos."""
    from models.evaluate import evaluate

    labelled = (images, masks or images, mask_class) if images is not None else None
    console.print_json(json.dumps(evaluate(model=model, out=out, shared=shared, limit=limit, flips=flips,
                                           upscale=upscale, crack_ridge=crack_ridge,
                                           wide_crack_scale=wide_crack_scale, labelled=labelled), default=str))


@app.command("info")
@handle_errors
def info_command(
    model: Path | None = typer.Option(None, help="ONNX model (default: the shipped one)."),
    as_json: bool = typer.Option(False, "--json", help="Print the JSON only."),
) -> None:
    """The model (id, version, sha256, thresholds) and what runs it here: ONNX Runtime providers
    (CUDA?), TensorRT and the engines already built for this model. Loads nothing on a GPU."""
    from models import DEFAULT_MODEL_PATH
    from models.info import model_info

    info = model_info(model or DEFAULT_MODEL_PATH)
    if as_json:
        console.print_json(json.dumps(info))
        return
    m, ort, trt = info["model"], info["onnxruntime"], info["tensorrt"]
    from models.runtime import WHOLE_FRAME_MAX_PX

    # the path, and the id and version from the file's metadata, are text, not rich markup
    console.print(f"[bold]{escape(str(m['model_id']))}[/] {escape(str(m['version']))} ({m['size_bytes'] / 1e6:.1f} MB, sha256 "
                  f"{m['sha256'][:16]}...), classes {', '.join(m['classes'])}; {m['input_size_px']}-px tiles (ONNX "
                  f"Runtime: frames up to {WHOLE_FRAME_MAX_PX / 1e6:.1f} MPx whole)")
    console.print(f"  {escape(str(m['path']))}")
    console.print(f"  thresholds: crack {m['crack_threshold'] or 'argmax'}, corrosion {m['corrosion_threshold'] or 'argmax'}"
                  f"; drift reference: {'yes' if info['drift_reference']['for_this_model'] else 'none for this model'}")
    if ort["installed"]:
        console.print(f"ONNX Runtime {ort['version']}: {', '.join(ort['providers'])}"
                      + ("; GPU: --backend onnxruntime-cuda" if ort["cuda"] else "; no CUDA here: CPU"))
    else:
        console.print(f"[red]ONNX Runtime not importable[/]: {ort['error']}")
    if trt["importable"]:
        built = ", ".join(trt["engines_for_this_model"]) or "none yet (the first --backend tensorrt run builds one)"
        console.print(f"TensorRT {trt['version']}: --backend tensorrt; engines in {escape(str(trt['engine_cache_dir']))}: {escape(built)}")
    else:
        console.print(f"TensorRT: not here. {trt['note']}")
