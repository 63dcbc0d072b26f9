"""Opening a finding or deciding it re-lists the findings (to show other reviewers' decisions), and each
re-list carried every finding's outline and measurements: on the demo's findings repeated to 1,600
(191,200 outline points) that was 13.1 MB a click, 1.2-2.5 s from click to the row selected on this
2-core machine, and the map's outlines were drawn anew each time (0.6 s, and as long to paint). The outlines
do not change while the app runs: the page now fetches them once (/api/outlines), re-lists only what the
table and the map's markers show (/api/findings?view=table), and redraws the map only when the findings
listed or their colours change."""

from __future__ import annotations

import json

# its fixtures (a server on the test results, chromium); importing it skips this module where it skips
from test_review_browser import OpenPage, browser, open_page, server  # noqa: F401


def test_a_click_and_a_decision_do_not_download_the_outlines_again(server: str, open_page: OpenPage) -> None:  # noqa: F811
    import httpx

    full = httpx.get(server + "/api/findings").json()  # what a script gets: unchanged, outlines and all
    assert all(r["outline"] and r["measurements"] for r in full)
    page = open_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    lists: list[dict] = []  # type: ignore[type-arg]
    outlines: list[str] = []
    page.on("response", lambda r: lists.append(r.json()) if "/api/findings?" in r.url
            else outlines.append(r.url) if "/api/outlines" in r.url else None)
    page.goto(server + "/")
    page.fill("#reviewer", "ada")
    page.locator("#findings tbody tr[data-id='F-0002']").wait_for()
    assert page.locator("#map polygon").count() == len(full)  # the outlines are drawn
    first = len(lists)
    page.evaluate("document.querySelector('#map polygon').dataset.kept = 'yes'")
    page.click("#findings tbody tr[data-id='F-0002']")
    page.locator("#findings tbody tr.sel[data-id='F-0002']").wait_for()
    page.click("#confirm")
    page.locator("#findings tbody tr[data-id='F-0002'] td.confirmed").wait_for()
    page.wait_for_timeout(200)
    again = lists[first:]
    assert again, "the table was not listed again after a click and a decision"
    for rows in again:
        for r in rows:
            assert "outline" not in r and "measurements" not in r, f"re-listed with {sorted(r)}"
    assert len(outlines) == 1  # once, at the start
    # the map is still whole after the re-lists, and the table shows the decision
    assert page.locator("#map polygon").count() == len(full)
    # nor drawn again (0.6 s a click for 1,600 findings): the same outline elements, the marker enlarged
    assert page.locator("#map polygon[data-kept='yes']").count() == 1
    assert page.get_attribute("#map circle[data-id='F-0002']", "r") == "2.2"
    listed = {r["finding_id"]: r for r in again[-1]}
    assert listed["F-0002"]["review"]["status"] == "confirmed"
    slim = sum(len(json.dumps(r)) for r in again[-1])
    assert slim < sum(len(json.dumps(r)) for r in full) / 2
    assert errors == []
