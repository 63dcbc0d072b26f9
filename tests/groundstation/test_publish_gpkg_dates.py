"""findings.gpkg's due_date is a GeoPackage DATE (declared DATE, stored as ISO text), so QGIS shows it as
a date, filters it with date expressions and sorts it by date, as GDAL reads it back.

Before, every findings layer declared due_date TEXT: GDAL (and QGIS) read a string field."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

pyogrio = pytest.importorskip("pyogrio")

FINDING_LAYERS = ("findings", "findings_utm", "face_findings")


def _declared(gpkg: Path, layer: str, column: str) -> str:
    with sqlite3.connect(gpkg) as con:
        return {r[1]: r[2] for r in con.execute(f'PRAGMA table_info("{layer}")')}[column]


@pytest.mark.parametrize("layer", FINDING_LAYERS)
def test_due_date_is_a_date_field(face_processed: tuple[Any, Path], layer: str) -> None:
    _, out = face_processed
    gpkg = out / "findings.gpkg"
    assert _declared(gpkg, layer, "due_date") == "DATE"
    info = pyogrio.read_info(gpkg, layer=layer)
    dtypes = dict(zip(info["fields"], info["dtypes"]))
    assert dtypes["due_date"].startswith("datetime64")  # GDAL's OFTDate; a TEXT column reads 'object'
    # the same days as findings.geojson gives, every finding graded with a due date
    due = {f["properties"]["finding_id"]: f["properties"]["due_date"]
           for f in json.loads((out / "findings.geojson").read_text())["features"]}
    assert due and all(due.values())
    gdf = pyogrio.read_dataframe(gpkg, layer=layer)
    assert {fid: d.date().isoformat() for fid, d in zip(gdf["finding_id"], gdf["due_date"])} == due
    with sqlite3.connect(gpkg) as con:  # stored as the spec's ISO text, as before
        assert {r[0] for r in con.execute(f'SELECT typeof(due_date) FROM "{layer}"')} == {"text"}
