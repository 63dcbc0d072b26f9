"""The typer wiring of skyinspect/cli/onboard_live.py (registered by the lead as `skyinspect onboard`)."""

from __future__ import annotations

from pathlib import Path

import typer
from onboard_helpers import DarkPixelSegmenter, make_frames, write_camera
from onboard_synth import flight_records, write_tlog
from typer.testing import CliRunner

from skyinspect.cli.main_errors import handle_errors
from skyinspect.cli.onboard_live import onboard_command
from skyinspect.record import FlightRecordReader


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("onboard")(handle_errors(onboard_command))
    app.command("noop")(lambda: None)
    return app


def test_cli_crash_safe_replay_and_errors(tmp_path: Path, monkeypatch) -> None:
    import models

    monkeypatch.setattr(models, "load_segmenter", lambda path=None, **_kw: DarkPixelSegmenter())
    frames = make_frames(tmp_path / "frames", 3)
    write_camera(tmp_path / "camera.json")
    tlog = write_tlog(tmp_path / "f.tlog", flight_records(feedback_boot_s=[101.0, 102.0, 103.0]))
    args = ["onboard", "--frames", str(frames), "--mavlink", str(tlog), "--camera", str(tmp_path / "camera.json")]
    r = CliRunner().invoke(_app(), args + ["--out", str(tmp_path / "a"), "--crash-safe"])
    assert r.exit_code == 0, r.output
    assert "recorded 3 frames (3 tagged" in r.output
    r = CliRunner().invoke(_app(), args + ["--out", str(tmp_path / "b")])
    assert r.exit_code == 0 and "recorded 3 frames" in r.output
    with FlightRecordReader(tmp_path / "b") as reader:
        assert len(reader) == 3
    r = CliRunner().invoke(_app(), ["onboard", "--frames", str(frames), "--mavlink", str(tmp_path / "nope.bin"),
                                    "--out", str(tmp_path / "c"), "--camera", str(tmp_path / "camera.json")])
    assert r.exit_code == 2 and "not found" in r.output
    r = CliRunner().invoke(_app(), args + ["--out", str(tmp_path / "d"), "--frame-clock", "gps"])
    assert r.exit_code == 2 and "frame clock must be one of" in r.output  # --frame-clock reaches the replay


def test_cli_refuses_a_malformed_live_link_with_exit_code_2(tmp_path: Path, monkeypatch) -> None:
    import models

    monkeypatch.setattr(models, "load_segmenter", lambda path=None, **_kw: DarkPixelSegmenter())
    frames = make_frames(tmp_path / "frames", 2)
    write_camera(tmp_path / "camera.json")
    r = CliRunner().invoke(_app(), ["onboard", "--frames", str(frames), "--mavlink", "udpin:0.0.0.0",
                                    "--realtime-fps", "8", "--camera", str(tmp_path / "camera.json"),
                                    "--out", str(tmp_path / "rec")])
    assert r.exit_code == 2 and "udpin:0.0.0.0" in r.output and "HOST:PORT" in r.output, r.output
    assert not (tmp_path / "rec").exists()
