"""Write a checked plan: .plan, .waypoints, .kml, preview.html (all or nothing); an inspection cut
into several flights: one folder per flight and ``flights.csv``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from skyinspect.errors import RecordError, describe

from missions.planning.formats import write_qgc_plan, write_waypoints
from missions.planning.kml import write_kml, write_preview
from missions.planning.mission import DO_CHANGE_SPEED
from missions.planning.planner import Plan


def write_all(plan: Plan, out_dir: Path, stem: str = "mission") -> list[Path]:
    """Only ever called with a Plan, which exists only once every check has passed."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordError(describe(out_dir, f"cannot create the output folder ({exc})")) from exc
    paths = [out_dir / f"{stem}.plan", out_dir / f"{stem}.waypoints", out_dir / f"{stem}.kml", out_dir / "preview.html"]
    fence = plan.asset.site.geofence_lat_lon
    # QGC's default mission speed: the one the mission sets first (the transit speed; lanes slow down)
    first_speed = next((it.params[1] for it in plan.items if it.command == DO_CHANGE_SPEED), plan.design.speed_m_s)
    write_qgc_plan(paths[0], plan.items, plan.home_lat_lon_alt, plan.autopilot, first_speed, fence)
    write_waypoints(paths[1], plan.items, plan.home_lat_lon_alt)
    write_kml(paths[2], plan)
    write_preview(paths[3], plan)
    return paths


def write_flights(plans: tuple[Plan, ...] | list[Plan], out_dir: Path) -> list[Path]:
    """One flight: its files in ``out_dir`` (as ``write_all``). Several: ``flight_01/``, ``flight_02/``...
    each with its own files, flown in that order, ``flights.csv`` (one row a flight), and
    ``flights.kml`` / ``preview.html`` with every flight in its own colour."""
    out_dir = Path(out_dir)
    if len(plans) == 1:
        return write_all(plans[0], out_dir)
    paths: list[Path] = []
    rows = io.StringIO()
    table = csv.writer(rows, lineterminator="\n")
    table.writerow(["flight", "folder", "photos", "estimated_min", "first_pass", "last_pass"])
    for k, plan in enumerate(plans, start=1):
        folder = f"flight_{k:02d}"
        paths += write_all(plan, out_dir / folder)
        table.writerow([k, folder, plan.photo_count, f"{plan.estimated_flight_s / 60:.1f}", plan.passes[0].name,
                        plan.passes[-1].name])
    summary = out_dir / "flights.csv"
    try:
        summary.write_text(rows.getvalue())
    except OSError as exc:
        raise RecordError(describe(summary, f"cannot write ({exc})")) from exc
    overview = [out_dir / "flights.kml", out_dir / "preview.html"]  # every flight, one colour each
    write_kml(overview[0], plans[0], tuple(plans))
    write_preview(overview[1], plans[0], tuple(plans))
    return paths + [summary] + overview
