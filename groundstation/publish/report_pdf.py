"""report.pdf (fpdf2) from the same facts as report.html (``report``).

The PDF uses fpdf2's core Helvetica, which covers Latin-1 only; every string goes through
``pdf_text`` which writes ASCII stand-ins (+/-, m2, deg) so no glyph is ever missing.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from groundstation.publish.context import PublishInput, flight_date
from groundstation.publish.report import (METHODS, POSITION_LABEL, ReportRow, action_list, component_condition,
                                          component_coverage, data_quality, model_text, no_findings_text, report_rows,
                                          summary_facts)

_ASCII = {"±": "+/-", "²": "2", "³": "3", "°": " deg", "×": "x", "µ": "u", "–": "-", "—": "-", "…": "...",
          "’": "'", "‘": "'", "“": '"', "”": '"', "≤": "<=", "≥": ">=", "σ": "sigma"}


_LETTERS = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i", "Œ": "OE", "œ": "oe"}


def pdf_text(s: str) -> str:
    """Latin-1 text for the core PDF font, which has those glyphs (ASCII-only had made a flight folder
    'Brücke Süd' read 'Br?cke S?d'); other characters become '?'."""
    import unicodedata

    for k, v in _ASCII.items():
        s = s.replace(k, v)
    # a letter outside Latin-1 without its accent (a reviewer 'Łukasz Żak' had read '?ukasz ?ak'); '?' for the rest
    return "".join(c if ord(c) < 256 else _LETTERS.get(c) or "".join(
        d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d)) or "?" for c in s
    ).encode("latin-1", "replace").decode("latin-1")


def write_pdf(inp: PublishInput, path: Path, schematic_png: Path, crops: dict[str, bytes | None]) -> None:
    from groundstation.publish.reviewed import rejected_rows

    pdf = _new_pdf()
    day = flight_date(inp)  # a document system or a viewer's tab had shown 'report.pdf' for every report
    pdf.set_title(f"Inspection report {inp.asset_id or inp.flight.folder.name} {day}".strip())
    pdf.set_creator("skyinspect")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.multi_cell(0, 9, pdf_text(f"Inspection report: {inp.flight.folder.name}"), new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Flight summary")
    pdf.set_font("helvetica", "", 10)
    for k, v in summary_facts(inp):
        pdf.cell(65, 6, pdf_text(k))
        pdf.multi_cell(0, 6, pdf_text(v), new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Surface with findings" if inp.findings else "Surface")  # a drawing of none, as report.html
    pdf.image(str(schematic_png), w=pdf.epw)
    # the summary before the cards, as report.html: after them a planner found it on the last pages
    condition, actions = (component_condition(inp), action_list(inp)) if inp.grades else ([], [])
    if condition:  # as report.html: no empty headings (every finding rejected in review)
        _heading(pdf, "Condition per component")
        pdf.set_font("helvetica", "", 9)
        coverage = component_coverage(inp)
        for comp, grade, src, n in condition:
            seen = f"; {coverage[comp]}" if comp in coverage else ""
            pdf.multi_cell(0, 5, pdf_text(f"{comp}: {grade}, {n} finding(s){seen}. {src}"), new_x="LMARGIN",
                           new_y="NEXT")
    if actions:
        _heading(pdf, "Prioritised actions")
        pdf.set_font("helvetica", "", 9)  # the heading's bold 13 pt had carried over into the list
        for p, fid, grade, action, due in actions:
            pdf.multi_cell(0, 5, pdf_text(f"P{p}  {fid}  {grade}  due {due or '-'}: {action}"),
                           new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    _heading(pdf, "Findings")
    measure = _new_pdf()  # a page to measure cards on
    measure.add_page()
    for r in report_rows(inp, crops):
        crop = crops.get(r.finding_id)
        if _card_would_break(pdf, r, crop, measure):  # a finding's card is never split across two pages
            pdf.add_page()
        _finding_card(pdf, r, crop)
    if not inp.findings:
        pdf.set_font("helvetica", "", 10)
        pdf.multi_cell(0, 6, pdf_text(no_findings_text(inp)), new_x="LMARGIN", new_y="NEXT")
    rejected = rejected_rows(inp)  # groundstation.publish.reviewed, as report.html's section
    if rejected:
        _heading(pdf, "Rejected in review")
        pdf.set_font("helvetica", "", 9)
        pdf.multi_cell(0, 5, pdf_text("Not defects by the reviewer's decision: left out of the findings, the condition "
                                      "per component, the actions and the work orders."), new_x="LMARGIN", new_y="NEXT")
        for fid, cls, pos, by, why in rejected:
            pdf.multi_cell(0, 5, pdf_text(f"{fid}  {cls}  {pos}: rejected by {by}: {why}"), new_x="LMARGIN",
                           new_y="NEXT")
    pdf.add_page()
    _heading(pdf, "Appendix: methods")
    for name, text in METHODS:
        pdf.set_font("helvetica", "B", 10)
        pdf.cell(0, 6, pdf_text(name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", "", 9)
        pdf.multi_cell(0, 5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Data quality")
    pdf.set_font("helvetica", "", 9)
    for line in data_quality(inp):
        pdf.multi_cell(0, 5, pdf_text(line), new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Model")
    pdf.set_font("helvetica", "", 9)
    pdf.multi_cell(0, 5, pdf_text(model_text(inp)), new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def _new_pdf() -> Any:
    """The report's page layout (the scratch page of ``_card_would_break`` must match it)."""
    from fpdf import FPDF

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(True, margin=15)
    return pdf


def _card_would_break(pdf: Any, r: ReportRow, crop: bytes | None, measure: Any = None) -> bool:
    """Whether the card, drawn from the current y, would run past the page, as fpdf2's own test
    (``offset_rendering``, which deep-copied the whole document per card: quadratic) answers. It is
    worked out from the card's line count, not by drawing the card on a scratch page: that put every
    card's text through fpdf2's line breaking twice (8 of report.pdf's 20 s at 864 findings). A line
    that plainly fits its width is one line; only a longer one is broken (dry run). ``measure``: a
    page laid out like ``pdf`` to measure on (made here when None)."""
    if measure is None:
        measure = _new_pdf()
        measure.add_page()
    measure.set_font("helvetica", "", 9)
    measure.set_x(measure.l_margin + 40)
    room = measure.w - measure.r_margin - measure.x - 2 * measure.c_margin
    trigger, y0 = pdf.page_break_trigger, pdf.get_y()
    y = y0
    # as the card's cells advance y, each checking for a page break before it is drawn
    # most findings share a few grading clauses, long enough to wrap: each is broken into lines once
    counts: dict[tuple[str, float], int] = measure.__dict__.setdefault("_skyinspect_line_counts", {})
    for text in _card_lines(r):
        if (text, room) not in counts:
            counts[(text, room)] = _lines(measure, text, room)
    for h in [6.0] + [5.0] * sum(counts[(text, room)] for text in _card_lines(r)):
        if y + h > trigger:
            return True
        y += h
    return max(y, y0 + 37) + 3 > trigger


def _fits(pdf: Any, text: str, room: float) -> bool:
    """Whether ``text`` plainly fits on one line ``room`` mm wide in the current font."""
    return "\n" not in text and pdf.get_string_width(text) < room - 0.01


def _lines(pdf: Any, text: str, room: float) -> int:
    if _fits(pdf, text, room):
        return 1
    return len(pdf.multi_cell(0, 5, text, dry_run=True, output="LINES"))


def _card_lines(r: ReportRow) -> list[str]:
    """The card's lines beside the crop (one multi_cell each)."""
    return [pdf_text(f"{k}: {v}") for k, v in (
        (POSITION_LABEL, r.position), ("length", r.length), ("width", r.width), ("area", r.area), ("CE90", r.ce90),
        ("views", r.views), ("component", r.component), ("grade", r.grade), ("clause", r.clause),
        ("also graded", r.other_grades), ("check", r.check), ("review", r.review))
        if v != "-"]  # not applicable to this class (e.g. length of corrosion)


def _finding_card(pdf: Any, r: ReportRow, crop: bytes | None) -> None:
    """One finding: its crop on the left, its facts beside it."""
    y0 = pdf.get_y()
    if crop:
        pdf.image(io.BytesIO(crop), x=pdf.l_margin, y=y0, w=35, h=35, keep_aspect_ratio=True)
    else:  # as report.html: an empty square had read as a rendering fault (the flight's images moved away)
        pdf.set_xy(pdf.l_margin, y0 + 2)
        pdf.set_font("helvetica", "I", 8)
        pdf.cell(35, 4, "no image", align="C")  # one cell: no line breaking (test_report_scale)
    pdf.set_xy(pdf.l_margin + 40, y0)
    pdf.set_font("helvetica", "B", 11)
    pdf.cell(0, 6, pdf_text(f"{r.finding_id}  {r.class_name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 9)
    for line in _card_lines(r):
        pdf.set_x(pdf.l_margin + 40)
        room = pdf.w - pdf.r_margin - pdf.x - 2 * pdf.c_margin
        # a line that fits is one cell (the same bytes): fpdf2's line breaking measures the line again
        # for each character, half of report.pdf's time at 864 findings for lines that never wrap
        if _fits(pdf, line, room):
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), y0 + 37) + 3)


def _heading(pdf: object, text: str, keep_mm: float = 10.0) -> None:
    """A section heading, kept with the first ``keep_mm`` of what follows it: on the demo it had ended
    page 1 ("Prioritised actions") with its list starting on page 2."""
    if pdf.get_y() + 3 + 8 + keep_mm > pdf.page_break_trigger:  # type: ignore[attr-defined]
        pdf.add_page()  # type: ignore[attr-defined]
    else:
        pdf.ln(3)  # type: ignore[attr-defined]
    pdf.set_font("helvetica", "B", 13)  # type: ignore[attr-defined]
    pdf.cell(0, 8, pdf_text(text), new_x="LMARGIN", new_y="NEXT")  # type: ignore[attr-defined]
