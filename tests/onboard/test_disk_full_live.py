"""A disk that fills during a flight: the run ends with its summary, never a traceback (session 19)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import typer
from onboard_helpers import DarkPixelSegmenter, make_frames, write_camera
from onboard_synth import flight_records, write_tlog
from typer.testing import CliRunner

from skyinspect.cli.main_errors import handle_errors
from skyinspect.cli.onboard_live import onboard_command
from skyinspect.drift import DriftReference, frame_stats
from skyinspect.errors import RecordError
from skyinspect.record import FlightRecordReader, FlightRecordWriter


class _WithDriftReference(DarkPixelSegmenter):
    """The shipped model carries a drift reference: the record stores a verdict when it closes."""

    drift_reference = DriftReference.from_stats("test-dark-pixels", [frame_stats(np.full((48, 64, 3), 200, np.uint8))])


def test_a_disk_that_fills_mid_flight_ends_with_the_summary_not_a_traceback(tmp_path: Path, monkeypatch) -> None:
    # Found on a 700 kB tmpfs with the live CLI: images stopped, then SQLite itself failed ('database
    # or disk is full') and closing the record (drift verdict, meta) ended in a traceback, exit 1, no
    # summary; the frames not recorded were in no summary either.
    import models

    monkeypatch.setattr(models, "load_segmenter", lambda path=None, **_kw: _WithDriftReference())
    full = {"frames": 0}
    add_frame, set_meta = FlightRecordWriter.add_frame, FlightRecordWriter.set_meta

    def filling_add_frame(self, frame_index, *args, **kwargs):  # type: ignore[no-untyped-def]
        full["frames"] += 1
        if full["frames"] > 2:
            raise RecordError(f"{self.folder}: cannot record frame {frame_index} (database or disk is full)")
        return add_frame(self, frame_index, *args, **kwargs)

    def filling_set_meta(self, key, value):  # type: ignore[no-untyped-def]
        if full["frames"] > 2:
            raise sqlite3.OperationalError("database or disk is full")
        return set_meta(self, key, value)

    monkeypatch.setattr(FlightRecordWriter, "add_frame", filling_add_frame)
    monkeypatch.setattr(FlightRecordWriter, "set_meta", filling_set_meta)
    frames = make_frames(tmp_path / "frames", 5)
    write_camera(tmp_path / "camera.json")
    tlog = write_tlog(tmp_path / "f.tlog", flight_records(feedback_boot_s=[101.0, 102.0, 103.0, 104.0, 105.0]))
    app = typer.Typer()
    app.command("onboard")(handle_errors(onboard_command))
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["onboard", "--frames", str(frames), "--mavlink", str(tlog), "--camera",
                                 str(tmp_path / "camera.json"), "--out", str(tmp_path / "rec"), "--crash-safe"])
    assert r.exit_code == 0, (r.output, r.exception)
    text = " ".join(r.output.split())
    assert "recorded 2 frames" in text and "3 frames NOT recorded" in text and "Free space" in text
    with FlightRecordReader(tmp_path / "rec") as reader:  # what was committed opens
        assert len(list(reader.frames())) == 2
