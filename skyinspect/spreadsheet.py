"""Cells of the CSV files skyinspect writes for people to open in a spreadsheet, and their encoding."""

from __future__ import annotations

from typing import Any

# UTF-8 with a byte order mark. Excel opens a CSV double-clicked in the file manager as the system's
# ANSI code page (Windows-1252 in western Europe) unless it starts with the BOM, so 'Pfeiler Süd' showed
# as 'Pfeiler SÃ¼d'; LibreOffice's import dialog and Python's 'utf-8-sig' take the BOM as UTF-8 and
# drop it. A program reading with plain 'utf-8' gets '\ufeff' before the first column's name: read with
# 'utf-8-sig' (which reads a file without a BOM too) or use the JSON products.
SPREADSHEET_ENCODING = "utf-8-sig"


def csv_safe(v: Any) -> Any:
    """Spreadsheet formula injection guard: a text cell never starts with = + - @ (numbers stay numbers);
    for every CSV we write (work orders, the change table, segment's photo summary), since a name taken
    from a file or a form ('=HYPERLINK(...).jpg') would otherwise run as a formula in Excel or LibreOffice."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v
