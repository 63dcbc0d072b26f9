"""Every product says what a finding's altitude is measured from: map.html and findings.kml read
"494.92 m MSL", report.pdf and the report's phone cards only "494.92 m" (above the ellipsoid, the
ground, the take-off point?)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from gs_fixtures import face_surface

from groundstation.pipeline import process


def test_the_report_gives_each_position_in_metres_msl(tmp_path: Path, two_defect_flight) -> None:  # type: ignore[no-untyped-def]
    folder, _ = two_defect_flight
    out = tmp_path / "out"
    process(folder, out, face_surface(), progress=False)
    cells = re.findall(r"<td>(-?\d+\.\d{7}, -?\d+\.\d{7}, -?\d+\.\d{2} m[^<]*)</td>", unescape((out / "report.html").read_text()))
    assert len(cells) == 2 and all(c.endswith(" m MSL") for c in cells), cells
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils): PDF text not checked")
    text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    positions = re.findall(r"position \(lat, lon WGS84; alt m MSL\): .*", text)
    assert len(positions) == 2 and all(p.rstrip().endswith(" m MSL") for p in positions), positions


def test_the_pdf_names_itself(tmp_path: Path, two_defect_flight) -> None:  # type: ignore[no-untyped-def]
    """report.pdf had no Title: a document system or a PDF viewer's tab showed 'report.pdf' for every
    inspection's report."""
    folder, _ = two_defect_flight
    out = tmp_path / "out"
    process(folder, out, face_surface(), progress=False)
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo not installed (apt-get install poppler-utils)")
    info = subprocess.run(["pdfinfo", str(out / "report.pdf")], capture_output=True, text=True, check=True).stdout
    title = re.search(r"^Title:\s+(.*)$", info, re.M)
    assert title and title.group(1).startswith("Inspection report") and folder.name in title.group(1)
    assert re.search(r"^Creator:\s+skyinspect", info, re.M)
