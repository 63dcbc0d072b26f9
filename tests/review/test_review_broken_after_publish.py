"""A review trail that fails its hash check after `skyinspect publish` applied it: 'not applied (every
order listed)' (docs/maintenance.md) must hold for the orders publish kept apart too. Before,
`skyinspect workorders` and the app's workorders-reviewed.csv said 'every work order is listed' while
the published-rejected finding's order stayed out: a decision no longer verified still removed it."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")

from review_helpers import crack_and_rust, decide  # noqa: E402

from groundstation.workorders import apply_review, load_work_orders  # noqa: E402


def test_a_trail_broken_after_publishing_lists_every_order(results: Path) -> None:
    from groundstation.republish import publish_reviewed

    all_ids = sorted(o.finding_id for o in load_work_orders(results)[0])
    c, crack, _ = crack_and_rust(results)
    decide(c, crack, "reject")
    publish_reviewed(results)
    orders, _ = load_work_orders(results)
    assert crack not in {o.finding_id for o in orders}  # published with the rejection
    trail = results / "review" / "audit.jsonl"
    trail.write_text(trail.read_text(encoding="utf-8").replace('"ada"', '"eve"'), encoding="utf-8")
    listed, said = apply_review(orders, results)
    assert any("fails its hash check" in s and "every work order is listed" in s for s in said)
    assert sorted(o.finding_id for o in listed) == all_ids
