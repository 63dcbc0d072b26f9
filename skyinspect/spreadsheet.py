"""Cells of the CSV files skyinspect writes for people to open in a spreadsheet."""

from __future__ import annotations

from typing import Any


def csv_safe(v: Any) -> Any:
    """Spreadsheet formula injection guard: a text cell never starts with = + - @ (numbers stay numbers);
    for every CSV we write (work orders, the change table, segment's photo summary), since a name taken
    from a file or a form ('=HYPERLINK(...).jpg') would otherwise run as a formula in Excel or LibreOffice."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v
