"""Cells of the CSV files skyinspect writes for people to open in a spreadsheet, and their encoding."""

from __future__ import annotations

import re
from typing import Any

# UTF-8 with a byte order mark. Excel opens a CSV double-clicked in the file manager as the system's
# ANSI code page (Windows-1252 in western Europe) unless it starts with the BOM, so 'Pfeiler Süd' showed
# as 'Pfeiler SÃ¼d'; LibreOffice's import dialog and Python's 'utf-8-sig' take the BOM as UTF-8 and
# drop it. A program reading with plain 'utf-8' gets '\ufeff' before the first column's name: read with
# 'utf-8-sig' (which reads a file without a BOM too) or use the JSON products.
SPREADSHEET_ENCODING = "utf-8-sig"


# What a spreadsheet takes for the start of a formula (OWASP "CSV Injection"): = + - @, and tab and carriage
# return, which Excel and LibreOffice skip before reading the rest ('\t=HYPERLINK(...)') as one.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell that is only a number ('-3.5', '+1e3') cannot carry a formula: quoting it made it text.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def csv_safe(v: Any) -> Any:
    """Spreadsheet formula injection guard: a text cell never starts with = + - @, tab or CR (numbers,
    and text that is only a number, stay as they are); for every CSV we write (work orders, the change
    table, segment's photo summary, the plan's flights), since a name taken from a file or a form
    ('=HYPERLINK(...).jpg') would otherwise run as a formula in Excel or LibreOffice."""
    if isinstance(v, str) and v[:1] in _FORMULA_STARTS and not _NUMBER.fullmatch(v):
        return "'" + v
    return v
