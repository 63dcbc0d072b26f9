"""findings.gpkg's "by class" QGIS style colours a relabelled finding as the reviewer's class.

map.html, findings.kml and the report draw a finding relabelled in the review app in its new class's
colour (docs/maintenance.md); the GeoPackage's "by class" style was categorised on ``class``, the
class as found, so QGIS drew a rust patch relabelled crack orange while the map drew it red."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

from gs_fixtures import face_surface

from groundstation.pipeline import process
from groundstation.republish import publish_reviewed
from groundstation.review.audit import AuditLog


def _styled_value(gpkg: Path, table: str, finding_id: str) -> tuple[str, set[str]]:
    """(the value the "by class" style reads on ``finding_id``, the style's category values)."""
    with sqlite3.connect(gpkg) as con:
        qml = con.execute("SELECT styleQML FROM layer_styles WHERE f_table_name = ? AND styleName = 'by class'",
                          (table,)).fetchone()[0]
        renderer = ET.fromstring(qml.split("\n", 1)[1]).find("renderer-v2")
        attr = renderer.get("attr")
        value = con.execute(f'SELECT "{attr}" FROM "{table}" WHERE finding_id = ?', (finding_id,)).fetchone()[0]
    return value, {c.get("value") for c in renderer.iter("category")}


def test_by_class_style_reads_the_reviewers_class(tmp_path: Path, two_defect_flight) -> None:  # type: ignore[no-untyped-def]
    results = tmp_path / "results"
    process(two_defect_flight[0], results, face_surface(), progress=False)
    with sqlite3.connect(results / "findings.gpkg") as con:
        rust = con.execute("SELECT finding_id FROM findings WHERE class = 'corrosion'").fetchone()[0]
    AuditLog(results / "review" / "audit.jsonl").append("ada", "relabel", rust, label="crack")
    publish_reviewed(results)
    for table in ("findings", "findings_utm", "face_findings"):
        value, categories = _styled_value(results / "findings.gpkg", table, rust)
        assert value == "crack" and "crack" in categories, (table, value)
