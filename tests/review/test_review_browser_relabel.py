"""Relabelling on the page (the fixture: F-0001 a rust patch, F-0002 a crack)."""

from __future__ import annotations

# its fixtures (a server on the test results, chromium); importing it skips this module where it skips
from test_review_browser import OpenPage, browser, open_page, server  # noqa: F401


def _open(page, fid: str) -> None:  # type: ignore[no-untyped-def]
    page.click(f"#findings tbody tr[data-id='{fid}']")
    page.locator("#detail-title", has_text=fid).wait_for()
    page.locator(f"#findings tbody tr.sel[data-id='{fid}']").wait_for()


def test_a_relabelled_finding_shows_no_grade_of_its_old_class(server: str, open_page: OpenPage) -> None:  # noqa: F811
    """The crack relabelled corrosion went on showing 'CS3 (aashto-mbei-1130@2)', the crack's grade, in the
    table and the detail until `skyinspect publish` graded it as corrosion: the page now says so."""
    page = open_page()
    page.goto(server + "/")
    page.fill("#reviewer", "ada")
    _open(page, "F-0002")
    was = page.inner_text("#findings tbody tr[data-id='F-0002'] td:nth-child(3)")
    assert was.startswith("CS")
    page.select_option("#relabel-label", "corrosion")
    page.click("#relabel")
    page.locator("#status-msg", has_text="relabel saved").wait_for()
    page.locator("#findings tbody tr[data-id='F-0002'] td", has_text="corrosion").wait_for()
    cell = page.locator("#findings tbody tr[data-id='F-0002'] td:nth-child(3)")
    assert cell.inner_text() == "on publish"
    assert "graded as corrosion" in (cell.get_attribute("title") or "")
    grade = page.evaluate("[...document.querySelectorAll('#detail tr')].find(tr => tr.cells[0].textContent"
                          " === 'grade').cells[1].textContent")
    assert grade.startswith("graded as corrosion by `skyinspect publish` (as crack: " + was + " (aashto-mbei-1130")
    assert page.inner_text("#findings tbody tr[data-id='F-0001'] td:nth-child(3)").startswith("CS")  # untouched


def test_the_relabel_choice_does_not_follow_to_the_next_finding(server: str, open_page: OpenPage) -> None:  # noqa: F811
    """The class chosen to relabel one finding stayed chosen on the next finding opened: after relabelling
    F-0002 corrosion, opening F-0001 (itself relabelled crack) showed 'corrosion' ready by the Relabel
    button, one click from relabelling the wrong finding. Each finding opened now shows its own class,
    and Relabel waits for another to be chosen."""
    page = open_page()
    page.goto(server + "/")
    page.fill("#reviewer", "ada")
    _open(page, "F-0001")
    assert page.input_value("#relabel-label") == "corrosion" and page.get_attribute("#relabel", "aria-disabled") == "true"
    page.select_option("#relabel-label", "crack")
    assert page.get_attribute("#relabel", "aria-disabled") == "false"
    page.click("#relabel")
    page.locator("#audit li", has_text="relabel F-0001 -> crack").wait_for()
    assert page.input_value("#relabel-label") == "crack" and page.get_attribute("#relabel", "aria-disabled") == "true"  # its class now
    _open(page, "F-0002")
    page.select_option("#relabel-label", "corrosion")
    page.click("#relabel")
    page.locator("#audit li", has_text="relabel F-0002 -> corrosion").wait_for()
    _open(page, "F-0001")
    assert page.input_value("#relabel-label") == "crack"  # F-0001's class, not the choice made on F-0002
    assert page.get_attribute("#relabel", "aria-disabled") == "true"
    page.select_option("#relabel-label", "corrosion")  # chosen on F-0002, then F-0001 opened: not carried
    _open(page, "F-0002")
    assert page.input_value("#relabel-label") == "corrosion" and page.get_attribute("#relabel", "aria-disabled") == "true"


def test_a_relabelled_marker_is_named_by_its_new_class(server: str, open_page: OpenPage) -> None:  # noqa: F811
    """The map's marker of a relabelled finding took the new class's colour but its tooltip kept the class
    found: the crack relabelled corrosion, drawn orange, read 'F-0002 crack' (map.html says both as reviewed)."""
    page = open_page()
    page.goto(server + "/")
    page.fill("#reviewer", "ada")
    page.locator("#map circle[data-id='F-0002']").wait_for()
    assert page.text_content("#map circle[data-id='F-0002'] title") == "F-0002 crack"
    _open(page, "F-0002")
    page.select_option("#relabel-label", "corrosion")
    page.click("#relabel")
    page.locator("#audit li", has_text="relabel F-0002 -> corrosion").wait_for()
    page.wait_for_function("() => document.querySelector(\"#map circle[data-id='F-0002']\")"
                           ".getAttribute('fill') === '#ff7f0e'")
    assert page.text_content("#map circle[data-id='F-0002'] title") == "F-0002 corrosion (relabelled from crack)"
