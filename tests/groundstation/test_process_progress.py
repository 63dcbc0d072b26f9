"""What `skyinspect process` shows while it works: a bar for every stage that runs long on a big flight.

On the 1,000-frame bench flight the bars of georeferencing, tie points and measuring were followed
by 6-10 s of silence while publish wrote the products (report.pdf alone grows with the findings:
199 pages at 864); at 10,000 frames that is minutes with nothing on screen after "measuring 100 %".
"""

from __future__ import annotations

from pathlib import Path

from gs_fixtures import face_surface

from groundstation.pipeline import process


def test_publish_shows_progress_per_product(tmp_path: Path, two_defect_flight, capsys) -> None:  # type: ignore[no-untyped-def]
    folder, _ = two_defect_flight
    process(folder, tmp_path / "out", face_surface(), progress=True)
    out = capsys.readouterr().out
    assert "georeferencing frames" in out  # the stages that had a bar still do
    assert "publishing" in out


def test_no_progress_prints_nothing(tmp_path: Path, two_defect_flight, capsys) -> None:  # type: ignore[no-untyped-def]
    folder, _ = two_defect_flight
    process(folder, tmp_path / "out", face_surface(), progress=False)
    assert "publishing" not in capsys.readouterr().out


def test_publish_again_shows_progress_too(tmp_path: Path, two_defect_flight, capsys) -> None:  # type: ignore[no-untyped-def]
    """`skyinspect publish RESULTS` is the publish stage alone: on a big flight, the whole command."""
    from groundstation.republish import publish_reviewed

    folder, _ = two_defect_flight
    process(folder, tmp_path / "out", face_surface(), progress=False)
    capsys.readouterr()
    publish_reviewed(tmp_path / "out", folder, progress=True)
    assert "publishing" in capsys.readouterr().out
