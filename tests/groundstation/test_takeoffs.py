"""Frames flown after more than one take-off, processed on the default ground plane.

DJI photos from several batteries land in one card folder; each photo's RelativeAltitude counts from its
own take-off. The default ground plane lies at the first tagged frame's take-off (alt_msl - alt_rel), so
the frames of a take-off at another height are placed on ground that is not theirs, which nothing said.

Fixtures: copies of the Brighton Phantom 3 photos in tests/data (BSD-2-Clause, LICENSE beside them);
DJI_0020 and DJI_0021's XMP RelativeAltitude +40.10 written +30.10 (a second take-off 10 m higher, the
aircraft at the same AbsoluteAltitude): synthetic, said so here."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import numpy as np

from groundstation.pipeline import process
from onboard.replay import run_replay
from skyinspect.camera import CameraModel
from skyinspect.segmentation import Segmentation

DJI_DIR = Path(__file__).resolve().parents[1] / "data" / "telemetry" / "dji_phantom3_brighton"


class _NoDefects:
    """A segmenter that finds nothing: only the frames' footprints and the notes are looked at."""

    model_id = "test-no-defects"
    sha256 = "0" * 64

    def segment(self, image_bgr: np.ndarray) -> Segmentation:
        return Segmentation(np.zeros(image_bgr.shape[:2], np.uint8), (), self.model_id)


def _record(tmp_path: Path, second_takeoff: bool) -> Path:
    folder = tmp_path / "card"
    folder.mkdir()
    for name in ("DJI_0018.JPG", "DJI_0019.JPG", "DJI_0020.JPG", "DJI_0021.JPG"):
        data = (DJI_DIR / name).read_bytes()
        if second_takeoff and name in ("DJI_0020.JPG", "DJI_0021.JPG"):
            assert data.count(b'RelativeAltitude="+40.10"') == 1
            data = data.replace(b'RelativeAltitude="+40.10"', b'RelativeAltitude="+30.10"')
        (folder / name).write_bytes(data)
    camera = CameraModel(160, 90, 93.6, 93.6, 79.5, 44.5)  # fx as the EXIF estimate gives at 160 px
    run_replay(folder, folder, tmp_path / "flight", _NoDefects(), camera, progress=False)
    shutil.rmtree(folder)
    return tmp_path / "flight"


def test_frames_of_a_second_takeoff_are_said_with_their_heights(tmp_path: Path) -> None:
    """Before: frames 3-4 (30.1 m above their own take-off) were placed at 40.1 m range on the first take-off's
    plane (footprints 2,640 m2 where 30.1 m gives 1,488: 33 % on every size measured in them), nothing said."""
    summary = process(_record(tmp_path, True), tmp_path / "out", progress=False)
    notes = [n for n in summary.record_notes if "take-off" in n]
    assert len(notes) == 1, summary.record_notes
    note = notes[0]
    assert "2 take-offs" in note and "frames 1-2" in note and "frames 3-4" in note
    assert "158.51" in note and "168.51" in note and "10.0 m" in note
    assert "--surface" in note
    assert note in html.unescape((tmp_path / "out" / "report.html").read_text())  # the report says it too


def test_one_takeoff_says_nothing(tmp_path: Path) -> None:
    summary = process(_record(tmp_path, False), tmp_path / "out", progress=False)
    assert not [n for n in summary.record_notes if "take-off" in n]


def test_a_home_drifting_within_one_flight_is_no_second_takeoff() -> None:
    """The real ArduPlane 2016 log's alt - relative_alt drifts 592.48-594.37 m in 132 s: one take-off. A gap of
    more than TAKEOFF_GAP_M between the frames' heights parts two, wherever they lie in the flight."""
    from types import SimpleNamespace

    from groundstation.takeoffs import takeoff_notes

    def flight(homes: list[float]) -> SimpleNamespace:
        frames = [SimpleNamespace(frame_index=i, pose=SimpleNamespace(alt_msl_m=h + 40.0, alt_rel_m=40.0))
                  for i, h in enumerate(homes, start=1)]
        return SimpleNamespace(frames=frames, home_alt_msl_m=homes[0])

    drifting = [592.48 + 1.89 * i / 59 for i in range(60)]
    assert takeoff_notes(flight(drifting), True) == ()
    apart = [100.0] * 3 + [102.5] * 2 + [100.1]  # back to the first take-off for frame 6
    (note,) = takeoff_notes(flight(apart), True)
    assert "2 take-offs" in note and "frames 1-3, 6 above 100.00 m; frames 4-5 above 102.50 m" in note
    assert takeoff_notes(flight(apart), False) == ()  # a surface given: the take-off heights place nothing
