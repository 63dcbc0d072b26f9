"""`skyinspect change OLD NEW`: the change table and JSON, defect identity carried into NEW, bad input refused."""

from __future__ import annotations

import codecs
import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from skyinspect.cli.main import app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_change_writes_table_json_and_defect_ids(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = _copy(inspections[0], tmp_path / "old"), _copy(inspections[1], tmp_path / "new")
    out = tmp_path / "change"
    code, text = _run("change", str(old), str(new), "--out", str(out))
    assert code == 0, text
    assert "1 new, 1 grown, 1 stable, 1 not re observed; 1 escalated" in text
    wide = CliRunner().invoke(app, ["change", str(old), str(new), "--out", str(tmp_path / "wide")],
                              env={"COLUMNS": "240"}).output
    assert "new crack line" in wide  # where it grew, beside how much

    report = json.loads((out / "change.json").read_text())
    assert sorted(c["status"] for c in report["changes"]) == ["grown", "new", "not_re_observed", "stable"]
    assert report["years"] == pytest.approx(1.0, abs=0.01)
    raw = (out / "change.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)  # Excel reads it as UTF-8, not the ANSI code page
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["defect_uid"] for r in rows] == [c["defect_uid"] for c in report["changes"]]
    grown = next(r for r in rows if r["status"] == "grown")
    assert float(grown["length_mm_delta"]) == pytest.approx(250, abs=10)
    assert "new crack line" in grown["note"]
    assert float(grown["length_mm_per_year"]) == pytest.approx(250, abs=10)
    assert grown["length_mm_significant"] == "yes" and grown["escalated"] == "yes"
    assert (grown["previous_grade"], grown["current_grade"]) == ("CAT4", "CAT5")
    gone = next(r for r in rows if r["status"] == "not_re_observed")
    assert gone["finding_id"] == "" and gone["previous_finding_id"]

    # defects.json goes into NEW (the next comparison reads it there), not into --out
    assert not (out / "defects.json").exists()
    uids = json.loads((new / "defects.json").read_text())["uids"]
    assert uids[grown["finding_id"]] == grown["defect_uid"] and grown["defect_uid"].startswith("asset:2023-")
    assert set(uids) == {c["finding_id"] for c in report["changes"] if c["finding_id"]}


def test_change_out_defaults_to_the_new_results_folder(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = inspections[0], _copy(inspections[1], tmp_path / "new")
    code, text = _run("change", str(old), str(new))
    assert code == 0, text
    assert {"change.json", "change.csv", "defects.json"} <= {p.name for p in new.iterdir()}


def test_change_csv_names_both_inspections(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    """change.csv alone (mailed, opened in a spreadsheet) said neither inspection nor its date: the
    per-year rates over an unknown span, a 2024->2025 table not told from a 2025->2026 one."""
    old, new = inspections[0], _copy(inspections[1], tmp_path / "new")
    code, text = _run("change", str(old), str(new), "--out", str(tmp_path / "out"))
    assert code == 0, text
    report = json.loads((tmp_path / "out" / "change.json").read_text())
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "change.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4 and report["previous_date"] < report["current_date"]
    for row in rows:
        assert (row["previous_date"], row["current_date"]) == (report["previous_date"], report["current_date"])
        assert (row["previous_results"], row["current_results"]) == (str(old), str(new))


def test_missing_folder_is_refused_and_nothing_is_written(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    new = _copy(inspections[1], tmp_path / "new")
    before = _listing(new)
    code, text = _run("change", str(tmp_path / "nope"), str(new), "--out", str(tmp_path / "out"))
    assert code == 2 and "nope" in text and "no such results folder" in text and "Traceback" not in text
    assert not (tmp_path / "out").exists() and _listing(new) == before


def test_not_a_results_folder_is_refused(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, text = _run("change", str(inspections[0]), str(empty), "--out", str(tmp_path / "out"))
    assert code == 2 and "inspection.json" in text and "not a skyinspect results folder" in text
    assert not (tmp_path / "out").exists() and _listing(empty) == []


def test_damaged_results_folder_is_refused(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    new = _copy(inspections[1], tmp_path / "new")
    (new / "stages" / "findings.json").write_text("{not json")
    code, text = _run("change", str(inspections[0]), str(new), "--out", str(tmp_path / "out"))
    assert code == 2 and "findings.json" in text and "unreadable" in text
    assert not (tmp_path / "out").exists() and not (new / "defects.json").exists()


@pytest.mark.parametrize("side", [0, 1])
def test_a_results_folder_without_its_grades_is_refused(inspections: tuple[Path, Path], tmp_path: Path,
                                                        side: int) -> None:
    """Without stages/grades.json every grade read '-': '0 escalated' said, exit 0, for a folder whose
    grades had been lost (process writes it with inspection.json, always)."""
    folders = [_copy(inspections[0], tmp_path / "old"), _copy(inspections[1], tmp_path / "new")]
    (folders[side] / "stages" / "grades.json").unlink()
    code, text = _run("change", str(folders[0]), str(folders[1]), "--out", str(tmp_path / "out"))
    said = " ".join(text.split())
    assert code == 2 and f"{folders[side] / 'stages' / 'grades.json'}: missing" in said, said
    assert "Process the flight again" in said and "Traceback" not in said
    assert not (tmp_path / "out").exists() and not (folders[1] / "defects.json").exists()


def test_one_flight_in_two_folders_is_refused(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    """A copy of a results folder, or its flight processed again into another: the same inspection, which
    read 'everything stable over 0.00 years', exit 0; only the same folder twice was refused."""
    old, copy = _copy(inspections[0], tmp_path / "old"), _copy(inspections[0], tmp_path / "copy")
    code, text = _run("change", str(old), str(copy), "--out", str(tmp_path / "out"))
    said = " ".join(text.split())
    assert code == 2 and "the same flight as the previous inspection" in said and "Traceback" not in said, said
    assert "two different flights" in said
    assert not (tmp_path / "out").exists() and not (copy / "defects.json").exists()


def test_swapped_order_is_refused(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    old = _copy(inspections[0], tmp_path / "old")
    code, text = _run("change", str(inspections[1]), str(old), "--out", str(tmp_path / "out"))
    assert code == 2 and "before the previous inspection" in text and "older results folder first" in text
    assert not (tmp_path / "out").exists() and not (old / "defects.json").exists()


def test_bad_gate_is_refused(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    code, text = _run("change", str(inspections[0]), str(inspections[1]), "--out", str(tmp_path / "out"),
                      "--gate-m", "0")
    assert code == 2 and "--gate-m" in text
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option, value", [("--gate-m", "nan"), ("--gate-m", "inf"), ("--k-sigma", "nan"),
                                           ("--k-sigma", "inf")])
def test_a_gate_or_k_sigma_that_is_no_finite_number_is_refused(inspections: tuple[Path, Path], tmp_path: Path,
                                                                option: str, value: str) -> None:
    """nan passed the '<= 0' check: no distance is within a nan gate, so every defect came out new and
    not re-observed (and inf k-sigma: nothing ever grown), written into NEW's defects.json, exit 0."""
    new = _copy(inspections[1], tmp_path / "new")
    before = _listing(new)
    code, text = _run("change", str(inspections[0]), str(new), "--out", str(tmp_path / "out"), option, value)
    assert code == 2 and option in text and value in text, text
    assert not (tmp_path / "out").exists() and _listing(new) == before


def test_an_out_that_is_a_file_is_refused_with_the_fix(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    """It said "cannot create the output folder ([Errno 17] File exists: ...)"."""
    new = _copy(inspections[1], tmp_path / "new")
    taken = tmp_path / "change.txt"
    taken.write_text("notes")
    code, text = _run("change", str(inspections[0]), str(new), "--out", str(taken))
    flat = " ".join(text.split())
    assert code == 2 and "change.txt: is a file" in flat and "Give --out a folder path" in flat, text
    assert taken.read_text() == "notes" and not (new / "defects.json").exists()
