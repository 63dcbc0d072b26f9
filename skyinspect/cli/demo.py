"""`skyinspect demo`: simulate → onboard → process on the embedded defaults, then score vs truth."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from skyinspect.errors import InputError

console = Console()

# The foundation's acceptance targets, printed beside the measured numbers.
TARGET_RECALL = 0.80
TARGET_ERROR_GSD = 3.0
# what a demo writes into --out: --overwrite removes a folder holding these only, never anyone's other files
DEMO_ENTRIES = frozenset({"simulation", "flight", "results", "geometry-check"})


def print_comparison(cmp: Any, title: str = "Findings vs simulator truth") -> None:
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    recall = cmp.found_count / cmp.true_count if cmp.true_count else float("nan")
    table.add_row("true defects", str(cmp.true_count), "")
    table.add_row("found", f"{cmp.found_count} ({recall:.0%})", f">= {TARGET_RECALL:.0%}")
    table.add_row("false positives (on no true defect)", str(cmp.false_positive_count), "")
    table.add_row("duplicates (extra pieces of a found one)", str(cmp.duplicate_count), "")
    table.add_row("mean position error", f"{cmp.mean_position_error_m * 100:.1f} cm", "")
    table.add_row("mean GSD", f"{cmp.mean_gsd_m * 1000:.2f} mm/px", "")
    table.add_row("error in GSD", f"{cmp.error_in_gsd:.2f} GSD", f"<= {TARGET_ERROR_GSD:.0f} GSD")
    # diagnostics that split the centroid error: where the found pixels lie, and how much was found
    table.add_row("placement (outline → truth)", f"{cmp.placement_error_in_gsd:.2f} GSD", "")
    table.add_row("true area covered", f"{cmp.mean_coverage:.0%}", "")
    # measurements of the matched findings, median measured / true (1.00 = exact)
    each = cmp.crack_length_ratios
    spread = f" ({min(each):.2f}-{max(each):.2f})" if len(each) > 1 else ""
    table.add_row("crack length, measured / true", f"{cmp.crack_length_ratio:.2f}{spread}", "")
    table.add_row("corrosion area, measured / true", f"{cmp.corrosion_area_ratio:.2f}", "")
    wg = getattr(cmp, "width_grade", None)
    if wg is not None:  # groundstation.evaluate_grades: the graded width, and the grade the true size gives
        ratio = f", values {wg.width_ratio:.2f}x" if wg.width_ratio == wg.width_ratio else ""
        table.add_row("crack width: truth in bound / ± 2σ", f"{wg.widths_holding} of {wg.widths_compared}{ratio}", "")
        for cls in ("crack", "corrosion"):
            other = wg.differing(cls)
            said = [f"{wg.indeterminate(cls)} indeterminate"] if wg.indeterminate(cls) else []
            said += [f"{p.defect_id}: {p.grade} not {p.true_grade}" for p in other]
            table.add_row(f"{cls} grade = true size's", f"{wg.agreeing(cls)} of {len(wg.graded(cls))}"
                          + (f" ({'; '.join(said)})" if said else ""), "")
    _add_offset_rows(table, cmp)
    console.print(table)


def _add_offset_rows(table: Table, cmp: Any) -> None:
    """The flight's common offset (its absolute error) and the numbers with it taken out, only when one
    was taken out (groundstation.evaluate_offset): the rows above are the strict comparison."""
    off, after = getattr(cmp, "common_offset", None), getattr(cmp, "offset_removed", None)
    if off is None or after is None:
        return
    # CE90 is a horizontal radius: the offset's horizontal part is what it should cover
    ce90 = (f"; {'within' if off.horizontal_m <= off.ce90_m else 'BEYOND'} the findings' CE90 {off.ce90_m:.2f} m"
            if off.ce90_m == off.ce90_m else "")
    table.add_row("common offset of the flight (absolute error)",
                  f"{off.horizontal_m:.2f} m toward {off.bearing_deg:.0f}°, {abs(off.up_m):.2f} m "
                  f"{'up' if off.up_m >= 0 else 'down'}{ce90} ({off.support} of {off.candidates} findings agree)", "")
    recall = after.found_count / after.true_count if after.true_count else float("nan")
    table.add_row("with it taken out: found", f"{after.found_count} ({recall:.0%})", f">= {TARGET_RECALL:.0%}")
    table.add_row("  false positives / duplicates", f"{after.false_positive_count} / {after.duplicate_count}", "")
    table.add_row("  error in GSD", f"{after.error_in_gsd:.2f} GSD", f"<= {TARGET_ERROR_GSD:.0f} GSD")
    table.add_row("  placement (outline → truth)", f"{after.placement_error_in_gsd:.2f} GSD", "")


@dataclass(frozen=True)
class DemoLeg:
    """One pass of a simulated flight through onboard replay and ground-station processing."""

    replay: Any  # onboard.replay.ReplaySummary
    result: Any  # groundstation.pipeline.ProcessSummary
    comparison: Any  # groundstation.evaluate.TruthComparison


def fly_and_process(sim_dir: Path, work: Path, segmenter: Any, progress: bool = True,
                    on_stage: Callable[[str], None] | None = None) -> DemoLeg:
    """Replay ``sim_dir``'s frames and tlog with ``segmenter`` into ``work``/flight, process them into
    ``work``/results on the simulated surface, and score the findings against the simulator's truth.
    Shared by the demo (model and geometry check) and bench/demo_flight.py."""
    from groundstation.evaluate import compare_with_truth
    from groundstation.pipeline import process
    from onboard.replay import run_replay
    from skyinspect.camera import CameraModel
    from skyinspect.surface import PlaneSurface

    announce = on_stage or (lambda _name: None)
    announce("onboard")
    replay = run_replay(sim_dir / "frames", sim_dir / "flight.tlog", work / "flight", segmenter,
                        CameraModel.load(sim_dir / "camera.yaml"), progress=progress)
    announce("process")
    result = process(work / "flight", work / "results", PlaneSurface.load(sim_dir / "surface.json"),
                     progress=progress)
    return DemoLeg(replay, result, compare_with_truth(result.findings_geojson_path, sim_dir / "truth.geojson"))


def check_demo_out(out: Path, overwrite: bool) -> None:
    """Refuse an --out that is a file, or a non-empty folder unless --overwrite and it is an earlier demo
    (a demo's own folders only): --overwrite had removed whatever folder it was given."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: is a file, expected a folder for the demo. Choose another --out")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not overwrite:
        raise InputError(f"{out}: folder exists and is not empty. Pass --overwrite or choose another --out")
    others = sorted(p.name for p in out.iterdir() if p.name not in DEMO_ENTRIES)
    if others or not (out / "simulation").is_dir():
        listed = ", ".join(others[:3]) + (" ..." if len(others) > 3 else "")
        got = f"it holds {listed}" if others else "it has no simulation/ folder"
        raise InputError(f"{out}: not an earlier demo ({got}; a demo holds only {', '.join(sorted(DEMO_ENTRIES))}), "
                         "so --overwrite does not remove it. Choose another --out")


def demo_command(
    out: Path = typer.Option(Path("skyinspect-demo"), "--out", help="Folder for the whole demo run."),
    small: bool = typer.Option(False, help="A tiny flight (smoke test; accuracy not meaningful)."),
    overwrite: bool = typer.Option(False, help="Replace an earlier demo in the same folder."),
    geometry_check: bool = typer.Option(True, help="Also run the flight with the simulator's own masks in "
                                        "place of the model, to separate detection from geometry errors."),
) -> None:
    """Run the whole path on a simulated pier-face flight and print how it compares with the truth."""
    import shutil

    from missions.simulator import SimConfig, simulate
    from models import load_segmenter

    check_demo_out(out, overwrite)
    if out.exists() and any(out.iterdir()):
        shutil.rmtree(out)
    started = time.monotonic()
    sim_dir = out / "simulation"

    console.rule("1/3 simulate")
    sim = simulate(sim_dir, SimConfig.small() if small else SimConfig())
    segmenter = load_segmenter(None)
    stage_titles = {"onboard": "2/3 onboard (replay)", "process": "3/3 process"}
    leg = fly_and_process(sim_dir, out, segmenter, on_stage=lambda name: console.rule(stage_titles[name]))
    summary, result = leg.replay, leg.result
    console.print(f"recorded {summary.frames} frames, {summary.instances} detections, {summary.fps:.2f} frames/s")
    print_comparison(leg.comparison, f"Findings vs simulator truth (model {segmenter.model_id})")
    if geometry_check:
        from missions.simulator.oracle import TruthMaskSegmenter

        check = fly_and_process(sim_dir, out / "geometry-check", TruthMaskSegmenter(sim_dir), progress=False)
        print_comparison(check.comparison, "Geometry check: simulator masks in place of the model")
    console.print(f"map:    [bold]{escape(str(result.map_path))}[/]")
    console.print(f"report: [bold]{escape(str(result.report_pdf_path))}[/] (and {result.report_html_path.name})")
    console.print(f"GIS:    [bold]{escape(str(result.gpkg_path))}[/]")
    console.print(f"done in {time.monotonic() - started:.0f} s ({sim.n_frames} frames)")
