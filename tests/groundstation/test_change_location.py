"""The change products say where on the structure each defect is (face, metres along it, above the base) when
the results carry a registry assignment, the same cells as the work orders (registry.locate.location_cells).
Geometry from the fixture: the pier's west face is the test face, 6 m long centred 0.1 m north of home, so
its left end seen facing it is 3.1 m north; a crack's centroid is mid-crack."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from gs_fixtures import FLY_HEIGHT_M, crack_on_face, dated_face_record, face_surface

from groundstation.change import TABLE_COLUMNS, change_table_csv, compare, write_change_products
from groundstation.registry.locate import LOCATION_COLUMNS

YEAR_S = 365.25 * 86400


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def on_pier(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from gs_fixtures import bridge_on_face

    from groundstation.pipeline import process
    from groundstation.registry import build_registry

    tmp = tmp_path_factory.mktemp("changeloc")
    reg = tmp / "reg.gpkg"
    build_registry([(bridge_on_face(tmp, [(0.1, 6.0)]), "creek")], reg)
    up = FLY_HEIGHT_M
    then = crack_on_face(-0.3, up + 0.4, length_m=0.30, width_m=0.003, wander_m=0.004)
    now = crack_on_face(-0.3, up + 0.4, length_m=0.55, width_m=0.003, wander_m=0.004)  # +250 mm
    fresh = crack_on_face(0.0, up - 0.6, length_m=0.25, width_m=0.001)
    runs = []
    for name, defects, t0 in (("2024", [then], 1.7e9), ("2025", [now, fresh], 1.7e9 + YEAR_S)):
        out = tmp / f"results-{name}"
        process(dated_face_record(tmp / f"flight-{name}", defects, t0), out, face_surface(), progress=False,
                registry=reg)
        runs.append(out)
    return runs[0], runs[1], tmp


def test_location_columns_come_after_the_old_ones() -> None:
    at = TABLE_COLUMNS.index("note") + 1  # the inspections' columns came after them (test_change_cli)
    assert TABLE_COLUMNS[at:at + len(LOCATION_COLUMNS)] == LOCATION_COLUMNS


def test_grown_and_new_defects_are_placed_on_the_pier_face(on_pier: tuple[Path, Path, Path]) -> None:
    before, after, tmp = on_pier
    report = compare(before, after)
    by = {c.status: c for c in report.changes}
    assert set(by) == {"grown", "new"}, [(c.status, c.note) for c in report.changes]
    paths = write_change_products(report, tmp / "change", after)
    rows = {r["status"]: r for r in _rows(paths["change.csv"].read_text(encoding="utf-8-sig"))}
    orders = {r["finding_id"]: r for r in _rows((after / "workorders.csv").read_text(encoding="utf-8-sig"))}
    for status, mid_north in (("grown", -0.3 + 0.55 / 2), ("new", 0.0 + 0.25 / 2)):
        r = rows[status]
        assert r["face"] == "west face" and r["reference"].startswith("north-west corner"), r
        assert float(r["along_face_m"]) == pytest.approx(3.1 - mid_north, abs=0.05)
        assert "west face" in r["location"] and "m along" in r["location"]
        # the very cells the work order of that finding gives (one computation)
        assert {k: r[k] for k in LOCATION_COLUMNS} == {k: orders[r["finding_id"]][k] for k in LOCATION_COLUMNS}
        assert by[status].location["face"] == "west face"  # change.json carries it too
    assert float(rows["grown"]["above_base_m"]) > float(rows["new"]["above_base_m"])  # 1 m higher on the face


def test_the_console_table_gives_the_location_text(on_pier: tuple[Path, Path, Path]) -> None:
    from typer.testing import CliRunner

    from skyinspect.cli.main import app

    before, after, tmp = on_pier
    res = CliRunner().invoke(app, ["change", str(before), str(after), "--out", str(tmp / "cli")],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "location" in res.output and "west face" in res.output
    assert "along_face_m" not in res.output  # the text only, not all the location columns


def test_without_a_registry_the_location_cells_are_empty() -> None:
    from test_change import _inspection

    report = compare(_inspection("/tmp/a", "2024-05-01", [(0, 0, 0), (5, 0, 0)]),
                     _inspection("/tmp/b", "2025-05-01", [(0, 0, 0), (9, 0, 0)]))
    rows = _rows(change_table_csv(report))
    assert rows and all(r[k] == "" for r in rows for k in LOCATION_COLUMNS)
    assert all(c.location == {} for c in report.changes)


def test_a_defect_not_re_observed_keeps_last_times_place() -> None:
    from dataclasses import replace

    from test_change import _inspection

    from groundstation.registry.locate import location_cells

    there = location_cells({"label": "pier P1", "face": "west face", "along_face_m": 1.234, "above_base_m": 2.0})
    prev = replace(_inspection("/tmp/a", "2024-05-01", [(0, 0, 0), (5, 0, 0)]), locations={"F-0002": there})
    report = compare(prev, _inspection("/tmp/b", "2025-05-01", [(0, 0, 0)]))
    gone = next(c for c in report.changes if c.status == "not_re_observed")
    assert gone.previous_finding_id == "F-0002" and gone.location == there
    row = next(r for r in _rows(change_table_csv(report)) if r["status"] == "not_re_observed")
    assert (row["face"], row["along_face_m"], row["above_base_m"]) == ("west face", "1.23", "2.00")
