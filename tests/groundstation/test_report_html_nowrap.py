"""report.html does not break a finding id, a due date or a rule id across lines.

Found in the demo's report.html in chromium at 1280 px: the 12-column findings table squeezed its id
column, so "F-0001" read "F-" over "0001" (and "F-0003-J" over three lines), the actions table wrote
"F-0003-" over "J" and due dates "2025-" over "08-31", and grades "CS2 (aashto-" over "mbei-1130@2)":
an id a planner searches for, and a rule id, no longer read as one word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from test_publish_map_popups import _offline_page

# every word of the cells that hold an id, a grade or a due date, and on how many lines it lies
_CELLS = ("table.findings tr[id] td:first-child, table.findings td:nth-child(11), table.actions td:nth-child(2), "
          "table.actions td:nth-child(3), table.actions td:nth-child(5)")
_LINES = """cells => [...document.querySelectorAll(cells)].flatMap(td => {
  const out = [], w = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
  for (let t = w.nextNode(); t; t = w.nextNode()) for (const m of t.textContent.matchAll(/\\S+/g)) {
    const r = document.createRange(); r.setStart(t, m.index); r.setEnd(t, m.index + m[0].length);
    out.push([m[0], new Set([...r.getClientRects()].map(q => Math.round(q.top))).size]); }
  return out; })"""


@pytest.mark.parametrize("width_px", [1024, 1280])
def test_ids_dates_and_grades_are_not_broken_across_lines(face_processed: tuple[Any, Path], width_px: int) -> None:
    report = face_processed[1] / "report.html"
    with _offline_page(viewport={"width": width_px, "height": 800}) as page:
        page.goto(report.as_uri())
        cells = page.evaluate(_LINES, _CELLS)
        wide = page.evaluate("document.documentElement.scrollWidth")
    words = {text for text, _ in cells}
    assert {"F-0001", "F-0002", "(aashto-mbei-1130@2)"} <= words, words  # two findings, their grades, actions
    broken = [(text, n) for text, n in cells if n > 1]
    assert not broken, broken
    if width_px >= 1280:  # a laptop's width: kept whole, nothing runs off the page (at 1024 the table did before)
        assert wide <= width_px
