"""change.gpkg: layer ``changes``, one row per defect of change.csv (same columns, same order), drawn as
the current finding's outline, or last time's for a defect with no finding this time (not re-observed),
in WGS84, so an asset engineer filters and styles the change in QGIS. Written with findings.gpkg's layer
writer (publish/gis.py: numbers as numbers, dates as GeoPackage DATEs, outlines valid from above)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from groundstation.change.model import TABLE_COLUMNS, ChangeReport, Inspection
from skyinspect.findings import Finding

LAYER = "changes"
TEXT_COLUMNS = ("defect_uid", "status", "class", "finding_id", "previous_finding_id", "previous_grade",
                "current_grade", "escalated", "note", "location", "face", "reference", "side", "clock",
                "previous_results", "current_results")
CHANGE_DATE_COLUMNS = ("previous_date", "current_date")


def _is_text(column: str) -> bool:
    """Held as a string: the text columns, and the dates as ISO text (write_layer declares them DATE)."""
    return column in TEXT_COLUMNS or column in CHANGE_DATE_COLUMNS or column.endswith("_significant")


def _value(column: str, cell: Any) -> Any:
    """change.csv's ``cell`` as the layer holds it: None for an empty cell, numbers as floats."""
    if cell is None or cell == "":
        return None
    return str(cell) if _is_text(column) else float(cell)


def change_layer(report: ChangeReport, previous: Inspection, current: Inspection) -> Any:
    """The ``changes`` GeoDataFrame: change.csv's rows (output.table_rows) with each defect's outline."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import Polygon

    from groundstation.change.output import table_rows
    from groundstation.publish.gis import outline_ring, plan_polygon

    now = {f.finding_id: f for f in current.findings}
    before = {f.finding_id: f for f in previous.findings}

    def outline(f: Finding | None) -> Any:
        return plan_polygon(Polygon(outline_ring(f))) if f is not None and len(f.outline_wgs84) >= 3 else None

    geoms = [outline(now.get(c.finding_id or "") or before.get(c.previous_finding_id or ""))
             for c in report.changes]
    rows = table_rows(report)
    data = {col: pd.Series([_value(col, r.get(col, "")) for r in rows],
                           dtype=object if _is_text(col) else "float64")
            for col in TABLE_COLUMNS}
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=4326))


def write_change_gpkg(report: ChangeReport, previous: Inspection, current: Inspection, path: Path) -> None:
    """Layer ``changes`` into a new GeoPackage ``path`` (output.write_change_products writes it under a
    temporary name and moves it into place with change.json and change.csv)."""
    from pyogrio.errors import DataLayerError, DataSourceError

    from groundstation.publish.gis import write_layer
    from skyinspect.errors import RecordError, describe

    note = {"DESCRIPTION": f"change {report.previous_date} -> {report.current_date} of asset "
                           f"{report.asset_id or '-'}: outlines this time's, last time's where not re-observed; "
                           "z: metres above mean sea level as each flight's telemetry gave it"}
    layer = change_layer(report, previous, current)
    try:
        write_layer(layer, path, LAYER, "Polygon Z", note, date_columns=CHANGE_DATE_COLUMNS)
    except (DataSourceError, DataLayerError) as exc:  # GDAL's own errors (a full disk) are not OSErrors
        raise RecordError(describe(path, f"cannot write the change GeoPackage ({exc})",
                                   "Check that the folder is writable and has space")) from exc
