"""report.pdf says "no image" when a finding has no picture, as report.html and map.html do.

Found republishing the demo's results with its flight's images moved away: each card of report.pdf had
an empty 35 mm square where the crop goes and nothing saying why, read as a rendering fault."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from groundstation.publish.report import ReportRow
from groundstation.publish.report_pdf import _finding_card, _new_pdf


def test_a_card_without_a_crop_says_there_is_no_image(tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    row = ReportRow("F-0001", "crack", "47.3978957, 8.5457931, 494.92 m MSL", "414.2 +/- 35.4 mm", "-", "-",
                    "0.05 m", "9 (best: frame 55)", None)
    pdf = _new_pdf()
    pdf.add_page()
    _finding_card(pdf, row, None)
    pdf.output(str(tmp_path / "r.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "no image" in text, text
