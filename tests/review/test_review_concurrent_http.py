"""Reviewers in several tabs deciding one finding at once, through the server's real HTTP API (uvicorn on a
loopback port, one client per tab, as the page does it: read the finding, then decide on the ``base_seq``
it showed). No write is lost or taken over another unseen: every decision accepted was made on the one before
it, every other answered 409, every comment kept, and the trail's chain holds with no seq twice."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="the test talks HTTP with httpx")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn not installed")


@pytest.fixture()
def server(results: Path):  # type: ignore[no-untyped-def]
    """The review app on ``results`` served by uvicorn on a free loopback port."""
    from review_helpers import serving

    with serving(results) as url:
        yield url


def test_tabs_deciding_one_finding_at_once_lose_no_write(server: str, results: Path) -> None:
    from groundstation.review.audit import DECISIONS, AuditLog

    answers: list[tuple[str, str, int, int, dict]] = []  # type: ignore[type-arg]  # tab, action, base, status, body
    start = threading.Barrier(4)

    def tab(i: int) -> None:
        with httpx.Client(base_url=server, timeout=30) as c:
            start.wait()
            for k in range(6):
                base = c.get("/api/findings/F-0001").json()["review"]["seq"]
                action = ("confirm", "reject", "relabel", "comment")[(i + k) % 4]
                body = {"action": action, "base_seq": base, "label": "crack", "comment": f"tab {i} note {k}"}
                got = c.post("/api/findings/F-0001/review", json=body,
                             headers={"X-Reviewer": f"tab{i}", "Content-Type": "application/json"})
                answers.append((f"tab{i}", action, base, got.status_code, got.json()))

    tabs = [threading.Thread(target=tab, args=(i,)) for i in range(4)]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join(60)
    assert len(answers) == 24 and {a[3] for a in answers} <= {201, 409}, [a for a in answers if a[3] not in (201, 409)]
    log = AuditLog(results / "review" / "audit.jsonl")
    entries = log.entries()
    assert log.verify(entries) and [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    saved = [a for a in answers if a[3] == 201]
    assert sorted(a[4]["seq"] for a in saved) == [e["seq"] for e in entries]  # each answer is an entry, no other
    for who, action, _, _, entry in saved:  # as sent, by whom sent
        assert (entry["who"], entry["action"]) == (who, action) and entries[entry["seq"] - 1]["hash"] == entry["hash"]
    assert Counter(a[1] for a in saved)["comment"] == 6  # comments add up: never refused
    # each decision accepted was made on the one before it: none overrode another unseen
    decided = [e for e in entries if e["action"] in DECISIONS]
    bases = {a[4]["seq"]: a[2] for a in saved if a[1] in DECISIONS}
    assert [bases[e["seq"]] for e in decided] == [0] + [e["seq"] for e in decided[:-1]]
    assert any(a[3] == 409 for a in answers)  # the tabs did collide
    for a in answers:
        if a[3] == 409:
            assert "was changed by tab" in a[4]["detail"]
    last = decided[-1]
    assert httpx.get(server + "/api/findings/F-0001").json()["review"]["seq"] == last["seq"]
