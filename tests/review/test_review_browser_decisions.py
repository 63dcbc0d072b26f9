"""The open finding's decision controls on the page (the fixture: F-0001 a rust patch, F-0002 a crack): the
relabel box and a relabelled finding's grade and marker, the line saying a decision was saved, and the buttons
while a decision's answer is on its way. One module: one chromium launch for them all."""

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


def test_a_saved_line_is_not_shown_under_the_next_finding(server: str, open_page: OpenPage) -> None:  # noqa: F811
    """The line saying a decision was saved ("confirm saved") stayed when the next finding was opened: there it
    stood under that finding's Confirm button, which had saved nothing for it, and a reviewer going down the
    list took the finding for decided. It now names the finding it was for, and goes when another is opened."""
    page = open_page()
    page.goto(server + "/")
    page.fill("#reviewer", "ada")
    _open(page, "F-0001")
    page.click("#confirm")
    page.locator("#status-msg", has_text="confirm saved").wait_for()
    _open(page, "F-0002")
    assert page.inner_text("#status-msg") == ""  # F-0002 is not decided
    _open(page, "F-0001")
    page.click("#reject")
    page.locator("#status-msg", has_text="reject saved").wait_for()
    assert page.inner_text("#status-msg") == "F-0001: reject saved"
    _open(page, "F-0002")
    page.click("#comment-btn")  # nothing typed: refused, said for this finding
    page.locator("#status-msg", has_text="refused").wait_for()
    assert page.inner_text("#status-msg").startswith("F-0002: refused")
    _open(page, "F-0001")
    assert page.inner_text("#status-msg") == ""


def test_a_comment_saved_after_another_finding_was_opened(server: str, open_page: OpenPage) -> None:  # noqa: F811
    """A comment's answer arriving after another finding was opened (a slow link) emptied the box there,
    losing what was being typed for that finding, while the comment sent stayed as the first finding's
    draft: opened again, it offered the comment already saved, to be posted twice."""
    page = open_page()
    page.goto(server + "/")
    page.fill("#reviewer", "ada")
    _open(page, "F-0001")
    held: list = []  # type: ignore[type-arg]
    page.route("**/api/findings/F-0001/review", lambda route: held.append(route))
    page.fill("#comment", "hairline, check on site")
    page.click("#comment-btn", no_wait_after=True)
    page.wait_for_function("() => true")  # let the held request reach the route
    _open(page, "F-0002")
    page.fill("#comment", "rust stain under the bearing")
    assert len(held) == 1
    held[0].continue_()
    page.locator("#status-msg", has_text="F-0001: comment saved").wait_for()
    page.wait_for_timeout(300)
    assert page.input_value("#comment") == "rust stain under the bearing"  # F-0002's text kept
    _open(page, "F-0001")
    assert page.input_value("#comment") == ""  # saved: no draft left to post again
    page.locator("#audit li", has_text="comment F-0001: hairline, check on site").wait_for()


def test_a_double_click_is_one_decision_not_a_refusal(server: str, open_page: OpenPage) -> None:  # noqa: F811
    """A double-click on Confirm sent two decisions on what the page showed: the first saved, the second
    refused as a conflict with the first, so the page ended on 'F-0001: refused: 409 not saved: F-0001
    was changed by ada since you opened it', the reviewer's own confirm. The buttons now wait for a
    decision's answer (and the finding shown again) before taking another."""
    page = open_page()
    page.goto(server + "/")
    page.fill("#reviewer", "ada")
    _open(page, "F-0001")
    held: list = []  # type: ignore[type-arg]
    page.route("**/api/findings/F-0001/review", lambda route: held.append(route))
    page.click("#confirm", no_wait_after=True)
    page.wait_for_function("() => true")  # let the held request reach the route
    # aria-disabled: a disabled button would drop the keyboard's focus to the page's top
    assert [page.get_attribute(f"#{b}", "aria-disabled") for b in ("confirm", "reject", "relabel", "comment-btn")] \
        == ["true"] * 4
    page.click("#reject", force=True, no_wait_after=True)  # clicked anyway: nothing sent
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/api/findings/F-0001/review")
    page.locator("#status-msg", has_text="F-0001: confirm saved").wait_for()
    page.locator("#findings tbody tr[data-id='F-0001'] td.confirmed").wait_for()
    page.wait_for_function("() => document.getElementById('reject').getAttribute('aria-disabled') === 'false'")
    page.dblclick("#reject")
    page.locator("#audit li", has_text="reject F-0001").wait_for()
    page.wait_for_function("() => document.getElementById('confirm').getAttribute('aria-disabled') === 'false'")
    page.wait_for_timeout(300)
    assert page.inner_text("#status-msg") == "F-0001: reject saved"
    assert [t.split(" ", 2)[2] for t in page.locator("#audit li").all_inner_texts()] == \
        ["ada confirm F-0001", "ada reject F-0001"]


def test_a_decision_by_keyboard_keeps_the_focus(server: str, open_page: OpenPage) -> None:  # noqa: F811
    """The buttons wait for a decision's answer without losing the keyboard's focus: disabled, a button
    drops it to the page's top, and a keyboard reviewer would tab back from there after each decision."""
    page = open_page()
    page.goto(server + "/")
    page.fill("#reviewer", "kim")
    _open(page, "F-0001")
    page.focus("#confirm")
    page.keyboard.press("Enter")
    page.locator("#status-msg", has_text="F-0001: confirm saved").wait_for()
    page.wait_for_function("() => document.getElementById('confirm').getAttribute('aria-disabled') === 'false'")
    assert page.evaluate("document.activeElement.id") == "confirm"
    page.select_option("#relabel-label", "crack")
    page.focus("#relabel")
    page.keyboard.press("Enter")
    page.locator("#audit li", has_text="relabel F-0001 -> crack").wait_for()
    page.wait_for_function("() => document.getElementById('confirm').getAttribute('aria-disabled') === 'false'")
    assert page.evaluate("document.activeElement.id") == "relabel"  # now its own class: dimmed, still focused
    assert page.get_attribute("#relabel", "aria-disabled") == "true"
    page.keyboard.press("Enter")  # does nothing: no relabel to its own class
    page.wait_for_timeout(300)
    assert page.locator("#audit li", has_text="relabel").count() == 1


def test_a_decision_saved_while_another_finding_loads_keeps_that_finding(server: str,  # noqa: F811
                                                                         open_page: OpenPage) -> None:  # noqa: F811
    """A reviewer confirmed F-0001 and, while the save was on its way, opened F-0002. The save answering
    before F-0002's detail did, the page showed F-0001 again (the click on F-0002 dropped as stale), so
    the next Reject went to F-0001. The page now stays on the finding opened last, and the table shows
    the decision saved."""
    page = open_page()
    page.goto(server + "/")
    page.fill("#reviewer", "ada")
    _open(page, "F-0001")
    saves: list = []  # type: ignore[type-arg]
    loads: list = []  # type: ignore[type-arg]
    page.route("**/api/findings/F-0001/review", lambda route: saves.append(route))
    page.route("**/api/findings/F-0002", lambda route: loads.append(route))
    page.click("#confirm", no_wait_after=True)
    page.wait_for_function("() => true")  # let the held save reach the route
    page.click("#findings tbody tr[data-id='F-0002']", no_wait_after=True)
    page.wait_for_function("() => true")
    assert len(saves) == 1 and len(loads) == 1
    saves[0].continue_()  # the save answers first
    page.locator("#status-msg", has_text="F-0001: confirm saved").wait_for()
    with page.expect_response(lambda r: r.url.endswith("/api/findings/F-0002")):
        loads[0].continue_()  # then F-0002's detail
    page.wait_for_function("() => document.getElementById('confirm').getAttribute('aria-disabled') === 'false'")
    page.wait_for_timeout(300)  # the page's script has had its turn to show it (or, before, to drop it)
    assert page.inner_text("#detail-title").startswith("F-0002")  # had gone back to 'F-0001 - corrosion'
    assert page.locator("#findings tbody tr.sel").evaluate_all("rs => rs.map(r => r.dataset.id)") == ["F-0002"]
    assert page.inner_text("#findings tbody tr[data-id='F-0001'] td:nth-child(5)") == "confirmed"
    page.unroute("**/api/findings/F-0002")
    # the other order: F-0001 opened whole while F-0002's reject is on its way. It stays open, and the
    # table (listed before the reject was saved) is listed again to say it
    page.route("**/api/findings/F-0002/review", lambda route: saves.append(route))
    page.click("#reject", no_wait_after=True)  # acts on the finding shown
    page.wait_for_function("() => true")
    assert len(saves) == 2
    _open(page, "F-0001")
    assert page.inner_text("#findings tbody tr[data-id='F-0002'] td:nth-child(5)") == "unreviewed"
    saves[1].continue_()
    page.locator("#findings tbody tr[data-id='F-0002'] td.rejected").wait_for()
    page.wait_for_function("() => document.getElementById('confirm').getAttribute('aria-disabled') === 'false'")
    page.wait_for_timeout(300)
    assert page.inner_text("#detail-title").startswith("F-0001")
    assert page.locator("#findings tbody tr.sel").evaluate_all("rs => rs.map(r => r.dataset.id)") == ["F-0001"]
    assert [t.split(" ", 2)[2] for t in page.locator("#audit li").all_inner_texts()] == ["ada confirm F-0001"]
