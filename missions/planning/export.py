"""Write a checked plan: .plan, .waypoints, .kml, preview.html (all or nothing); an inspection cut
into several flights: one folder per flight and ``flights.csv``."""

from __future__ import annotations

import csv
import io
import logging
import os
import shutil
import tempfile
from pathlib import Path

from skyinspect.errors import RecordError, describe
from skyinspect.spreadsheet import SPREADSHEET_ENCODING, csv_safe

from missions.planning.formats import write_qgc_plan, write_waypoints
from missions.planning.kml import write_kml, write_preview
from missions.planning.mission import DO_CHANGE_SPEED
from missions.planning.planner import Plan

log = logging.getLogger(__name__)
# every file `plan` writes, in the output folder or a flight folder
PLAN_FILE_NAMES = ("mission.plan", "mission.waypoints", "mission.kml", "preview.html", "flights.csv", "flights.kml")


def write_all(plan: Plan, out_dir: Path, stem: str = "mission") -> list[Path]:
    """Only ever called with a Plan, which exists only once every check has passed."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordError(describe(out_dir, f"cannot create the output folder ({exc})")) from exc
    paths = [out_dir / f"{stem}.plan", out_dir / f"{stem}.waypoints", out_dir / f"{stem}.kml", out_dir / "preview.html"]
    # QGC's default mission speed: the one the mission sets first (the transit speed; lanes slow down)
    first_speed = next((it.params[1] for it in plan.items if it.command == DO_CHANGE_SPEED), plan.design.speed_m_s)
    write_qgc_plan(paths[0], plan.items, plan.home_lat_lon_alt, plan.autopilot, first_speed, plan.fence)
    write_waypoints(paths[1], plan.items, plan.home_lat_lon_alt)
    write_kml(paths[2], plan)
    write_preview(paths[3], plan)
    return paths


def write_flights(plans: tuple[Plan, ...] | list[Plan], out_dir: Path) -> list[Path]:
    """One flight: its files in ``out_dir`` (as ``write_all``). Several: ``flight_01/``, ``flight_02/``...
    each with its own files, flown in that order, ``flights.csv`` (one row a flight), and
    ``flights.kml`` / ``preview.html`` with every flight in its own colour. Files an earlier plan
    wrote into ``out_dir`` that this one does not are removed afterwards (``clear_earlier_plan``)."""
    written = _staged(plans, Path(out_dir))
    removed = clear_earlier_plan(Path(out_dir), written)
    if removed:
        log.warning("%s: removed %d file(s) of an earlier plan that this one replaces (%s%s), so that no stale "
                    "flight is flown", out_dir, len(removed), ", ".join(p.name for p in removed[:4]),
                    ", ..." if len(removed) > 4 else "")
    return written


def _staged(plans: tuple[Plan, ...] | list[Plan], out_dir: Path) -> list[Path]:
    """Write every file into a hidden folder inside ``out_dir`` first and move them into place only
    once all are written: a failure at flight 3 of 8 (a full disk) left the new flights 1-2 beside the
    earlier plan's flights 3-8 and flights.csv, a mixed set ready to upload. Now a failure leaves the
    earlier plan as it was (and no ``out_dir`` that did not exist)."""
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".plan-", dir=out_dir))
    except OSError as exc:
        raise RecordError(describe(out_dir, f"cannot create the output folder ({exc})")) from exc
    try:
        staged = _write_flights(plans, stage)
        written = [out_dir / p.relative_to(stage) for p in staged]
        for src, dest in zip(staged, written):
            dest.parent.mkdir(exist_ok=True)
            os.replace(src, dest)
    except BaseException as exc:
        shutil.rmtree(out_dir if created else stage, ignore_errors=True)
        if isinstance(exc, OSError) and not isinstance(exc, RecordError):
            raise RecordError(describe(out_dir, f"cannot write the plan ({exc}); nothing was changed")) from exc
        raise
    shutil.rmtree(stage, ignore_errors=True)
    return written


def clear_earlier_plan(out_dir: Path, written: list[Path]) -> list[Path]:
    """Remove the plan files in ``out_dir`` (top level and ``flight_NN/``) that are not in ``written``:
    a 0.3-mm plan's eight flight folders stayed beside the 1.5-mm plan written over it, ready to be
    uploaded. Only file names ``plan`` writes are touched; a flight folder is removed once empty."""
    keep = {Path(p).resolve() for p in written}
    removed: list[Path] = []
    folders = [out_dir] + sorted(d for d in out_dir.glob("flight_[0-9]*") if d.is_dir())
    for folder in folders:
        for name in PLAN_FILE_NAMES:
            path = folder / name
            if path.is_file() and path.resolve() not in keep:
                path.unlink()
                removed.append(path)
        if folder != out_dir and not any(folder.iterdir()):
            folder.rmdir()
    return removed


def _write_flights(plans: tuple[Plan, ...] | list[Plan], out_dir: Path) -> list[Path]:
    if len(plans) == 1:
        return write_all(plans[0], out_dir)
    paths: list[Path] = []
    rows = io.StringIO()
    table = csv.writer(rows, lineterminator="\n")
    table.writerow(["flight", "folder", "photos", "estimated_min", "first_pass", "last_pass"])
    for k, plan in enumerate(plans, start=1):
        folder = f"flight_{k:02d}"
        paths += write_all(plan, out_dir / folder)
        # pass names come from the asset file's names: guarded against spreadsheet formulas
        table.writerow([k, folder, plan.photo_count, f"{plan.estimated_flight_s / 60:.1f}",
                        csv_safe(plan.passes[0].name), csv_safe(plan.passes[-1].name)])
    summary = out_dir / "flights.csv"
    try:
        summary.write_text(rows.getvalue(), encoding=SPREADSHEET_ENCODING)  # Excel reads it as UTF-8 by the BOM
    except OSError as exc:
        raise RecordError(describe(summary, f"cannot write ({exc})")) from exc
    overview = [out_dir / "flights.kml", out_dir / "preview.html"]  # every flight, one colour each
    write_kml(overview[0], plans[0], tuple(plans))
    write_preview(overview[1], plans[0], tuple(plans))
    return paths + [summary] + overview
