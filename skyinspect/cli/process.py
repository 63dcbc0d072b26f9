"""`skyinspect process`: flight record → georeferenced findings, GeoPackage, KML, map, report, work orders."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

console = Console()


def check_grading_inputs(profile: str | None, registry: Path | None, asset_id: str | None,
                         rules_dir: Path | None = None) -> tuple[str, str]:
    """Refuse a bad profile, registry or asset id before anything is written (the grade stage would
    only find out after georeferencing). Returns (profile name, asset id or "")."""
    from groundstation.grading import resolve_profile
    from skyinspect.errors import InputError, describe

    if rules_dir is not None:
        from groundstation.grading import load_rules

        load_rules(rules_dir)  # parse every rule now: a typo must not surface after georeferencing
    name, _ = resolve_profile(profile, rules_dir)
    if registry is None:
        if asset_id:
            raise InputError(describe("--asset-id", f"given ({asset_id!r}) without --registry",
                                      "Pass --registry REGISTRY.gpkg, which holds the asset"))
        return name, ""
    from groundstation.registry import Registry

    reg = Registry.read(registry)
    if asset_id is None:
        if len(reg.assets) != 1:
            raise InputError(describe(registry, f"holds {len(reg.assets)} assets; name the one inspected",
                                      f"Pass --asset-id (one of: {', '.join(sorted(reg.assets)) or '(none)'})"))
        return name, next(iter(reg.assets))
    if asset_id not in reg.assets:
        raise InputError(describe(registry, f"has no asset {asset_id!r}",
                                  f"Use one of: {', '.join(sorted(reg.assets)) or '(none)'}"))
    return name, asset_id


def process_command(
    flight: Path = typer.Argument(..., help="Flight record folder written by `skyinspect onboard`."),
    out: Path = typer.Option(..., "--out", help="Results folder."),
    surface: Path | None = typer.Option(None, "--surface", help="Surface the camera looks at: a JSON file "
                                        "(plane, face, cylinder, dem or set; skyinspect/surfaces/io.py) or a DEM "
                                        "GeoTIFF (default: the ground plane under the take-off point)."),
    truth: Path | None = typer.Option(None, "--truth", help="truth.geojson to compare the findings with."),
    rerun: bool = typer.Option(False, help="Recompute every stage instead of reusing saved outputs."),
    profile: str | None = typer.Option(None, "--profile", help="Grading profile (which cited rules grade which "
                                       "class) from groundstation/grading/rules/profiles.yaml, e.g. rc_bridge "
                                       "(its default), steel_bridge, wind_turbine_blade; an unknown name lists them."),
    registry: Path | None = typer.Option(None, "--registry", help="Asset registry GeoPackage "
                                         "(written by `skyinspect registry`): assigns each finding to a "
                                         "component (pier, girder, pipe segment, blade zone)."),
    asset_id: str | None = typer.Option(None, "--asset-id", help="The inspected asset, when the registry holds "
                                        "several."),
    rules: Path | None = typer.Option(None, "--rules", help="Your own grading rules: a folder of rule YAML files "
                                      "plus profiles.yaml, laid out like groundstation/grading/rules/."),
) -> None:
    """Georeference, fuse, measure and grade the detections; write findings.gpkg, .geojson, .kml, map, report.

    findings.gpkg carries QGIS layer styles; workorders.csv/json and inspection.json are written too."""
    from groundstation.pipeline import process
    from skyinspect.surfaces import load_surface

    # every surface kind the pipeline georeferences onto (plane, face, cylinder, DEM, set): reading the
    # file as a plane made a face infinite (its extent dropped) and refused cylinders, DEMs and sets
    surf = load_surface(surface) if surface is not None else None
    profile_name, asset = check_grading_inputs(profile, registry, asset_id, rules)
    if truth is not None:
        from groundstation.evaluate import read_truth

        read_truth(truth)  # a missing or unreadable truth file failed only after every product was written
    summary = process(flight, out, surf, rerun=rerun, grading_profile=profile_name, registry=registry,
                      asset_id=asset or None, rules_dir=rules)
    if summary.frames_not_georeferenced:
        console.print(f"[yellow]warning:[/] {summary.frames_not_georeferenced} of {summary.frames_tagged} tagged "
                      f"frames could not be georeferenced ({escape(summary.why_not_georeferenced())}; each frame's "
                      "reason is in the report's data-quality section)"
                      + ("; a facade or pier needs --surface SURFACE.json" if surface is None and not
                         summary.every_camera_behind and not summary.level_on_ground else ""))
    if summary.level_on_ground:
        console.print(f"[yellow]warning:[/] {escape(summary.level_on_ground)}")
    for note in summary.record_notes:
        console.print(f"[yellow]warning:[/] {escape(note)}")
    if summary.images_missing:
        console.print(f"[yellow]warning:[/] {summary.images_missing} of {summary.frames_tagged} tagged frames' images "
                      f"are missing from {escape(str(flight))} or cut short (a record copied without its images/ folder, or "
                      "while it was being written?): the findings "
                      "stand, but crack widths, the report's pictures and the tie points between passes need "
                      "them. Copy the whole flight folder")
    if summary.masks_missing:
        console.print(f"[yellow]warning:[/] {summary.masks_missing} of {summary.frames_tagged} tagged frames' class "
                      f"masks are missing from {escape(str(flight))} (masks/ not copied?): those frames' crack lengths are "
                      "drawn from the detections' outlines instead, which reads them differently. Copy the "
                      "whole flight folder and process again")
    if summary.superseded is not None:
        console.print(f"[yellow]warning:[/] {escape(str(out))} held the review decisions or change report of "
                      "other findings (another flight or other settings): moved to "
                      f"{escape(str(summary.superseded))}, so that they are not applied to the new findings, "
                      "which reuse their ids")
    _print_review(summary.out)
    if summary.frames_realigned:
        console.print(f"{summary.frames_realigned} frames' camera positions corrected by image tie points (up to "
                      f"{summary.max_realign_m:.2f} m): GNSS range or pass-to-pass errors (report: data quality)")
    console.print(f"{summary.findings} findings from {summary.detections} detections, graded by profile "
                  f"[bold]{escape(profile_name)}[/]; map: [bold]{escape(str(summary.map_path))}[/], "
                  f"report: [bold]{escape(str(summary.report_pdf_path))}[/]")
    if registry is not None:
        feats = json.loads(summary.findings_geojson_path.read_text())["features"]
        placed = sum(1 for f in feats if f["properties"].get("component_id"))
        console.print(f"{placed} of {len(feats)} findings assigned to components of [bold]{escape(str(asset))}[/]"
                      + ("" if placed == len(feats) else " (the others are farther than their CE90 or 1 m from any)"))
    if truth is not None:
        from groundstation.evaluate import compare_with_truth
        from skyinspect.cli.demo import print_comparison

        print_comparison(compare_with_truth(summary.findings_geojson_path, truth))


def _print_review(out: Path) -> None:
    """The review decisions published (groundstation.publish.reviewed): the findings count printed is the
    processed one, and the products leave the rejected findings out."""
    try:
        review = json.loads((out / "inspection.json").read_text()).get("review") or {}
    except (OSError, ValueError, AttributeError):
        return
    from groundstation.workorders import read_review

    trail = read_review(out)  # the trail just published: who rejected, or that it fails its hash check
    if not review.get("applied_to_seq") and not trail.broken:
        return
    console.print(f"review: {escape(str(review.get('said', '')))}", soft_wrap=True, highlight=False)
    if review.get("rejected"):
        state = trail.state
        console.print("review: rejected, left out of the products (kept in their 'rejected' layer and report "
                      "section): " + escape(", ".join(f"{fid} (by {state.get(fid, {}).get('by') or '?'})"
                                                      for fid in review["rejected"])), soft_wrap=True, highlight=False)
