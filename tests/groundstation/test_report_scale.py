"""report.pdf at inspection scale: placing a finding's card must not copy the whole document.

fpdf2's ``offset_rendering`` deep-copies the document before and after each look-ahead, so a report
of 864 findings spent most of its 42 s publish stage there (quadratic in findings). The look-ahead
now draws the card on a one-page scratch document; these tests hold it to fpdf2's own answer.
"""

from __future__ import annotations

import numpy as np
import pytest

from groundstation.publish import report_pdf as report


def _row(clause_words: int) -> report.ReportRow:
    return report.ReportRow("F-0001", "crack", "47.1, 8.5", "100 mm", "1 mm", "0.1 m2", "0.05 m", "3", None,
                            "CS2", "a clause that runs long " * clause_words, "other grade")


def _write_pdf_of(rows: list[report.ReportRow], tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """write_pdf with ``rows`` as the finding cards: the other sections' facts stubbed out, a stand-in
    input with no findings, grades or date."""
    import cv2

    from groundstation.publish.context import PublishInput

    monkeypatch.setattr(report, "report_rows", lambda _inp, _crops: rows)
    for name, value in (("summary_facts", []), ("data_quality", []), ("model_text", ""),
                        ("no_findings_text", ""), ("flight_date", "")):
        monkeypatch.setattr(report, name, lambda _inp, v=value: v)
    png = tmp_path / "schematic.png"
    cv2.imwrite(str(png), np.full((20, 40, 3), 255, np.uint8))

    class Flight:
        folder = tmp_path
        frames = ()  # no date (the PDF's title has one since c5e0784)

    inp = PublishInput.__new__(PublishInput)
    object.__setattr__(inp, "flight", Flight())
    object.__setattr__(inp, "asset_id", None)
    for name in ("findings", "grades"):
        object.__setattr__(inp, name, ())
    report.write_pdf(inp, tmp_path / "r.pdf", png, {})


@pytest.mark.parametrize("clause_words", [0, 5, 40, 200])
def test_card_look_ahead_agrees_with_fpdf_offset_rendering(clause_words: int) -> None:
    row = _row(clause_words)
    for y in np.linspace(10.0, 290.0, 57):
        pdf = report._new_pdf()
        pdf.add_page()
        pdf.set_y(float(y))
        with pdf.offset_rendering() as dummy:  # fpdf2's own test, the one the report used before
            report._finding_card(dummy, row, None)
        assert report._card_would_break(pdf, row, None) == dummy.page_break_triggered, f"y={y}"


def test_write_pdf_never_copies_the_document(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No look-ahead through fpdf2's recorder (a deep copy of every page so far, per card)."""
    from fpdf.recorder import FPDFRecorder

    calls = []
    real = FPDFRecorder.__init__
    monkeypatch.setattr(FPDFRecorder, "__init__", lambda self, *a, **k: (calls.append(1), real(self, *a, **k))[1])
    _write_pdf_of([_row(i % 7) for i in range(60)], tmp_path, monkeypatch)
    assert calls == []


def test_write_pdf_lays_each_card_out_once(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The look-ahead measured each card by drawing it on a scratch page, so every card's text went
    through fpdf2's line breaking twice (8 of the 20 s of report.pdf at 864 findings)."""
    rows = [_row(i % 7 * 9) for i in range(60)]
    drawn = []
    real = report._finding_card
    monkeypatch.setattr(report, "_finding_card", lambda pdf, r, crop: (drawn.append(r), real(pdf, r, crop))[1])
    _write_pdf_of(rows, tmp_path, monkeypatch)
    assert len(drawn) == len(rows)


@pytest.mark.parametrize("clause_words", [0, 40])
def test_only_a_card_line_that_does_not_fit_goes_through_line_breaking(clause_words: int, monkeypatch) -> None:
    """fpdf2's line breaking measures the line again for every character (quadratic in its length);
    a card's lines (position, length, grade...) are short but each went through it: half of
    report.pdf's time at 864 findings. A line that fits is written as one cell, the same PDF bytes."""
    from fpdf import line_break

    broken = []
    real = line_break.MultiLineBreak.__init__
    monkeypatch.setattr(line_break.MultiLineBreak, "__init__",
                        lambda self, *a, **k: (broken.append(1), real(self, *a, **k))[1])
    pdf = report._new_pdf()
    pdf.add_page()
    for _ in range(10):
        report._finding_card(pdf, _row(clause_words), None)
    assert len(broken) == (10 if clause_words else 0)


def test_a_clause_many_cards_share_is_broken_into_lines_once_for_the_look_ahead(monkeypatch) -> None:
    """Most findings share a handful of grading clauses, each long enough to wrap: the look-ahead broke
    the same clause into lines again for every card (4 of report.pdf's 12 s under cProfile at 864)."""
    from fpdf import line_break

    broken = []
    real = line_break.MultiLineBreak.__init__
    monkeypatch.setattr(line_break.MultiLineBreak, "__init__",
                        lambda self, *a, **k: (broken.append(1), real(self, *a, **k))[1])
    pdf, measure = report._new_pdf(), report._new_pdf()
    pdf.add_page()
    measure.add_page()
    answers = [report._card_would_break(pdf, _row(40), None, measure) for _ in range(30)]
    assert len(broken) == 1 and answers == [answers[0]] * 30
