"""report.pdf never leaves a section heading alone at the foot of a page.

Found on the demo (`skyinspect demo`, 16 findings): page 1 ended with the bold "Prioritised actions"
heading and nothing under it; its 16 actions began at the top of page 2, so a planner printing page 1
read a heading over an empty space."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from groundstation.publish.report_pdf import _heading, _new_pdf


def _page_texts(path: Path) -> list[str]:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


@pytest.mark.parametrize("room_mm", [1.0, 8.0, 14.0, 18.0])
def test_a_heading_near_the_foot_starts_the_next_page_with_its_first_line(tmp_path: Path, room_mm: float) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    pdf = _new_pdf()
    pdf.add_page()
    pdf.set_font("helvetica", "", 9)
    pdf.set_y(pdf.page_break_trigger - room_mm)  # as the flight summary and the elevation had left it
    _heading(pdf, "Prioritised actions")
    pdf.set_font("helvetica", "", 9)
    for i in range(3):
        pdf.multi_cell(0, 5, f"P2  F-000{i}  CS3  due 2025-08-31: seal", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "r.pdf"))
    pages = _page_texts(tmp_path / "r.pdf")
    at = next(i for i, p in enumerate(pages) if "Prioritised actions" in p)
    assert "F-0000" in pages[at], f"heading on page {at + 1}, its first line on the next"


def test_a_heading_with_room_stays_on_its_page() -> None:
    pdf = _new_pdf()
    pdf.add_page()
    pdf.set_font("helvetica", "", 9)
    pdf.set_y(pdf.page_break_trigger - 40)
    _heading(pdf, "Data quality")
    assert pdf.page == 1
