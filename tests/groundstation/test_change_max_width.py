"""The widest stretch (``max_width_mm``) compared as the mean width is: what an inspector tracks most.

Before, ``skyinspect change`` compared length, width_mm and area only: a crack whose widest stretch
went from 1.0 to 2.0 mm while its mean stayed 0.5 mm read "stable", with nothing in change.csv/json.
A folder written before max_width_mm was published says it was not measured last time, never a growth.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from pathlib import Path

import pytest

from groundstation.change import change_table_csv, compare, write_change_products
from groundstation.measure import MEASUREMENT_METHODS
from skyinspect.findings import Measurement
from test_change_joints import _crack, _results


def _widths(fid: str, mean: Measurement, widest: Measurement | None):  # type: ignore[no-untyped-def]
    f = _crack(fid, (0.0, 3.0, -1.0), 300.0)
    m = {**f.measurements, "width_mm": mean}
    if widest is not None:
        m["max_width_mm"] = widest
    return replace(f, measurements=m, gsd_m=0.0015)


def _with_methods(folder: Path, methods: dict[str, str]) -> Path:
    meta = json.loads((folder / "inspection.json").read_text())
    (folder / "inspection.json").write_text(json.dumps({**meta, "measurement_methods": methods}))
    return folder


def test_the_widest_stretch_grown_while_the_mean_stays_is_reported(tmp_path: Path) -> None:
    mean = Measurement(0.5, 0.05, "mm")
    prev = _with_methods(_results(tmp_path / "prev", "2024-06-02",
                                  [_widths("F-0001", mean, Measurement(1.0, 0.1, "mm"))], set()), MEASUREMENT_METHODS)
    cur = _with_methods(_results(tmp_path / "cur", "2025-06-02",
                                 [_widths("F-0001", mean, Measurement(2.0, 0.1, "mm"))], set()), MEASUREMENT_METHODS)
    report = compare(prev, cur)
    change = report.changes[0]
    widest = next(g for g in change.growth if g.quantity == "max_width_mm")
    assert change.status == "grown" and widest.significant and not widest.note
    assert widest.delta == pytest.approx(1.0) and widest.per_year == pytest.approx(1.0, abs=0.01)
    assert not next(g for g in change.growth if g.quantity == "width_mm").significant
    assert report.method_changes == ()
    row = next(csv.DictReader(io.StringIO(change_table_csv(report))))
    assert (row["max_width_mm_previous"], row["max_width_mm_current"], row["max_width_mm_delta"],
            row["max_width_mm_significant"]) == ("1.0", "2.0", "1.0", "yes")
    paths = write_change_products(report, tmp_path / "out", cur)
    said = json.loads(paths["change.json"].read_text())["changes"][0]["growth"]
    assert any(g["quantity"] == "max_width_mm" and g["significant"] for g in said)


def test_an_older_folder_without_the_widest_says_not_measured_last_time(tmp_path: Path) -> None:
    """Session 22's folders: width_mm by image-profile-2, no max_width_mm measured or recorded."""
    old = {k: v for k, v in MEASUREMENT_METHODS.items() if k != "max_width_mm"} | {"width_mm": "image-profile-2"}
    prev = _with_methods(_results(tmp_path / "prev", "2024-06-02",
                                  [_widths("F-0001", Measurement(0.5, 0.05, "mm"), None)], set()), old)
    cur = _with_methods(_results(tmp_path / "cur", "2025-06-02",
                                 [_widths("F-0001", Measurement(0.5, 0.05, "mm"), Measurement(2.0, 0.1, "mm"))],
                                 set()), MEASUREMENT_METHODS)
    report = compare(prev, cur)
    change = report.changes[0]
    widest = next(g for g in change.growth if g.quantity == "max_width_mm")
    assert change.status == "stable" and not widest.significant
    assert (widest.previous, widest.current, widest.delta) == (None, 2.0, None)
    assert "not measured last time" in widest.note
    assert f"max_width_mm (unrecorded -> {MEASUREMENT_METHODS['max_width_mm']})" in report.method_changes
    row = next(csv.DictReader(io.StringIO(change_table_csv(report))))
    assert (row["max_width_mm_previous"], row["max_width_mm_delta"], row["max_width_mm_significant"]) == ("", "", "")


def test_the_widest_beyond_last_times_interval_is_said_not_judged(tmp_path: Path) -> None:
    mean = Measurement(0.5, 0.05, "mm")
    prev = _results(tmp_path / "prev", "2024-06-02", [_widths("F-0001", mean, Measurement(
        None, None, "mm", "bound", low=0.88, high=2.31))], set())
    cur = _results(tmp_path / "cur", "2025-06-02", [_widths("F-0001", mean, Measurement(5.53, 0.3, "mm"))], set())
    change = compare(prev, cur).changes[0]
    widest = next(g for g in change.growth if g.quantity == "max_width_mm")
    assert change.status == "stable" and not widest.significant and widest.delta == pytest.approx(5.53 - 2.31)
    assert "max_width_mm last time between 0.88 and 2.31 mm, this time 5.53 mm: at least 3.22 mm wider" in change.note
