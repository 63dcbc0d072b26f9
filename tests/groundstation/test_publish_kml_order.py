"""findings.kml keeps the KML 2.2 schema's order in its Document: every Style before the first Folder.

ogckml22.xsd builds a Document as the Feature's own elements (styles among them), then its Schemas,
then its Features (Folders, Placemarks). The crack lines' Style was appended after the findings
Folder: a file that does not validate against the schema, though lenient readers (GDAL's KML driver)
read it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from gs_fixtures import face_surface

from groundstation.pipeline import process

KML = "{http://www.opengis.net/kml/2.2}"


def test_every_style_comes_before_the_first_folder(tmp_path: Path, two_defect_flight) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    process(two_defect_flight[0], out, face_surface(), progress=False)
    doc = ET.parse(out / "findings.kml").getroot().find(f"{KML}Document")
    tags = [child.tag.replace(KML, "") for child in doc]
    assert tags.count("Folder") == 2 and "crack-line" in {s.get("id") for s in doc.iter(f"{KML}Style")}, tags
    first_folder = tags.index("Folder")
    assert "Style" not in tags[first_folder:], tags
    assert tags[:2] == ["name", "description"]
