"""`skyinspect <cmd> --help` says what the command writes, as docs/missions.md does (session 24 docs check)."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from skyinspect.cli.main import app


def _help(*cmd: str) -> str:
    result = CliRunner().invoke(app, [*cmd, "--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    # the help is drawn in a box: join its wrapped lines into one text
    return re.sub(r"\s*[│╭╮╰╯─]+\s*", " ", result.output)


def test_plan_out_help_names_the_files_of_a_mission_cut_into_flights() -> None:
    """A mission longer than one battery is written as flight_01/, flight_02/, ... with flights.csv and
    flights.kml (docs/missions.md, Flights); the --out help named only one flight's files."""
    text = _help("plan")
    for name in ("mission.plan", "flight_01/", "flights.csv", "flights.kml", "preview.html"):
        assert name in text, name


def test_onboard_camera_help_says_a_live_camera_needs_it() -> None:
    """`skyinspect onboard --frames 0 ...` without --camera exits 2 ('live cameras need --camera
    CALIB.yaml'); the option's help said only 'OpenCV calibration YAML/JSON.'"""
    text = _help("onboard")
    assert re.search(r"--camera\s+<path>\s+OpenCV calibration YAML/JSON((?!--model).)*needed for a live camera", text), text


def test_replay_into_a_used_folder_names_the_overwrite_option(tmp_path) -> None:
    """The refusal named the fix as 'pass overwrite', which is no option a user can type."""
    from pathlib import Path

    photos = Path(__file__).resolve().parents[1] / "data" / "telemetry" / "dji_phantom3_brighton"
    out = tmp_path / "flight"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = CliRunner().invoke(app, ["onboard", "--frames", str(photos), "--out", str(out)],
                                env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 2, result.output
    assert "output folder is not empty" in result.output and "--overwrite" in result.output, result.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
