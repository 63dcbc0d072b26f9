"""A relabelled finding's grade, before `skyinspect publish` grades it as its new class. The app went on
listing the grade of the class it was graded as: the fixture's crack relabelled corrosion read 'CS3
(aashto-mbei-1130@2)', a crack's grade, on a finding the table called corrosion (and the grade filter
listed it under CS3), until publish; relabelled back to crack after publishing, it read the corrosion's
'CS2+ (aashto-mbei-1000@1)'. Such a finding now has no grade in the app (``grade`` None, so no grade
filter lists it) and ``regrade`` says the class publish will grade it as, and the grade it had as which
class."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from review_helpers import crack_and_rust, decide  # noqa: E402


def _row(c: Any, fid: str, **params: str) -> dict[str, Any]:
    return next(r for r in c.get("/api/findings", params=params).json() if r["finding_id"] == fid)


def test_a_relabel_is_not_shown_with_the_old_class_grade(results: Path) -> None:
    from groundstation.republish import publish_reviewed

    c, crack, rust = crack_and_rust(results)
    processed = c.get(f"/api/findings/{crack}").json()
    assert processed["grade_rule"].startswith("aashto-mbei-1130") and processed["regrade"] is None
    decide(c, crack, "relabel", label="corrosion")
    for row in (_row(c, crack), _row(c, crack, view="table"), c.get(f"/api/findings/{crack}").json()):
        assert row["grade"] is None, row
        assert row["regrade"] == {"as": "corrosion", "graded_as": "crack", "grade": processed["grade"],
                                  "rule": processed["grade_rule"]}
    detail = c.get(f"/api/findings/{crack}").json()
    assert (detail["grade_rule"], detail["grade_clause"], detail["grades"]) == (None, None, [])
    assert not [r for r in c.get("/api/findings", params={"grade": processed["grade"]}).json()
                if r["finding_id"] == crack]
    assert _row(c, rust)["regrade"] is None  # the other finding keeps its grade

    publish_reviewed(results)  # graded as corrosion now: shown again
    published = _row(c, crack)
    assert published["regrade"] is None and published["grade_rule"].startswith("aashto-mbei-1000")

    decide(c, crack, "relabel", label="crack")  # back: the grade shown is the corrosion's until published
    back = _row(c, crack)
    assert back["grade"] is None
    assert back["regrade"] == {"as": "crack", "graded_as": "corrosion", "grade": published["grade"],
                               "rule": published["grade_rule"]}
    decide(c, crack, "comment", comment="checked on site")  # a comment changes no class
    assert _row(c, crack)["regrade"] == back["regrade"]
    publish_reviewed(results)
    again = _row(c, crack)
    assert again["regrade"] is None and (again["grade"], again["grade_rule"]) == (processed["grade"],
                                                                                   processed["grade_rule"])


def test_a_rejected_relabel_keeps_its_processed_grade(results: Path) -> None:
    """Publish keeps a rejected finding's grade as processed (its order comes back if confirmed again): a
    relabel then rejected is graded as found, nothing pending."""
    c, crack, _ = crack_and_rust(results)
    processed = _row(c, crack)
    decide(c, crack, "relabel", label="corrosion")
    decide(c, crack, "reject", comment="a shadow")
    row = _row(c, crack)
    assert row["regrade"] is None and row["grade"] == processed["grade"]
