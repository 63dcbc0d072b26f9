"""Two table loads on their way at once (a filter changed twice quickly on a slow link): the earlier
answer, arriving last, was drawn over the later one, so the table listed what the filters no longer
said (found holding one response back in chromium)."""

from __future__ import annotations

import time

# its fixtures (a server on the test results, chromium); importing it skips this module where it skips
from test_review_browser import OpenPage, browser, open_page, server  # noqa: F401

ROWS = "() => [...document.querySelectorAll('#findings tbody tr')].map(r => r.dataset.id)"


def test_an_earlier_filter_answer_arriving_last_does_not_replace_the_table(server: str,  # noqa: F811
                                                                           open_page: OpenPage) -> None:  # noqa: F811
    page = open_page()
    page.goto(server + "/")
    page.locator("#findings tbody tr").first.wait_for()
    everything = page.evaluate(ROWS)
    assert len(everything) == 2
    held: list = []
    page.route("**/api/findings?*status=confirmed*", lambda route: held.append(route))
    page.select_option("#f-status", "confirmed")  # none is: an empty table, once it answers
    deadline = time.monotonic() + 30  # a bound, not a speed check
    while not held:
        assert time.monotonic() < deadline, "the confirmed-only list was never asked for"
        page.wait_for_timeout(20)
    page.select_option("#f-status", "")  # changed back to all before that answer came
    page.wait_for_function(f"() => ({ROWS})().length === 2")
    with page.expect_request_finished(lambda r: "status=confirmed" in r.url):
        held[0].continue_()
    # the answer is in: give the page's script its turn to draw it (or, now, to drop it)
    page.evaluate("() => new Promise(r => setTimeout(r, 300))")
    assert page.input_value("#f-status") == ""
    assert page.evaluate(ROWS) == everything  # not the empty 'confirmed' table under 'status: all'
