"""findings.gpkg of a flight that found nothing: its layers keep the columns and types of any other.

A clean inspection (a sound pier) wrote ``findings`` with every column REAL, ``finding_id``,
``class``, ``grade`` and ``due_date`` included, and without the measurement notes, ``joint_note``
and the review columns; ``face_findings`` had only ``finding_id`` (REAL), ``crack_lines`` a REAL
``finding_id``. An asset database started from that flight's layers (ogr2ogr -append, QGIS "Merge
vector layers") then took the next flight's "F-0001" into a number column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gs_fixtures import face_flight, face_surface

from groundstation.pipeline import process

LAYERS = ("findings", "findings_utm", "face_findings", "crack_lines", "frames", "face_frames")


def _kinds(gpkg: Path) -> dict[str, list[tuple[str, str]]]:
    """layer -> [(column, 'number' | type)] in table order (REAL / INTEGER as one kind: an integer
    column with a missing value is REAL in any flight)."""
    out = {}
    with sqlite3.connect(gpkg) as con:
        for layer in LAYERS:
            cols = [(r[1], r[2]) for r in con.execute(f'PRAGMA table_info("{layer}")') if r[1] not in ("fid", "geom")]
            out[layer] = [(c, "number" if t in ("REAL", "INTEGER", "MEDIUMINT") else t) for c, t in cols]
    return out


def test_a_flight_without_findings_writes_the_same_columns_and_types(tmp_path: Path,
                                                                       two_defect_flight) -> None:  # type: ignore[no-untyped-def]
    found = tmp_path / "found"
    process(two_defect_flight[0], found, face_surface(), progress=False)
    clean = tmp_path / "clean"
    process(face_flight(tmp_path / "clean_flight", []), clean, face_surface(), progress=False)

    want, got = _kinds(found / "findings.gpkg"), _kinds(clean / "findings.gpkg")
    assert dict(want["findings"])["finding_id"] == "TEXT" and dict(want["crack_lines"])["finding_id"] == "TEXT"
    for layer in LAYERS:
        assert got[layer] == want[layer], layer
    with sqlite3.connect(clean / "findings.gpkg") as con:  # and they are empty
        assert con.execute("SELECT count(*) FROM findings").fetchone() == (0,)
