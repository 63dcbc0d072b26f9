"""A name typed into the reviewer box before the page had finished loading: init() then set the box
from the saved name (empty on a first visit), wiping it, and the decision went out with no reviewer
(422 'X-Reviewer ... required'). It made the browser tests fail now and then (a loaded runner: the
fill landed before /api/inspection answered); here the answer is held back until the name is typed."""

from __future__ import annotations

import re
import time

# its fixtures (a server on the test results, chromium); importing it skips this module where it skips
from test_review_browser import OpenPage, browser, open_page, server  # noqa: F401


def _open_with_inspection_held(server_url: str, open_page_: OpenPage, saved_name: str | None):  # type: ignore[no-untyped-def]
    page = open_page_()
    if saved_name is not None:  # a name saved by an earlier visit (same origin: the storage is per origin)
        page.goto(server_url + "/")
        page.locator("#findings tbody tr").first.wait_for()
        page.evaluate("(n) => localStorage.setItem('skyinspect-reviewer', n)", saved_name)
    held: list = []
    page.route("**/api/inspection", lambda route: held.append(route))
    page.goto(server_url + "/")
    deadline = time.monotonic() + 30  # a bound, not a speed check
    while not held:
        assert time.monotonic() < deadline, "the page never asked for /api/inspection"
        page.wait_for_timeout(20)
    return page, held[0]


def _decide(page) -> str:  # type: ignore[no-untyped-def]
    page.click("#findings tbody tr[data-id='F-0001']")
    page.locator("#actions:not([hidden])").wait_for()
    page.click("#confirm")
    msg = page.locator("#status-msg", has_text=re.compile("saved|refused"))
    msg.wait_for()
    return msg.inner_text()


def test_a_name_typed_before_the_page_loaded_is_kept(server: str, open_page: OpenPage) -> None:  # noqa: F811
    page, inspection = _open_with_inspection_held(server, open_page, saved_name=None)
    page.fill("#reviewer", "ada")
    inspection.continue_()
    page.locator("#findings tbody tr").first.wait_for()  # init() has run past restoring the name
    assert page.input_value("#reviewer") == "ada"
    assert _decide(page) == "F-0001: confirm saved"
    page.locator("#audit li", has_text="ada confirm F-0001").wait_for()


def test_a_typed_name_wins_over_the_saved_one_and_a_saved_one_still_fills_an_empty_box(
        server: str, open_page: OpenPage) -> None:  # noqa: F811
    page, inspection = _open_with_inspection_held(server, open_page, saved_name="bob")
    page.fill("#reviewer", "ada")
    inspection.continue_()
    page.locator("#findings tbody tr").first.wait_for()
    assert page.input_value("#reviewer") == "ada"  # not bob's name, saved on this browser before
    page.unroute("**/api/inspection")
    page.reload()  # nothing typed: the saved name comes back (a name is saved only with a decision)
    page.locator("#findings tbody tr").first.wait_for()
    assert page.input_value("#reviewer") == "bob"
