"""The page says under the product links how many decisions the report, map, GIS files and work orders are
behind the trail, but it worked that out once, when the page was opened: a reviewer who opened the page
with everything published, then confirmed and rejected findings, was told nothing (the products did not
hold those decisions until `skyinspect publish`) unless the page was reloaded. Now each saved decision
brings the line up to date."""

from __future__ import annotations

# its fixtures (a server on the test results, chromium); importing it skips this module where it skips
from test_review_browser import OpenPage, browser, open_page, server  # noqa: F401


def test_the_products_behind_line_follows_each_decision(server: str, open_page: OpenPage) -> None:  # noqa: F811
    page = open_page()
    page.goto(server + "/")
    page.fill("#reviewer", "ada")
    page.locator("#findings tbody tr[data-id='F-0001']").wait_for()
    assert "made since" not in page.inner_text("#products")  # nothing decided: nothing behind
    page.click("#findings tbody tr[data-id='F-0001']")
    page.locator("#actions:not([hidden])").wait_for()
    page.click("#confirm")
    page.locator("#status-msg", has_text="confirm saved").wait_for()
    page.locator("#products", has_text="1 made since").wait_for()
    page.click("#reject")
    page.locator("#status-msg", has_text="reject saved").wait_for()
    page.locator("#products", has_text="2 made since").wait_for()
    text = page.inner_text("#products")
    assert text.count("made since") == 1 and "skyinspect publish" in text  # said once, not appended again
    assert text.count("workorders.csv") == 1  # the links not doubled
