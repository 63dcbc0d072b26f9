"""A width known only as an interval (a crack too narrow for its interior to show) is still compared.

Found with the face-flight fixture processed twice a year apart (groundstation.pipeline.process): a
crack 0.8 mm wide, measured as "between 0.88 and 2.31 mm" (a bound), then 4 mm wide, measured 5.53 mm:
``skyinspect change`` called it "stable", its width's delta None (a bound has no value), and its grade
(indeterminate -> CS3) could not escalate. The width grew by at least 5.53 - 2.31 = 3.22 mm.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from groundstation.change import compare
from skyinspect.findings import Measurement
from test_change_joints import _crack, _results


def _with_width(fid: str, width: Measurement, length_mm: float = 300.0):  # type: ignore[no-untyped-def]
    f = _crack(fid, (0.0, 3.0, -1.0), length_mm)
    return replace(f, measurements={**f.measurements, "width_mm": width})


def test_a_crack_wider_than_last_times_bound_has_grown(tmp_path: Path) -> None:
    prev = _results(tmp_path / "prev", "2024-06-02",
                    [_with_width("F-0001", Measurement(None, None, "mm", "bound", low=0.88, high=2.31))], set())
    cur = _results(tmp_path / "cur", "2025-06-02", [_with_width("F-0001", Measurement(5.53, 0.3, "mm"))], set())
    change = compare(prev, cur).changes[0]
    width = next(g for g in change.growth if g.quantity == "width_mm")
    assert change.status == "grown" and width.significant
    assert width.delta == pytest.approx(5.53 - 2.31) and width.per_year == pytest.approx(3.22, abs=0.01)
    assert "width_mm last time between 0.88 and 2.31 mm, this time 5.53 mm: grown by at least 3.22 mm" in change.note


def test_a_width_within_last_times_bound_is_not_judged_grown(tmp_path: Path) -> None:
    """0.88-2.31 mm, then 1.9 mm: no change can be told; and two overlapping bounds neither."""
    prev = _results(tmp_path / "prev", "2024-06-02",
                    [_with_width("F-0001", Measurement(None, None, "mm", "bound", low=0.88, high=2.31)),
                     replace(_with_width("F-0002", Measurement(None, None, "mm", "bound", low=0.4, high=1.1)),
                             lat_deg=_crack("x", (3.0, 3.0, -1.0), 1.0).lat_deg)], set())
    cur = _results(tmp_path / "cur", "2025-06-02",
                   [_with_width("F-0001", Measurement(1.9, 0.2, "mm")),
                    replace(_with_width("F-0002", Measurement(None, None, "mm", "bound", low=0.5, high=1.3)),
                            lat_deg=_crack("x", (3.0, 3.0, -1.0), 1.0).lat_deg)], set())
    report = compare(prev, cur)
    assert [c.status for c in report.changes] == ["stable", "stable"]
    assert all(not g.significant for c in report.changes for g in c.growth)


def test_a_crack_narrower_than_last_time_by_more_than_the_bound_is_said_smaller(tmp_path: Path) -> None:
    prev = _results(tmp_path / "prev", "2024-06-02", [_with_width("F-0001", Measurement(5.5, 0.3, "mm"))], set())
    cur = _results(tmp_path / "cur", "2025-06-02",
                   [_with_width("F-0001", Measurement(None, None, "mm", "bound", low=0.88, high=2.31))], set())
    change = compare(prev, cur).changes[0]
    assert change.status == "stable" and "measured smaller (width_mm)" in change.note
