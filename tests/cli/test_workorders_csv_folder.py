"""`workorders --write-csv` into a folder that is not there says so and what to do ('cannot write (No such
file or directory)' named the CSV, not the missing folder, and gave no fix)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from skyinspect.cli.main import app


def test_a_csv_in_a_missing_folder_names_the_folder(inspections: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "cmms" / "orders.csv"
    result = CliRunner().invoke(app, ["workorders", str(inspections[1]), "--write-csv", str(target)])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "Traceback" not in said, said
    assert f"{target}: cannot write: its folder {tmp_path / 'cmms'} does not exist" in said, said
    assert "mkdir -p" in said, said
    assert list(tmp_path.iterdir()) == []
