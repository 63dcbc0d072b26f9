"""A finding rejected in review (not a defect) with nothing to match is no new defect and no defect to look for.

Seen on the demo (seeds 7 -> 3): the formwork-joint lines F-0008, F-0010 and F-0010-J of seed 7, rejected
in review as joints, were not drawn on seed 3. `skyinspect change` counted them "3 not re observed", each
"not seen this time: repaired, hidden, outside the flight, or missed; rejected in review (ada, last time):
not a defect", in the table of changes to check; a false detection rejected this time was likewise counted
"new". Such a finding is now ``rejected`` (its own status, counted apart, not in the table of changes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from groundstation.change import compare
from skyinspect.cli.main import app
from test_change_joints import _crack, _results

pytest.importorskip("httpx", reason="FastAPI's TestClient needs httpx")
from test_change_review import _decide  # noqa: E402


def _pair(tmp: Path) -> tuple[Path, Path]:
    """Last time a confirmed crack and a rejected line far from it; this time the crack again and a
    false detection elsewhere, rejected too."""
    prev = _results(tmp / "prev", "2025-06-02", [_crack("F-0001", (2.0, 3.0, -1.0), 300.0),
                                                 _crack("F-0008", (0.6, 3.0, -1.35), 400.0)], set())
    cur = _results(tmp / "cur", "2026-06-02", [_crack("F-0001", (2.0, 3.0, -1.0), 302.0),
                                               _crack("F-0002", (3.5, 3.0, -0.2), 120.0)], set())
    _decide(prev, "F-0001", "confirm")
    _decide(prev, "F-0008", "reject")
    _decide(cur, "F-0002", "reject")
    return prev, cur


def test_unmatched_rejected_findings_are_neither_new_nor_not_re_observed(tmp_path: Path) -> None:
    report = compare(*_pair(tmp_path))
    got = sorted((c.status, c.previous_finding_id or "-", c.finding_id or "-") for c in report.changes)
    assert got == [("rejected", "-", "F-0002"), ("rejected", "F-0008", "-"), ("stable", "F-0001", "F-0001")]
    gone = next(c for c in report.changes if c.previous_finding_id == "F-0008")
    assert "rejected in review (ada, last time): not a defect" in gone.note and "repaired" not in gone.note
    assert gone.defect_uid  # still named: a later verdict may say otherwise


def test_the_cli_counts_them_apart(tmp_path: Path) -> None:
    prev, cur = _pair(tmp_path)
    got = CliRunner().invoke(app, ["change", str(prev), str(cur), "--out", str(tmp_path / "change")])
    assert got.exit_code == 0, got.output
    said = " ".join(got.output.split())
    assert "0 new, 0 grown, 1 stable, 0 not re observed, 2 rejected in review" in said
    assert "F-0008" not in said and "F-0002" not in said  # not in the table of changes to check
