"""`skyinspect segment`: crack/corrosion masks, overlays and instances for a folder of photos."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from models import CRACK_RIDGE_LOW, POST_FLIGHT_FLIPS, POST_FLIGHT_UPSCALE

if TYPE_CHECKING:
    from models.batch import SegmentedImage
    from skyinspect.drift import DriftReference, DriftReport

console = Console()


def segment_command(
    images: list[Path] = typer.Argument(..., help="Image files or folders of images."),
    out: Path = typer.Option(..., "--out", help="Folder for <stem>_mask.png, <stem>_overlay.jpg, <stem>.json (and, for a "
                             "georeferenced GeoTIFF, <stem>_mask.tif and <stem>.geojson in map coordinates), and "
                             "summary.csv / summary.html over the photos it holds, from this run and earlier ones (most crack first)."),
    model: Path | None = typer.Option(None, "--model", help="ONNX model (default: the one shipped)."),
    backend: str = typer.Option("onnxruntime", "--backend", help="onnxruntime, onnxruntime-cuda or tensorrt (Jetson)."),
    flips: int = typer.Option(POST_FLIGHT_FLIPS, "--flips", help="Model passes per photo, flipped and averaged: 4 (best masks), "
                              "2, or 1 (a quick look at a quarter of the time)."),
    upscale: float = typer.Option(POST_FLIGHT_UPSCALE, "--upscale", help="Also segment each photo enlarged by this "
                                  "factor (two flips) and average: thin cracks come out surer, at about twice the time; "
                                  "0 for none."),
    crack_ridge: float = typer.Option(CRACK_RIDGE_LOW, "--crack-ridge", help="Continue each crack along its "
                                      "probability ridge down to this crack probability: faint crack ends come back "
                                      "as lines; 0 for none."),
    wide_crack_scale: float | None = typer.Option(None, "--wide-crack-scale", help="Also segment each photo reduced "
                                                  "by this factor and add the open cracks wider than the model was "
                                                  "trained on (30 px and more); default 0.5 with several passes, none "
                                                  "with one; 0 for none."),
    rerun: bool = typer.Option(False, "--rerun", help="Segment every photo again, even those --out already holds "
                               "from the same model and settings (by default a rerun picks up where the last stopped)."),
) -> None:
    """Segment inspection photos at their full resolution (in 384-px tiles above 1.6 MPx; every photo
    with --backend tensorrt), one mask per photo."""
    from models import load_segmenter
    from models.batch import check_writable, done_before, refuse_overwriting, segment_images
    from models.photo_inputs import (earlier_outputs, left_out_files, left_out_photos, list_images,
                                     photos_in_subfolders, subfolder_counts)
    from models.photo_checks import check_headers, check_images, check_memory, check_overlay_sizes

    files = list_images(images)
    check_writable(out)  # before the photos are decoded and the model loaded
    other = left_out_photos(images)
    if other:  # said, not skipped without a word
        console.print(f"[yellow]note:[/] left out {', '.join(f'{n} {s}' for s, n in sorted(other.items()))} "
                      f"file(s): not read here; convert them to JPEG or PNG to segment them", highlight=False)
    strays = left_out_files(images)
    if strays:
        console.print(f"[yellow]note:[/] left out {len(strays)} file(s) that are not images: "
                      f"{escape(', '.join(sorted(p.name for p in strays)))}", highlight=False)
    outputs = earlier_outputs(images)
    if outputs:
        console.print(f"[yellow]note:[/] left out {len(outputs)} output(s) of an earlier skyinspect segment run "
                      "(masks, overlays beside their JSON record): not segmented as photos", highlight=False)
    below = photos_in_subfolders(images, out)
    if below:
        console.print(f"[yellow]note:[/] left out {sum(below.values())} photo(s) in subfolders of "
                      f"{escape(', '.join(dict.fromkeys(str(sub.parent) for sub in below)))}: "
                      f"{escape(subfolder_counts(below))}; pass those "
                      "folders to segment them too", highlight=False)
    # the model has the cores to itself here, so its threads may busy-wait (models/runtime.py)
    segmenter = load_segmenter(model, backend=backend, flips=flips, spin_wait=True, upscale=upscale,
                               crack_ridge_low=crack_ridge,
                               wide_crack_scale="auto" if wide_crack_scale is None else wide_crack_scale)
    with segmenter:  # closed on the way out, an error included: the TensorRT backend's GPU buffers freed
        from skyinspect.segmentation import settings_of

        # the photos done before are kept, not decoded: a rerun after 900 of 1,000 decoded all 1,000 up front
        kept = done_before(files, out, settings_of(segmenter), rerun)
        todo = [p for p in files if p not in kept]
        check_headers(todo, segmenter)  # from the headers: what the sizes refuse, refused before decoding any
        with Progress(console=console, transient=True) as progress:
            checking = progress.add_task("checking the photos decode", total=len(todo))
            sizes = check_images(todo, on_checked=lambda _p: progress.advance(checking))
        check_overlay_sizes(todo, sizes)
        from models.geo_outputs import georeference_notes

        for note in georeference_notes(todo, sizes):  # a GeoTIFF whose outputs cannot be placed on the map
            console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
        check_memory(todo, sizes, segmenter)
        refuse_overwriting(files, out)
        with Progress(console=console) as progress:
            task = progress.add_task("segmenting", total=len(files))
            # moved within a photo (per batch of tiles), not per photo: one takes a minute and more with these passes
            results = segment_images(files, out, segmenter, checked=True, rerun=rerun, kept=kept,
                                     on_progress=lambda photos: progress.update(task, completed=photos))
    from models.photo_summary import readable_records, records_in, write_summary

    stems = [r.source.stem for r in results]
    earlier, unreadable = readable_records(out, sorted(set(records_in(out)) - set(stems)))  # earlier runs' photos
    if unreadable:
        console.print(f"[yellow]note:[/] left out of the summary: {escape(', '.join(p.name for p in unreadable))} "
                      "(not records segment can read)", highlight=False)
    _, page = write_summary(out, stems, earlier)
    drift = _drift_check(results, getattr(segmenter, "drift_reference", None))
    found = sum(r.instances for r in results)
    skipped = sum(r.skipped for r in results)
    console.print(f"segmented {len(results) - skipped} images, {found} instances in all, "
                  f"into [bold]{escape(str(out))}[/]"
                  + (f" ({skipped} done before with this model and settings, kept: --rerun to redo them)"
                     if skipped else ""))
    console.print(f"summary, most crack first: [bold]{escape(str(page))}[/] (and summary.csv)")
    if drift is not None:
        said = drift.summary("photos", "these photos' masks")
        console.print(f"[yellow]warning:[/] {escape(said)}" if drift.out_of_distribution else escape(said),
                      highlight=False)


def _drift_check(results: list[SegmentedImage], reference: DriftReference | None) -> DriftReport | None:
    """The model's input-drift check (skyinspect/drift.py) over this run's photos, kept ones included, from
    their statistics (records written before they held them are left out): a folder of dark or blurred
    photos was segmented without a word, where `process` flags such a flight."""
    from skyinspect.drift import check_drift

    stats = [r.frame_stats for r in results if r.frame_stats is not None]
    if reference is None or not stats:  # a model without a shipped reference: no check (as onboard)
        return None
    return check_drift(stats, reference)
