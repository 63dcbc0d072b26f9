"""The change products: ``change.json`` and ``change.csv`` (in the change folder) and ``defects.json``
(finding id -> defect uid, in the current results folder, where the next comparison reads it), each
set written whole or not at all."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any, Callable

from groundstation.change import TABLE_COLUMNS, ChangeReport, Inspection
from skyinspect.errors import RecordError, describe
from skyinspect.spreadsheet import SPREADSHEET_ENCODING, csv_safe


def change_table_csv(report: ChangeReport) -> str:
    """One row per defect (the change.json content flattened for a spreadsheet), ``TABLE_COLUMNS``."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=TABLE_COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in table_rows(report):
        w.writerow({k: csv_safe(row.get(k, "")) for k in TABLE_COLUMNS})
    return buf.getvalue()


def table_rows(report: ChangeReport) -> list[dict[str, Any]]:
    """change.csv's rows before CSV quoting ("" for an empty cell): change.gpkg's attributes too."""
    rows = []
    for c in report.changes:
        row: dict[str, Any] = {"defect_uid": c.defect_uid, "status": c.status, "class": c.class_name,
                               "finding_id": c.finding_id or "", "previous_finding_id": c.previous_finding_id or "",
                               "distance_m": "" if c.distance_m is None else round(c.distance_m, 4),
                               "previous_grade": c.previous_grade, "current_grade": c.current_grade,
                               "escalated": "yes" if c.escalated else "", "note": c.note,
                               "previous_date": report.previous_date, "current_date": report.current_date,
                               "previous_results": report.previous, "current_results": report.current}
        # registry.locate's cells, metres to the centimetre as workorders.csv gives them
        row.update({k: "" if v is None else f"{v:.2f}" if k.endswith("_m") else v for k, v in c.location.items()})
        for g in c.growth:
            row.update({f"{g.quantity}_previous": _cell(g.previous), f"{g.quantity}_current": _cell(g.current),
                        f"{g.quantity}_delta": _cell(g.delta), f"{g.quantity}_per_year": _cell(g.per_year),
                        f"{g.quantity}_significant": "yes" if g.significant else ""})
        rows.append(row)
    return rows


def _cell(x: float | None) -> Any:
    return "" if x is None else round(float(x), 6)


def _defects_json(report: ChangeReport) -> str:
    uids = {c.finding_id: c.defect_uid for c in report.changes if c.finding_id}
    return json.dumps({"format": "skyinspect-defects", "version": 1, "uids": uids}, indent=1)


def _replace_all(texts: dict[Path, str], written: dict[Path, Callable[[Path], None]] | None = None) -> None:
    """Write every file to a temporary name beside it first, then move each into place: an error
    while writing leaves none of them changed. ``written``: path -> a writer of that file (change.gpkg)."""
    tmps: dict[Path, Path] = {}
    try:
        for path, write in (written or {}).items():
            tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")  # GDAL wants a .gpkg name
            tmp.unlink(missing_ok=True)  # a GeoPackage writer adds to a file already there
            tmps[path] = tmp
            write(tmp)
        for path, text in texts.items():
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text, encoding=SPREADSHEET_ENCODING if path.suffix == ".csv" else "utf-8")
            tmps[path] = tmp
        for path, tmp in tmps.items():
            os.replace(tmp, path)
    except BaseException as exc:
        for tmp in tmps.values():
            tmp.unlink(missing_ok=True)
        if not isinstance(exc, OSError) or isinstance(exc, RecordError):
            raise
        raise RecordError(describe(exc.filename or next(iter(texts)), f"cannot write the change products ({exc})",
                                   "Check that the folder is writable and has space")) from exc


def write_change(report: ChangeReport, current: Path) -> tuple[Path, Path]:
    """``change.json`` (the report) and ``defects.json`` (finding id -> defect uid) in ``current``."""
    current = Path(current)
    change, defects = current / "change.json", current / "defects.json"
    _replace_all({change: json.dumps(report.to_dict(), indent=1), defects: _defects_json(report)})
    return change, defects


def write_change_products(report: ChangeReport, out: Path, current: Path,
                          inspections: tuple[Inspection, Inspection] | None = None) -> dict[str, Path]:
    """``change.json`` and ``change.csv`` in ``out`` (created if needed) and ``defects.json`` in the
    current results folder ``current``, where the next comparison reads the defect uids from. With the
    two ``inspections`` compared (previous, current), ``change.gpkg`` too (change/gis.py)."""
    out, current = Path(out), Path(current)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordError(describe(out, f"cannot create the output folder ({exc})")) from exc
    paths = {"change.json": out / "change.json", "change.csv": out / "change.csv", "defects.json": current / "defects.json"}
    written: dict[Path, Callable[[Path], None]] = {}
    if inspections is not None:
        from groundstation.change.gis import write_change_gpkg

        paths["change.gpkg"] = out / "change.gpkg"
        written[paths["change.gpkg"]] = lambda tmp: write_change_gpkg(report, *inspections, tmp)
    _replace_all({paths["change.json"]: json.dumps(report.to_dict(), indent=1),
                  paths["change.csv"]: change_table_csv(report), paths["defects.json"]: _defects_json(report)},
                 written)
    return paths
