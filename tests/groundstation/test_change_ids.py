"""Defect uids across runs: a comparison run again against another previous inspection names its
new defects by their own first observation, not by what the earlier run had written.

``skyinspect change`` writes defects.json (finding id -> uid) into the current folder, and read it
back as that folder's uids the next time, also when the folder is the current one again: compared
first with the wrong previous inspection (2024 instead of 2025), then with the right one, a crack
the right comparison calls new kept the 2024 defect's uid it had inherited in the wrong one.
"""

from __future__ import annotations

from pathlib import Path

from groundstation.change import compare, write_change_products
from test_change_joints import _crack, _results


def test_a_rerun_against_another_inspection_names_new_defects_afresh(tmp_path: Path) -> None:
    y2024 = _results(tmp_path / "2024", "2024-06-02", [_crack("F-0001", (0.0, 3.0, -1.0), 300.0)], set())
    y2025 = _results(tmp_path / "2025", "2025-06-02", [_crack("F-0001", (5.0, 3.0, -1.0), 300.0)], set())
    y2026 = _results(tmp_path / "2026", "2026-06-02", [_crack("F-0001", (0.0, 3.0, -1.0), 300.0),
                                                       _crack("F-0002", (5.0, 3.0, -1.0), 300.0)], set())
    wrong = compare(y2024, y2026)
    write_change_products(wrong, tmp_path / "wrong", y2026)
    assert next(c for c in wrong.changes if c.finding_id == "F-0001").defect_uid == "pier-1:2024-06-02:F-0001"
    right = compare(y2025, y2026)
    uids = {c.finding_id: (c.status, c.defect_uid) for c in right.changes if c.finding_id}
    assert uids == {"F-0001": ("new", "pier-1:2026-06-02:F-0001"), "F-0002": ("stable", "pier-1:2025-06-02:F-0001")}
    write_change_products(right, tmp_path / "right", y2026)
    assert {c.finding_id: c.defect_uid for c in compare(y2025, y2026).changes if c.finding_id} == {
        k: v[1] for k, v in uids.items()}  # and the same again


def test_a_new_defect_is_named_by_the_asset_the_report_names(tmp_path: Path) -> None:
    """This time processed without --asset-id: the report is of the previous inspection's asset
    (pier-1), and so are the new defects' uids (they read "asset:..." beside "pier-1:..." ones)."""
    import json

    prev = _results(tmp_path / "prev", "2025-06-02", [_crack("F-0001", (0.0, 3.0, -1.0), 300.0)], set())
    cur = _results(tmp_path / "cur", "2026-06-02", [_crack("F-0001", (0.0, 3.0, -1.0), 300.0),
                                                    _crack("F-0002", (2.0, 3.0, -1.0), 300.0)], set())
    (cur / "inspection.json").write_text(json.dumps({"inspection_date": "2026-06-02"}))
    report = compare(prev, cur)
    assert report.asset_id == "pier-1"
    assert {c.defect_uid for c in report.changes} == {"pier-1:2025-06-02:F-0001", "pier-1:2026-06-02:F-0002"}
