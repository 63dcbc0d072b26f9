"""`onboard --crash-safe` resumes a record it was killed writing: frames already in it are skipped by
number. An --out holding another flight's record was 'resumed' the same way: its frames 1..N stood for
the new flight's first N (skipped, never segmented) while the meta named only the new flight's frames and
log. Repro: flight A (4 frames) then flight B (6 frames, other folder and log) into one --out: 6 frames,
4 of them A's, frames_source B, no word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kill_helpers import camera, make_kill_flight
from onboard_helpers import DarkPixelSegmenter

from skyinspect.errors import InputError
from skyinspect.record import FlightRecordReader


def test_a_record_of_another_flight_is_not_resumed(tmp_path: Path) -> None:
    from onboard.runtime import run_onboard

    frames_a, tlog_a = make_kill_flight(tmp_path / "A", n_frames=4)
    frames_b, tlog_b = make_kill_flight(tmp_path / "B", n_frames=6)
    out = tmp_path / "rec"
    run_onboard(frames_a, tlog_a, out, DarkPixelSegmenter(), camera())
    with pytest.raises(InputError) as err:
        run_onboard(frames_b, tlog_b, out, DarkPixelSegmenter(), camera())
    text = str(err.value)
    assert "another flight" in text and str(frames_a.resolve()) in text and "new --out" in text
    with FlightRecordReader(out) as reader:  # untouched: A's frames, A's meta, A's ending
        assert len(reader) == 4
        assert Path(reader.meta["frames_source"]).resolve() == frames_a.resolve()
        assert json.loads(reader.meta["ended"])["how"] == "the frames ended"
    # the same frames with another log: the poses recorded so far came from the first one
    with pytest.raises(InputError, match="another flight"):
        run_onboard(frames_a, tlog_b, out, DarkPixelSegmenter(), camera())


def test_the_same_flight_is_resumed_whatever_the_paths_were_spelled(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from onboard.runtime import run_onboard

    frames, tlog = make_kill_flight(tmp_path / "A", n_frames=5)
    out = tmp_path / "rec"
    monkeypatch.chdir(tmp_path)
    run_onboard(Path("A/frames"), Path("A/flight.tlog"), out, DarkPixelSegmenter(), camera(), max_frames=2)
    monkeypatch.chdir(tmp_path / "A")  # resumed from elsewhere, with the full paths
    summary = run_onboard(frames.resolve(), tlog.resolve(), out, DarkPixelSegmenter(), camera())
    assert summary.stats.skipped == 2 and summary.stats.recorded == 3
    with FlightRecordReader(out) as reader:
        assert len(reader) == 5


def test_a_live_run_does_not_append_to_a_replayed_record(tmp_path: Path) -> None:
    """A live run numbers its frames after the record's; into a replay's record (a ground replay's --out
    reused on the aircraft) it appended the live flight to the replayed one under meta mode 'live'."""
    from onboard.runtime import run_onboard
    from onboard_helpers import make_frames

    frames, tlog = make_kill_flight(tmp_path / "A", n_frames=3)
    out = tmp_path / "rec"
    run_onboard(frames, tlog, out, DarkPixelSegmenter(), camera())
    with pytest.raises(InputError, match="holds the record of a replay") as err:  # no vehicle needed: refused first
        run_onboard(make_frames(tmp_path / "cam", 2), "udpin:127.0.0.1:1", out, DarkPixelSegmenter(), camera(),
                    max_frames=2, realtime_fps=20.0, link_timeout_s=0.2, duration_s=2.0)
    assert "new --out" in str(err.value)
    with FlightRecordReader(out) as reader:
        assert len(reader) == 3 and reader.meta["mode"] == "onboard-replay"
