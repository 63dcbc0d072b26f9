"""A width known only as an interval (a crack too narrow for its interior to show): what it tells.

Found with the face-flight fixture processed twice a year apart (groundstation.pipeline.process): a
crack 0.8 mm wide, measured as "between 0.88 and 2.31 mm" (a bound), then 4 mm wide, measured 5.53 mm
(the fixture then drew cracks 1.3-2 px too wide; drawn their true width, gs_fixtures.coverage, they
read 0.32-0.97 and 1.64-4.04 mm; the numbers below are the comparison's inputs, not measurements):
``skyinspect change`` said nothing of its width (a bound has no value), and its grade (indeterminate
-> CS3) could not escalate. Yet the two intervals of one crack are not exact: the demo scene flown
twice (seeds 7 and 3, nothing changed) measured crack F-0001 "between 0.44 and 1.15 mm" and "between
0.08 and 0.22 mm" (a skeleton off the crack integrates less darkness). So a change an interval tells
is said, with its size, and not judged.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from groundstation.change import compare
from skyinspect.findings import Measurement
from test_change_joints import _crack, _results


def _with_width(fid: str, width: Measurement, north_m: float = 0.0):  # type: ignore[no-untyped-def]
    f = _crack(fid, (north_m, 3.0, -1.0), 300.0)
    return replace(f, measurements={**f.measurements, "width_mm": width}, gsd_m=0.0015)


def _bound(low: float, high: float) -> Measurement:
    return Measurement(None, None, "mm", "bound", low=low, high=high)


def test_a_crack_wider_than_last_times_bound_is_said_not_judged(tmp_path: Path) -> None:
    prev = _results(tmp_path / "prev", "2024-06-02", [_with_width("F-0001", _bound(0.88, 2.31))], set())
    cur = _results(tmp_path / "cur", "2025-06-02", [_with_width("F-0001", Measurement(5.53, 0.3, "mm"))], set())
    change = compare(prev, cur).changes[0]
    width = next(g for g in change.growth if g.quantity == "width_mm")
    assert change.status == "stable" and not width.significant and width.delta == pytest.approx(5.53 - 2.31)
    assert "width_mm last time between 0.88 and 2.31 mm, this time 5.53 mm: at least 3.22 mm wider" in change.note
    assert "not judged" in change.note and "measure it on site" in change.note


def test_two_flights_bounds_of_one_crack_tell_nothing(tmp_path: Path) -> None:
    """The unchanged demo scene's F-0001: disjoint intervals, no change told; nor from overlapping
    intervals, or a value inside last time's interval."""
    prev = _results(tmp_path / "prev", "2024-06-02", [_with_width("F-0001", _bound(0.44, 1.15)),
                                                      _with_width("F-0002", _bound(0.88, 2.31), 3.0)], set())
    cur = _results(tmp_path / "cur", "2025-06-02", [_with_width("F-0001", _bound(0.08, 0.22)),
                                                    _with_width("F-0002", Measurement(1.9, 0.2, "mm"), 3.0)], set())
    report = compare(prev, cur)
    assert [c.status for c in report.changes] == ["stable", "stable"]
    assert [c.note for c in report.changes] == ["", ""]


def test_a_crack_narrower_than_last_time_is_said_not_judged(tmp_path: Path) -> None:
    prev = _results(tmp_path / "prev", "2024-06-02", [_with_width("F-0001", Measurement(5.5, 0.3, "mm"))], set())
    cur = _results(tmp_path / "cur", "2025-06-02", [_with_width("F-0001", _bound(0.88, 2.31))], set())
    change = compare(prev, cur).changes[0]
    assert change.status == "stable" and "measured smaller" not in change.note
    assert "at least 3.19 mm narrower" in change.note
