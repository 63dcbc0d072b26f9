"""What `process` says when frames could not be georeferenced (ProcessSummary.why_not_georeferenced)."""

from __future__ import annotations

from pathlib import Path

from groundstation.pipeline import ProcessSummary


def _summary(reasons: tuple[str, ...], tagged: int) -> ProcessSummary:
    return ProcessSummary(Path("."), tagged, tagged, 0, tagged - len(reasons), len(reasons), 0, 0,
                          not_georeferenced_reasons=reasons)


def test_every_camera_behind_the_surface_names_the_flipped_normal() -> None:
    reasons = tuple(f"camera is {d:.2f} m behind plane 'pier'" for d in (2.9, 3.0, 3.1))
    text = _summary(reasons, tagged=3).why_not_georeferenced()
    assert text.startswith("all: camera is 2.90 m behind plane 'pier'") and "flip the sign of normal_enu" in text


def test_the_commonest_reason_is_counted_and_no_fix_is_guessed_for_a_mixed_flight() -> None:
    reasons = ("camera is 1.00 m behind plane 'pier'", "no 3D GNSS fix", "no 3D GNSS fix")
    text = _summary(reasons, tagged=10).why_not_georeferenced()
    assert text == "2 of them: no 3D GNSS fix"
    assert _summary((), tagged=10).why_not_georeferenced() == ""
