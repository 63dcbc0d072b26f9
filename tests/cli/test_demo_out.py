"""demo --out: a file or a folder that is no earlier demo is refused before anything is run or removed."""

from pathlib import Path

from typer.testing import CliRunner

from skyinspect.cli.main import app


def test_demo_out_that_is_a_file_is_refused_by_name(tmp_path: Path) -> None:
    out = tmp_path / "notes.txt"
    out.write_text("keep")
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--small"])
    assert result.exit_code == 2, result.output
    assert "notes.txt" in result.output and "file" in result.output
    assert out.read_text() == "keep"


def test_demo_overwrite_keeps_a_folder_that_is_no_earlier_demo(tmp_path: Path) -> None:
    # --overwrite had removed any non-empty --out: `demo --out ~/Documents --overwrite` lost the folder
    out = tmp_path / "Documents"
    (out / "thesis").mkdir(parents=True)
    (out / "thesis" / "draft.txt").write_text("years of work")
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--overwrite", "--small"])
    assert result.exit_code == 2, result.output
    assert "Documents" in result.output and "not an earlier demo" in result.output
    assert (out / "thesis" / "draft.txt").read_text() == "years of work"


def test_demo_overwrite_accepts_an_earlier_demo(tmp_path: Path) -> None:
    from skyinspect.cli.demo import check_demo_out

    for name in ("simulation", "flight", "results"):
        (tmp_path / name).mkdir()
    check_demo_out(tmp_path, overwrite=True)  # an earlier (or interrupted) demo: replaced
