"""Open one finding, then another before the first one's audit entries arrive (a slow link): the first
one's late list was drawn over the second's, so the page showed F-0002's detail with F-0001's trail
(found holding one response back in chromium)."""

from __future__ import annotations

import time
from pathlib import Path

# its fixtures (a server on the test results, chromium); importing it skips this module where it skips
from test_review_browser import OpenPage, browser, open_page, server  # noqa: F401

ITEMS = "() => [...document.querySelectorAll('#audit li')].map(li => li.textContent)"


def test_a_late_audit_list_of_an_earlier_finding_does_not_replace_the_shown_one(
        server: str, open_page: OpenPage, results: Path) -> None:  # noqa: F811
    from groundstation.review.audit import AuditLog

    audit = AuditLog(results / "review" / "audit.jsonl")
    audit.append("ada", "comment", "F-0001", comment="first finding")
    audit.append("bob", "comment", "F-0002", comment="second finding")
    page = open_page()
    page.goto(server + "/")
    page.locator("#audit li", has_text="second finding").wait_for()  # the whole trail, at the start
    held: list = []
    page.route("**/api/audit?fid=F-0001", lambda route: held.append(route))
    page.click("#findings tbody tr[data-id='F-0001']")
    deadline = time.monotonic() + 30  # a bound, not a speed check
    while not held:
        assert time.monotonic() < deadline, "F-0001's audit entries were never asked for"
        page.wait_for_timeout(20)
    page.click("#findings tbody tr[data-id='F-0002']")
    page.locator("#detail-title", has_text="F-0002").wait_for()
    page.wait_for_function(f"() => {{ const t = ({ITEMS})(); return t.length === 1 && t[0].includes('second'); }}")
    with page.expect_request_finished(lambda r: "fid=F-0001" in r.url):
        held[0].continue_()
    # the answer is in: give the page's script its turn to draw it (or, now, to drop it)
    page.evaluate("() => new Promise(r => setTimeout(r, 300))")
    items = page.evaluate(ITEMS)
    assert len(items) == 1 and "bob comment F-0002: second finding" in items[0], items
