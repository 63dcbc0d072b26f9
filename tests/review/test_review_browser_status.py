"""The line saying a decision was saved ("confirm saved") stayed when the next finding was opened: there it
stood under that finding's Confirm button, which had saved nothing for it, and a reviewer going down the
list took the finding for decided. It now names the finding it was for, and goes when another is opened."""

from __future__ import annotations

# its fixtures (a server on the test results, chromium); importing it skips this module where it skips
from test_review_browser import OpenPage, browser, open_page, server  # noqa: F401
from test_review_browser_relabel import _open


def test_a_saved_line_is_not_shown_under_the_next_finding(server: str, open_page: OpenPage) -> None:  # noqa: F811
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
