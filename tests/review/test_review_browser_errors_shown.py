"""A request the app refuses while the page is open was said nowhere on the page: with the review trail
cut while the app ran (its last line torn: the app answers 503 naming the line and the fix), clicking a
finding left the page as it was, the reason only in the browser's console as an uncaught error
("Uncaught (in promise) Error: 503 review trail unreadable ..."); so too a changed filter, and with the
server stopped ("Failed to fetch"). Now the page says it, in a line at the top."""

from __future__ import annotations

from pathlib import Path

# its fixtures (a server on the test results, chromium); importing it skips this module where it skips
from test_review_browser import OpenPage, browser, open_page, server  # noqa: F401


def test_a_refused_read_is_said_on_the_page(server: str, open_page: OpenPage, results: Path) -> None:  # noqa: F811
    from groundstation.review.audit import AuditLog

    log = AuditLog(results / "review" / "audit.jsonl")
    log.append("ada", "confirm", "F-0001")
    page = open_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/")
    page.locator("#audit li", has_text="confirm F-0001").wait_for()
    with open(log.path, "a", encoding="utf-8") as fh:
        fh.write('{"seq": 2, "time_utc": "2026-12')  # cut mid-line, as a server killed while writing leaves it
    page.click("#findings tbody tr[data-id='F-0002']")
    said = page.locator("#page-msg", has_text="line 2")
    said.wait_for()
    assert "review trail unreadable" in said.inner_text() and "Cut that line off" in said.inner_text()
    page.select_option("#f-status", "confirmed")  # a filter's re-list is refused too: said, not thrown
    page.wait_for_timeout(300)
    assert "line 2" in page.inner_text("#page-msg")
    assert errors == []
