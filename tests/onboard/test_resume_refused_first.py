"""An --out holding another flight's record (or a record of the other mode) is refused before the sources are
opened: the refusal (_check_resumed) came only after the live camera had been opened or a replay's whole log had
been read by plan_replay, so a user waited through a long log, and a camera was held, to be told to pick another
--out. Repro: the camera opens and the log reads counted up to the refusal: 1 each before, 0 after."""

from __future__ import annotations

from pathlib import Path

import pytest
from kill_helpers import camera, make_kill_flight
from onboard_helpers import DarkPixelSegmenter, make_frames

from skyinspect.errors import InputError


def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    import onboard.capture
    import onboard.replay

    calls = {"open_camera": 0, "plan_replay": 0}
    for module, name in ((onboard.capture, "open_camera"), (onboard.replay, "plan_replay")):
        real = getattr(module, name)

        def counted(*args, _real=real, _name=name, **kwargs):  # type: ignore[no-untyped-def]
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return calls


def test_another_flights_record_is_refused_before_the_log_is_read(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from onboard.runtime import run_onboard

    frames_a, tlog_a = make_kill_flight(tmp_path / "A", n_frames=3)
    frames_b, tlog_b = make_kill_flight(tmp_path / "B", n_frames=3)
    out = tmp_path / "rec"
    run_onboard(frames_a, tlog_a, out, DarkPixelSegmenter(), camera())
    calls = _counting(monkeypatch)
    with pytest.raises(InputError, match="another flight"):
        run_onboard(frames_b, tlog_b, out, DarkPixelSegmenter(), camera())
    assert calls == {"open_camera": 0, "plan_replay": 0}
    summary = run_onboard(frames_a, tlog_a, out, DarkPixelSegmenter(), camera())  # its own flight still resumes
    assert calls["plan_replay"] == 1 and summary.stats.skipped == 3


def test_a_replays_record_is_refused_before_the_live_camera_opens(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from onboard.runtime import run_onboard

    frames, tlog = make_kill_flight(tmp_path / "A", n_frames=2)
    out = tmp_path / "rec"
    run_onboard(frames, tlog, out, DarkPixelSegmenter(), camera())
    calls = _counting(monkeypatch)
    with pytest.raises(InputError, match="holds the record of a replay"):
        run_onboard(make_frames(tmp_path / "cam", 2), "udpin:127.0.0.1:1", out, DarkPixelSegmenter(), camera(),
                    max_frames=2, realtime_fps=20.0, link_timeout_s=0.2, duration_s=2.0)
    assert calls == {"open_camera": 0, "plan_replay": 0}


def test_a_bad_link_string_is_still_said_first(tmp_path: Path) -> None:
    """Which error wins: a link string that can never open (a typo) is said before the --out is looked at."""
    from onboard.runtime import run_onboard

    frames, tlog = make_kill_flight(tmp_path / "A", n_frames=2)
    out = tmp_path / "rec"
    run_onboard(frames, tlog, out, DarkPixelSegmenter(), camera())
    with pytest.raises(InputError) as err:
        run_onboard(make_frames(tmp_path / "cam", 2), "udpin:127.0.0.1:notaport", out, DarkPixelSegmenter(),
                    camera(), max_frames=2)
    assert "port must be a number" in str(err.value) and "holds the record" not in str(err.value)
