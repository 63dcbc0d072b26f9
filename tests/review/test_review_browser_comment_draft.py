"""A comment typed for one finding and not posted stayed in the box when another finding was opened:
Comment then posted it on that other finding, into an audit trail that cannot be edited, and from there
into its work order and the report (seen on the demo: a note typed on F-0001, F-0002 opened, Comment:
'comment F-0002: hairline along the joint'). The box now keeps a draft per finding: opening another
finding shows that one's draft (none: empty), coming back shows the first again."""

from __future__ import annotations

# its fixtures (a server on the test results, chromium); importing it skips this module where it skips
from test_review_browser import OpenPage, browser, open_page, server  # noqa: F401


def test_a_comment_typed_for_one_finding_is_not_posted_on_another(server: str, open_page: OpenPage) -> None:  # noqa: F811
    page = open_page()
    page.goto(server + "/")
    page.fill("#reviewer", "ada")
    page.click("#findings tbody tr[data-id='F-0001']")
    page.locator("#detail-title", has_text="F-0001").wait_for()
    page.fill("#comment", "hairline along the joint")
    page.click("#findings tbody tr[data-id='F-0002']")
    page.locator("#detail-title", has_text="F-0002").wait_for()
    page.locator("#findings tbody tr.sel[data-id='F-0002']").wait_for()
    assert page.input_value("#comment") == ""
    page.click("#comment-btn")
    page.locator("#status-msg", has_text="refused").wait_for()  # empty: nothing posted on F-0002
    page.click("#findings tbody tr[data-id='F-0001']")
    page.locator("#detail-title", has_text="F-0001").wait_for()
    page.locator("#findings tbody tr.sel[data-id='F-0001']").wait_for()
    assert page.input_value("#comment") == "hairline along the joint"  # the draft is not lost either
    page.click("#comment-btn")
    page.locator("#audit li", has_text="comment F-0001: hairline along the joint").wait_for()
    assert page.locator("#audit li", has_text="F-0002").count() == 0
