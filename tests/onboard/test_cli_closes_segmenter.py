"""`skyinspect onboard` closes the segmenter it loaded (the TensorRT backend frees its GPU buffers there,
models/tensorrt_runtime.py), after a replay and when the replay fails; a segmenter without close() is fine."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from onboard_helpers import DarkPixelSegmenter, make_frames, write_camera
from onboard_synth import flight_records, write_tlog
from typer.testing import CliRunner

from skyinspect.cli.main_errors import handle_errors
from skyinspect.cli.onboard_live import onboard_command


class _Closing(DarkPixelSegmenter):
    closed = 0

    def close(self) -> None:
        type(self).closed += 1


def test_onboard_closes_its_segmenter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import models

    app = typer.Typer()
    app.command("onboard")(handle_errors(onboard_command))
    app.command("noop")(lambda: None)
    monkeypatch.setattr(models, "load_segmenter", lambda path=None, **_kw: _Closing())
    frames = make_frames(tmp_path / "frames", 2)
    write_camera(tmp_path / "camera.json")
    tlog = write_tlog(tmp_path / "f.tlog", flight_records(feedback_boot_s=[101.0, 102.0]))
    args = ["onboard", "--frames", str(frames), "--mavlink", str(tlog), "--camera", str(tmp_path / "camera.json")]
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    assert _Closing.closed == 1
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "b"), "--frame-clock", "gps"])  # refused by the replay
    assert r.exit_code == 2, r.output
    assert _Closing.closed == 2
    monkeypatch.setattr(models, "load_segmenter", lambda path=None, **_kw: DarkPixelSegmenter())  # no close()
    r = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
