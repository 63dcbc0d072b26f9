"""Stage 5, publish: GIS layers, web map and report from the fused, measured findings.

Every product is written into ``staging`` (a temporary folder inside the output folder) by
``publish``; the pipeline moves them into place only when all succeeded. The heavy libraries
(geopandas, folium, fpdf2) are imported inside the modules that need them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from groundstation.publish.context import PublishInput

PRODUCTS = ("findings.gpkg", "findings.geojson", "findings.kml", "map.html", "schematic.png", "report.html",
            "report.pdf", "workorders.csv", "workorders.json", "inspection.json")


def publish(inp: PublishInput, staging: Path, progress: bool = False) -> dict[str, Path]:
    """Write every product into ``staging``; returns {product name: path}. ``progress``: a bar over
    the products (the report grows with the findings: 6-10 s at 864, which had passed in silence)."""
    from groundstation.publish.gis import write_geojson, write_gpkg
    from groundstation.publish.images import draw_schematic
    from groundstation.publish.kml import write_kml
    from groundstation.publish.report import write_html
    from groundstation.publish.report_pdf import write_pdf
    from groundstation.publish.webmap import crops_for, write_map

    staging.mkdir(parents=True, exist_ok=True)
    paths = {name: staging / name for name in PRODUCTS}
    crops: dict[str, bytes | None] = {}
    steps: list[tuple[str, Callable[[], object]]] = [
        ("crops", lambda: crops.update(crops_for(inp))),
        ("findings.gpkg", lambda: write_gpkg(inp, paths["findings.gpkg"])),
        ("findings.geojson", lambda: write_geojson(inp, paths["findings.geojson"])),
        ("findings.kml", lambda: write_kml(inp, paths["findings.kml"])),
        ("map.html", lambda: write_map(inp, paths["map.html"], crops)),
        ("schematic.png", lambda: draw_schematic(inp, paths["schematic.png"])),
        ("report.html", lambda: write_html(inp, paths["report.html"], paths["schematic.png"], crops)),
        ("report.pdf", lambda: write_pdf(inp, paths["report.pdf"], paths["schematic.png"], crops)),
        ("work orders", lambda: write_maintenance(inp, paths["workorders.csv"], paths["workorders.json"],
                                                  paths["inspection.json"]))]
    if not progress:
        for _, step in steps:
            step()
        return paths
    from rich.progress import Progress

    with Progress(transient=False) as bar:
        task = bar.add_task("publishing", total=len(steps))
        for name, step in steps:
            bar.update(task, description=f"publishing {name}")
            step()
            bar.advance(task)
        bar.update(task, description="publishing products")
    return paths


def write_maintenance(inp: PublishInput, csv_path: Path, json_path: Path, inspection_path: Path) -> None:
    """Work orders (CSV, JSON) and inspection.json: what the change and review tools need to know
    about this results folder (asset, date, flight, model, grading profile, measurement methods)."""
    import json

    from groundstation.measure import MEASUREMENT_METHODS
    from groundstation.publish.context import flight_date, flight_start_utc_s
    from groundstation.publish.report import segmentation_settings
    from groundstation.workorders import published_review, write_work_orders

    day = flight_date(inp)
    review = None
    if inp.review is not None and inp.review.seq:  # the rejected findings' orders kept apart, for a change of mind
        from groundstation.workorders import build_work_orders

        gone = build_work_orders(inp.rejected, inp.grades, day, inp.asset_id, inp.assignments, checks=inp.checks,
                                 flight_start_utc_s=flight_start_utc_s(inp))
        from groundstation.publish.reviewed import shown_class

        graded_as = {f.finding_id: shown for f in inp.findings  # a relabel's grade is the reviewed class's
                     if (shown := shown_class(inp, f.finding_id, f.class_name)) != f.class_name}
        review = published_review(inp.review, [f.finding_id for f in inp.rejected], gone, graded_as)
    write_work_orders(inp.work_orders, csv_path, json_path, inp.asset_id, day, review)
    t0 = flight_start_utc_s(inp)
    inspection_path.write_text(json.dumps({
        "format": "skyinspect-inspection", "version": 1, "asset_id": inp.asset_id, "inspection_date": day,
        "start_time_utc_s": t0, "flight": str(Path(inp.flight.folder).resolve()), "model_id": inp.flight.model_id,
        "segmentation": segmentation_settings(inp),
        "grading_profile": inp.grading_profile, "input_drift": inp.flight.drift,
        "measurement_methods": MEASUREMENT_METHODS,
        # the flight's local NED frame, which the findings' *_ned_m geometry is in (change: crack lines)
        "origin": {"lat_deg": inp.flight.origin.lat0_deg, "lon_deg": inp.flight.origin.lon0_deg,
                   "h_m": inp.flight.origin.h0_m},
        # every id, rejected ones too: the change and review tools name findings by id
        "findings": sorted(f.finding_id for f in inp.findings + inp.rejected),
        "review": None if inp.review is None else {"applied_to_seq": inp.review.seq, "by": list(inp.review.who),
                                                   # the review app tells a trail cut or replaced since by it
                                                   "applied_to_hash": inp.review.head,
                                                   "rejected": [f.finding_id for f in inp.rejected],
                                                   "said": inp.review.said(),
                                                   # the grades the review changed, as published (change)
                                                   "grades": {fid: [g.to_dict() for g in gs]
                                                              for fid, gs in sorted(inp.regraded.items())}}},
        indent=1))


__all__ = ["PRODUCTS", "PublishInput", "publish"]
