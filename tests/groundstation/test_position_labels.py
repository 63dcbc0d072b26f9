"""Which number of a position is latitude and which longitude: report.html's table header said
"position (lat, lon, alt MSL)", but report.pdf's finding cards, the report's phone cards and
workorders.csv's column said only "position" over "47.3978957, 8.5457931, 494.92"."""

from __future__ import annotations

import csv
import io

from groundstation.publish.report import _CARDS, ReportRow
from groundstation.publish.report_pdf import _card_lines
from groundstation.workorders import CSV_COLUMNS, WorkOrder, work_orders_csv

LABEL = "position (lat, lon WGS84; alt m MSL)"


def test_the_pdf_and_phone_cards_say_which_is_latitude() -> None:
    row = ReportRow("F-0001", "crack", "47.3978957, 8.5457931, 494.92 m MSL", "-", "-", "-", "-", "-", None)
    assert _card_lines(row)[0] == f"{LABEL}: 47.3978957, 8.5457931, 494.92 m MSL"
    assert _CARDS["findings"][3] == LABEL


def test_the_work_orders_csv_column_says_which_is_latitude() -> None:
    order = WorkOrder("WO-1", "A1", "pier", "P1", "F-0001", "crack", "CS3", "r", "c", 2, "2025-08-31", "act",
                      "desc", "47.3978957,8.5457931,494.92")
    rows = list(csv.reader(io.StringIO(work_orders_csv([order]))))
    i = CSV_COLUMNS.index("position")  # the same column, in the same place: readers by position keep working
    assert rows[0][i] == LABEL and rows[1][i] == "47.3978957,8.5457931,494.92"
    assert rows[0][:i] == list(CSV_COLUMNS[:i]) and rows[0][i + 1:] == list(CSV_COLUMNS[i + 1:])


def test_the_report_html_findings_header_uses_the_same_label() -> None:
    """report.html's findings table header had kept "position (lat, lon, alt MSL)" after the cards and the CSV
    said LABEL: one position, two wordings of which number is which."""
    import re

    import jinja2

    from groundstation.publish.report import _HTML, keep_words

    env = jinja2.Environment(autoescape=True)
    env.filters["keep_words"] = keep_words
    html = env.from_string(_HTML).render(rows=[], methods=[], quality=[], rejected=[])
    header = re.search(r'<table class="stack findings"><tr>(.*?)</tr>', html, re.S)
    assert header is not None, html
    cells = re.findall(r"<th>(.*?)</th>", header.group(1), re.S)
    assert cells[3] == LABEL, cells
    assert "alt MSL)" not in html
