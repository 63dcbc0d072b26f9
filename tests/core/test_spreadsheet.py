"""The formula-injection guard every CSV skyinspect writes goes through (skyinspect.spreadsheet.csv_safe)."""

from __future__ import annotations

import csv
import io

import pytest

from skyinspect.spreadsheet import csv_safe


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)",
                                  "\t=HYPERLINK(\"http://x.example\")", "\r=1+1", "\tpier 3", "\rpier 3"])
def test_text_that_a_spreadsheet_could_run_is_quoted(text: str) -> None:
    """OWASP 'CSV Injection' lists tab (0x09) and carriage return (0x0D) beside = + - @: Excel and
    LibreOffice skip them and read the rest ('\\t=HYPERLINK(...)') as a formula. The guard had left
    cells starting with them as they were."""
    assert csv_safe(text) == "'" + text


@pytest.mark.parametrize("value", [-2, -3.5, 0, 12.25, "-3.5", "-2", "+1e3", "-.5", "pier 3", ""])
def test_numbers_and_plain_text_stay_as_they_are(value: object) -> None:
    """A number (or a cell that is only a number written as text, such as '-3.5') cannot carry a formula;
    quoting it would turn a negative number into text in the spreadsheet."""
    assert csv_safe(value) == value


def test_a_guarded_row_reads_back_whole() -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([csv_safe(v) for v in ("\t=1+1", -4.5, "a,b")])
    assert next(csv.reader(io.StringIO(buf.getvalue()))) == ["'\t=1+1", "-4.5", "a,b"]
