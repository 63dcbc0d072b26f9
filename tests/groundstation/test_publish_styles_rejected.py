"""findings.gpkg's ``rejected`` layer opens in QGIS with a style of its own, not a random colour.

Every other layer carries its QGIS style in ``layer_styles``; the findings rejected in review had
none, so QGIS drew them in whatever colour it drew at random (crack red among them), over or beside
the findings kept."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

from gs_fixtures import face_surface

from groundstation.pipeline import process
from groundstation.publish.qgis_styles import INDETERMINATE_COLOUR_HEX
from groundstation.republish import publish_reviewed
from groundstation.review.audit import AuditLog


def test_rejected_findings_layer_is_styled_grey_outline(tmp_path: Path, two_defect_flight) -> None:  # type: ignore[no-untyped-def]
    results = tmp_path / "results"
    process(two_defect_flight[0], results, face_surface(), progress=False)
    with sqlite3.connect(results / "findings.gpkg") as con:
        rust = con.execute("SELECT finding_id FROM findings WHERE class = 'corrosion'").fetchone()[0]
    AuditLog(results / "review" / "audit.jsonl").append("ada", "reject", rust, comment="a stain")
    publish_reviewed(results)
    with sqlite3.connect(results / "findings.gpkg") as con:
        assert con.execute("SELECT finding_id FROM rejected").fetchall() == [(rust,)]
        rows = con.execute("SELECT styleQML, useAsDefault, f_geometry_column FROM layer_styles "
                           "WHERE f_table_name = 'rejected'").fetchall()
    assert len(rows) == 1 and rows[0][1:] == (1, "geom")
    layer = ET.fromstring(rows[0][0].split("\n", 1)[1]).find("renderer-v2/symbols/symbol/layer")
    props = {p.get("k"): p.get("v") for p in layer.iter("prop")}
    grey = ",".join(str(int(INDETERMINATE_COLOUR_HEX[i:i + 2], 16)) for i in (1, 3, 5))
    assert props["outline_color"].startswith(grey) and props["style"] == "no"
