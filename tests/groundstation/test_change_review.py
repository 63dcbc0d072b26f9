"""Change detection honours the review app's verdicts (``review/audit.jsonl`` in each results folder).

The reviewer decides whether a joint-like line is a crack (the app's ``check`` row: confirm or
relabel it a crack, or reject it). Before, change detection read only publish's joint flag: a line a
reviewer had confirmed a crack was still matched as a joint and never judged grown, and a crack the
reviewer had rejected was still compared as a crack. The decisions are made here through the review
app's own API, as a reviewer's page sends them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from groundstation.change import compare
from test_change_joints import _crack, _results

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from fastapi.testclient import TestClient  # noqa: E402

from groundstation.review.app import create_app  # noqa: E402

W = {"X-Reviewer": "ada", "Content-Type": "application/json"}


def _decide(results: Path, fid: str, action: str, label: str | None = None) -> None:
    body = {"action": action, **({"label": label} if label else {})}
    r = TestClient(create_app(results)).post(f"/api/findings/{fid}/review", json=body, headers=W)
    assert r.status_code == 201, r.text


def test_a_joint_like_line_confirmed_a_crack_is_compared_as_a_crack(tmp_path: Path) -> None:
    """Last time's joint-like F-0006 (150 mm), relabelled a crack by the reviewer; this time the model
    drew the same crack 623 mm long and curvier (no flag). Before: a joint-like line and a crack are
    never one defect, so 'new' plus 'not re-observed'; now one crack grown by 473 mm."""
    prev = _results(tmp_path / "prev", "2025-06-02", [_crack("F-0006", (1.86, 3.0, -1.07), 150.0)], {"F-0006"})
    cur = _results(tmp_path / "cur", "2026-06-02", [_crack("F-0003", (1.86, 3.0, -0.95), 623.0)], set())
    _decide(prev, "F-0006", "relabel", "crack")
    report = compare(prev, cur)
    assert [(c.status, c.previous_finding_id, c.finding_id) for c in report.changes] == [("grown", "F-0006", "F-0003")]
    length = next(g for g in report.changes[0].growth if g.quantity == "length_mm")
    assert length.significant and length.delta == pytest.approx(473.0)
    assert "confirmed a crack in review" in report.changes[0].note and "joint-like line both times" not in \
        report.changes[0].note


def test_a_crack_rejected_in_review_is_not_judged(tmp_path: Path) -> None:
    """The other way: a crack (no flag) that the reviewer rejects this time, on the spot of last time's
    joint-like line. Before: 'new' plus 'not re-observed'; now the one line, its change not judged."""
    prev = _results(tmp_path / "prev", "2025-06-02", [_crack("F-0002", (2.0, 3.0, -1.0), 200.0)], {"F-0002"})
    cur = _results(tmp_path / "cur", "2026-06-02", [_crack("F-0004", (2.0, 3.0, -1.1), 700.0)], set())
    _decide(cur, "F-0004", "reject")
    report = compare(prev, cur)
    assert [(c.status, c.previous_finding_id, c.finding_id) for c in report.changes] == [("stable", "F-0002", "F-0004")]
    assert not any(g.significant for g in report.changes[0].growth)
    assert "rejected in review" in report.changes[0].note


def test_last_times_verdict_carries_to_an_unreviewed_line(tmp_path: Path) -> None:
    """Confirmed a crack last time, flagged joint-like again this time and not yet reviewed: the same
    crack (the verdict stands until a reviewer says otherwise), judged as a crack."""
    prev = _results(tmp_path / "prev", "2025-06-02", [_crack("F-0001", (0.0, 3.0, -1.0), 300.0)], {"F-0001"})
    cur = _results(tmp_path / "cur", "2026-06-02", [_crack("F-0001", (0.0, 3.0, -1.05), 600.0)], {"F-0001"})
    _decide(prev, "F-0001", "confirm")
    report = compare(prev, cur)
    assert [(c.status, c.previous_finding_id, c.finding_id) for c in report.changes] == [("grown", "F-0001", "F-0001")]


def test_a_relabelled_finding_is_compared_by_its_label(tmp_path: Path) -> None:
    """The model called it a crack last time; the reviewer relabelled it corrosion (a rust streak);
    this time the model calls it corrosion: one defect, of the reviewer's class."""
    prev = _results(tmp_path / "prev", "2025-06-02", [_crack("F-0001", (0.0, 3.0, -1.0), 300.0)], set())
    rust = _crack("F-0002", (0.0, 3.0, -1.02), 300.0)
    from dataclasses import replace

    cur = _results(tmp_path / "cur", "2026-06-02", [replace(rust, class_id=2, class_name="corrosion")], set())
    _decide(prev, "F-0001", "relabel", "corrosion")
    report = compare(prev, cur)
    assert [(c.status, c.class_name, c.previous_finding_id, c.finding_id) for c in report.changes] == [
        ("stable", "corrosion", "F-0001", "F-0002")]


def test_an_edited_audit_trail_is_not_applied_and_said_so(tmp_path: Path) -> None:
    prev = _results(tmp_path / "prev", "2025-06-02", [_crack("F-0006", (1.86, 3.0, -1.07), 150.0)], {"F-0006"})
    cur = _results(tmp_path / "cur", "2026-06-02", [_crack("F-0003", (1.86, 3.0, -0.95), 623.0)], set())
    _decide(prev, "F-0006", "relabel", "crack")
    trail = prev / "review" / "audit.jsonl"
    trail.write_text(trail.read_text().replace('"ada"', '"eve"'))
    report = compare(prev, cur)
    assert sorted(c.status for c in report.changes) == ["new", "not_re_observed"]
    assert any("fails its hash check" in n and str(trail) in n for n in report.review_notes)


def test_a_crack_confirmed_in_review_is_still_never_compared_with_a_joint_line(tmp_path: Path) -> None:
    """A crack (no flag) the reviewer confirmed, not drawn this time, and beside it this time a joint
    line split off another crack: confirming a crack says nothing of joints. Matched, it read 'grown'
    by the joint's length (300 -> 700 mm), the case like-with-like matching was made for."""
    prev = _results(tmp_path / "prev", "2025-06-02", [_crack("F-0005", (2.0, 3.0, -1.0), 300.0)], set())
    cur = _results(tmp_path / "cur", "2026-06-02", [_crack("F-0007-J", (2.0, 3.0, -1.2), 700.0)], set())
    _decide(prev, "F-0005", "confirm")
    report = compare(prev, cur)
    assert sorted((c.status, c.previous_finding_id or c.finding_id) for c in report.changes) == [
        ("new", "F-0007-J"), ("not_re_observed", "F-0005")]
