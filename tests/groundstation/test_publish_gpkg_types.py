"""findings.gpkg: a column of numbers is a number column in QGIS even when no finding has a value.

geopandas types an all-empty column as text: a flight whose cracks all had a width interval (no
single value: the demo) wrote ``width_mm`` TEXT, so QGIS filtered ``"width_mm" > 0.3`` as text and
two flights' layers could not be merged (REAL in one, TEXT in the other)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gs_fixtures import face_surface

from groundstation.pipeline import process

NUMBER_COLUMNS = {
    "findings": ("score", "views", "lat", "lon", "alt_msl_m", "length_mm", "width_mm", "area_m2", "ce90_m",
                 "best_frame", "length_mm_sigma", "width_mm_sigma", "area_m2_sigma", "width_mm_low",
                 "width_mm_high", "le90_m", "gsd_mm", "priority", "chainage_m", "blade_radius_m"),
    "frames": ("frame_index", "gsd_mm", "range_m"),
    "crack_lines": ("length_mm", "lines"),
}


def _column_types(gpkg: Path, layer: str) -> dict[str, str]:
    with sqlite3.connect(gpkg) as con:
        return {row[1]: row[2] for row in con.execute(f'PRAGMA table_info("{layer}")')}


def test_number_columns_are_numbers_even_when_every_value_is_missing(tmp_path: Path, two_defect_flight) -> None:  # type: ignore[no-untyped-def]
    folder, _ = two_defect_flight
    out = tmp_path / "out"
    process(folder, out, face_surface(), progress=False)  # no registry: chainage_m, blade_radius_m all empty
    gpkg = out / "findings.gpkg"
    layers = dict(NUMBER_COLUMNS, findings_utm=NUMBER_COLUMNS["findings"])
    for layer, columns in layers.items():
        types = _column_types(gpkg, layer)
        wrong = {c: types.get(c) for c in columns if types.get(c) not in ("REAL", "INTEGER", "MEDIUMINT")}
        assert not wrong, f"{layer}: {wrong}"
    with sqlite3.connect(gpkg) as con:  # the empty ones are empty (NULL), not 0 or "None"
        assert {r[0] for r in con.execute('SELECT chainage_m FROM findings')} == {None}
