"""Corrupt and truncated DataFlash / ULog / DJI JPEG inputs: a clear TelemetryError/ImageError naming
the file, or the good part kept with a warning — never a bare crash (Hypothesis)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onboard_helpers import DJI_DIR, PLANE_BIN, PX4_ULOG

from onboard.frames import ImageFolderSource
from onboard.telemetry.dji import read_photo
from onboard.telemetry.sources import read_telemetry
from skyinspect.errors import ImageError, TelemetryError

_BIN = PLANE_BIN.read_bytes()
_ULG = PX4_ULOG.read_bytes()
_JPG = (DJI_DIR / "DJI_0018.JPG").read_bytes()
_SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _mutate(data: bytes, cut: int, flips: list[int]) -> bytes:
    out = bytearray(data[:max(cut, 0)])
    for bit in flips:
        if out:
            out[(bit // 8) % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


def _read_or_clear_error(path: Path) -> None:
    try:
        records, _ = read_telemetry(path)
    except TelemetryError as exc:
        assert str(path) in str(exc) or path.name in str(exc)
        return
    assert isinstance(records, list)


@_SETTINGS
@given(cut=st.integers(0, len(_BIN)), flips=st.lists(st.integers(0, len(_BIN) * 8), max_size=6))
def test_dataflash_corrupt(tmp_path: Path, cut: int, flips: list[int]) -> None:
    path = tmp_path / "x.BIN"
    path.write_bytes(_mutate(_BIN, cut, flips))
    _read_or_clear_error(path)


@_SETTINGS
@given(cut=st.integers(0, len(_ULG)), flips=st.lists(st.integers(0, 4000 * 8), max_size=4))
def test_ulog_corrupt(tmp_path: Path, cut: int, flips: list[int]) -> None:
    path = tmp_path / "x.ulg"
    path.write_bytes(_mutate(_ULG, cut, flips))  # flips land in the header/definitions (first 4 kB)
    _read_or_clear_error(path)


@_SETTINGS
@given(cut=st.integers(0, len(_JPG)), flips=st.lists(st.integers(0, len(_JPG) * 8), max_size=6))
def test_dji_jpeg_corrupt(tmp_path: Path, cut: int, flips: list[int]) -> None:
    folder = tmp_path / "f"
    folder.mkdir(exist_ok=True)
    path = folder / "DJI_0001.JPG"
    path.write_bytes(_mutate(_JPG, cut, flips))
    try:
        read_photo(path)
    except TelemetryError as exc:
        assert path.name in str(exc)
    try:
        for _ in ImageFolderSource(folder):
            pass
    except ImageError as exc:
        assert path.name in str(exc)


def test_truncated_dataflash_keeps_prefix(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "cut.BIN"
    path.write_bytes(_BIN[: len(_BIN) * 3 // 4 + 7])
    records, kind = read_telemetry(path)
    full, _ = read_telemetry(PLANE_BIN)
    assert kind == "dataflash" and 0 < len(records) <= len(full)


def test_not_a_log(tmp_path: Path) -> None:
    path = tmp_path / "x.ulg"
    path.write_bytes(b"\xa3\x95garbage" * 3)
    with pytest.raises(TelemetryError) as info:
        read_telemetry(path)
    assert str(path) in str(info.value)


def test_dataflash_messages_with_corrupt_fields_are_skipped_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    """Flipped bits in a FMT definition give messages without TimeUS or with NaN in an integer field
    (both found by the Hypothesis test above): those messages are skipped with a warning, the rest kept."""
    from types import SimpleNamespace

    from onboard.telemetry.dataflash import _to_mavlink

    def msg(**fields: float) -> SimpleNamespace:
        return SimpleNamespace(_timestamp=1.7e9 + fields.get("TimeUS", 0) * 1e-6, **fields)

    raw = {"POS": [msg(TimeUS=1_000_000, Lat=47.0, Lng=8.0, Alt=500.0, RelHomeAlt=20.0)],
           "ATT": [msg(Roll=1.0, Pitch=2.0, Yaw=3.0), msg(TimeUS=1_000_000, Roll=1.0, Pitch=2.0, Yaw=3.0)],
           "GPS": [msg(TimeUS=1_000_000, Status=float("nan"), Lat=47.0, Lng=8.0, Alt=500.0, HDop=1.0,
                       NSats=10, GWk=2300, GMS=1000)],
           "GPA": [], "CAM": [], "MNT": []}
    with caplog.at_level("WARNING"):
        recs = _to_mavlink(Path("x.BIN"), raw)
    assert sorted(r[1].get_type() for r in recs) == ["ATTITUDE", "GLOBAL_POSITION_INT"]
    assert "skipped 1 ATT, 1 GPS DataFlash messages with corrupt fields" in caplog.text


def test_a_frame_cut_short_is_named_as_such(tmp_path: Path) -> None:
    """A photo the camera never finished writing: the replay says which and why, not just 'cannot be decoded'."""
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "DJI_0001.JPG").write_bytes(_JPG)
    (folder / "DJI_0002.JPG").write_bytes(_JPG[:len(_JPG) * 3 // 4])
    with pytest.raises(ImageError, match=r"DJI_0002\.JPG: is cut short"):
        for _ in ImageFolderSource(folder):
            pass


def test_macos_metadata_files_beside_the_photos_are_not_frames(tmp_path: Path) -> None:
    """Found replaying a copy of the Brighton DJI photos with the ._DJI_0018.JPG macOS writes beside
    each photo on a FAT/exFAT card: `skyinspect onboard --frames DIR` said the photos carry no pose
    (the folder was not recognised as DJI photos) and with --mavlink the ._ file was refused as a frame."""
    import shutil

    from onboard.telemetry.dji import is_dji_folder, photo_paths

    folder = tmp_path / "card"
    folder.mkdir()
    shutil.copy(DJI_DIR / "DJI_0018.JPG", folder)
    (folder / "._DJI_0018.JPG").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    assert is_dji_folder(folder) and [p.name for p in photo_paths(folder)] == ["DJI_0018.JPG"]
    assert [f.source.name for f in ImageFolderSource(folder)] == ["DJI_0018.JPG"]


def test_a_16_bit_or_float_frame_is_refused_as_segment_refuses_it(tmp_path: Path) -> None:
    """Found replaying a frames folder with one 16-bit PNG (a 12-bit camera's values, up to 4095) through
    `skyinspect onboard`: OpenCV scaled it down by 256 to a nearly black frame, segmented as clean
    concrete without a word (`skyinspect segment` refuses the same file); a float TIFF was called
    'cannot be decoded ... check the file is complete'."""
    import cv2
    import numpy as np

    folder = tmp_path / "f"
    folder.mkdir()
    frame = np.zeros((16, 24, 3), np.uint16)
    frame[:, 12:] = 4095
    cv2.imwrite(str(folder / "000001.png"), frame)
    with pytest.raises(ImageError, match=r"000001\.png: expected an 8-bit image, got uint16.*8-bit"):
        list(ImageFolderSource(folder))
    (folder / "000001.png").unlink()
    cv2.imwrite(str(folder / "000001.tif"), frame.astype(np.float32))
    with pytest.raises(ImageError, match=r"000001\.tif: expected an 8-bit image, got float32"):
        list(ImageFolderSource(folder))
    (folder / "000001.tif").unlink()
    (folder / "000001.jpg").write_bytes(b"")
    with pytest.raises(ImageError, match=r"000001\.jpg: is empty \(0 bytes\)"):
        list(ImageFolderSource(folder))
    (folder / "000001.jpg").unlink()
    grey = np.full((16, 24), 90, np.uint8)
    cv2.imwrite(str(folder / "000001.png"), np.dstack([grey, grey, grey, grey]))  # alpha dropped
    cv2.imwrite(str(folder / "000002.png"), grey)  # grey: three equal channels
    frames = list(ImageFolderSource(folder))
    assert [f.image_bgr.shape for f in frames] == [(16, 24, 3)] * 2 and all((f.image_bgr == 90).all() for f in frames)


def test_a_broken_link_among_the_frames_is_refused_not_skipped(tmp_path: Path) -> None:
    """Found replaying the simulator's frames 1 and 3 with frame 2 a link into an unmounted card: the link
    was left out of the folder's frames, so frame 3 took CAMERA_FEEDBACK img_idx 2's pose, exit 0."""
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "000001.jpg").write_bytes(_JPG)
    (folder / "000002.jpg").symlink_to(tmp_path / "card" / "000002.jpg")
    (folder / "000003.jpg").write_bytes(_JPG)
    source = ImageFolderSource(folder)
    assert [p.name for p in source.paths] == ["000001.jpg", "000002.jpg", "000003.jpg"]
    with pytest.raises(ImageError, match=r"000002\.jpg: is a link to .*card/000002\.jpg, which is not there"):
        list(source)


def test_a_broken_link_among_dji_photos_is_named_as_one(tmp_path: Path) -> None:
    import shutil

    from onboard.replay import plan_replay

    folder = tmp_path / "card"
    folder.mkdir()
    for name in ("DJI_0018.JPG", "DJI_0019.JPG"):
        shutil.copy(DJI_DIR / name, folder)
    (folder / "DJI_0020.JPG").symlink_to(tmp_path / "unmounted" / "DJI_0020.JPG")
    with pytest.raises(ImageError, match=r"DJI_0020\.JPG: is a link to .*unmounted/DJI_0020\.JPG, which is not there"):
        plan_replay(folder, folder)
