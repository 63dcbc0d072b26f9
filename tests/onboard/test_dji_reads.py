"""``dji.read_photo`` reads each photo file once: EXIF GPS, XMP and the capture time all come from
the same bytes (it used to read the file three times: read_bytes, the EXIF header, photo_time)."""

from __future__ import annotations

import builtins
import io
from collections import Counter
from pathlib import Path

import pytest
from onboard_helpers import DJI_DIR

from onboard.telemetry.dji import read_photo

# read_photo of the 4 Phantom 3 photos before the single-read change (time, lat, lon, alt msl/rel,
# vehicle roll/pitch/yaw, gimbal roll/pitch/yaw, fix, time source): the change must not move any
_BEFORE = {
    "DJI_0018.JPG": (1466699519.0, 46.842607083333334, -91.99455988888889, 198.31, 39.8, 3.0, 1.8, 46.0,
                     0.0, -89.9, 45.0, 3, "local"),
    "DJI_0019.JPG": (1466699526.0, 46.84269066666667, -91.99442727777777, 198.61, 40.1, 0.4, 1.2, 40.1,
                     0.0, -89.9, 42.8, 3, "local"),
    "DJI_0020.JPG": (1466699533.0, 46.84277758333334, -91.99429938888889, 198.61, 40.1, 1.1, 0.9, 42.8,
                     0.0, -89.9, 44.2, 3, "local"),
    "DJI_0021.JPG": (1466699540.0, 46.84286513888889, -91.99417663888889, 198.61, 40.1, 1.8, 0.1, 44.0,
                     0.0, -90.0, 45.0, 3, "local"),
}


def _count_jpg_opens(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Opens of each .JPG by name from now on. Path.read_bytes goes through io.open, open_header through
    builtins.open: the same function, patched in both."""
    opened: Counter[str] = Counter()
    real_open = builtins.open

    def counting_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, Path)) and Path(file).suffix.upper() == ".JPG":
            opened[Path(file).name] += 1
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    return opened


def test_read_photo_reads_each_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    opened = _count_jpg_opens(monkeypatch)
    photos = {name: read_photo(DJI_DIR / name) for name in _BEFORE}
    assert dict(opened) == {name: 1 for name in _BEFORE}
    for name, p in photos.items():
        got = (p.time_utc_s, p.lat_deg, p.lon_deg, p.alt_msl_m, p.alt_rel_m, p.roll_deg, p.pitch_deg, p.yaw_deg,
               p.gimbal_roll_deg, p.gimbal_pitch_deg, p.gimbal_yaw_deg, p.fix_type, p.time_source)
        assert got == _BEFORE[name], name


def test_the_records_meta_reads_no_photo_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The record meta's dji_photo_time comes from the photos as read for the telemetry: plan.meta() read
    every photo of the folder again (photo_time_meta), a 5th open of each in a replay of a DJI folder."""
    from onboard.replay import plan_replay

    plan = plan_replay(DJI_DIR, DJI_DIR)
    opened = _count_jpg_opens(monkeypatch)
    meta = plan.meta()
    assert not opened
    assert meta["dji_photo_time"] == {"sources": {"gps": 0, "offset": 0, "local": 4}, "camera_zones": [],
                                      "note": meta["dji_photo_time"]["note"]}  # type: ignore[index]
    assert "4 of 4 photos carry only the camera's local time" in meta["dji_photo_time"]["note"]  # type: ignore[index]


def test_a_replay_of_a_dji_folder_opens_each_photo_four_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """run_replay of the Brighton folder (frames = telemetry) opens each photo for: its telemetry (read_dji_flight),
    its EXIF capture time (the frames' clock), the folder's check before any frame is segmented (size, header
    and tail in one open: they took three, a JPEG's head read for its cut-short check, its header walk and
    its shape) and its frame's bytes; the first once more (is_dji_folder)."""
    from onboard_helpers import DarkPixelSegmenter

    from onboard.replay import run_replay
    from skyinspect.camera import CameraModel

    opened = _count_jpg_opens(monkeypatch)
    summary = run_replay(DJI_DIR, DJI_DIR, tmp_path / "r", DarkPixelSegmenter(), CameraModel.from_fov(160, 90, 80.0),
                         progress=False)
    assert summary.tagged == 4
    assert dict(opened) == {"DJI_0018.JPG": 5, "DJI_0019.JPG": 4, "DJI_0020.JPG": 4, "DJI_0021.JPG": 4}


def test_telling_a_dji_folder_reads_the_first_200_kb_of_a_photo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """is_dji_folder (run twice by `skyinspect onboard --frames PHOTOS`: for the telemetry, then its kind)
    looks for drone-dji: in a photo's first 200 KB, where the XMP lies: it read the whole photo for them
    (megabytes a call). A Brighton photo with 4 MB after it stands for a full-size one."""
    from onboard.telemetry.dji import is_dji_folder

    (tmp_path / "DJI_0018.JPG").write_bytes((DJI_DIR / "DJI_0018.JPG").read_bytes() + bytes(4_000_000))
    read_bytes: list[int] = []
    real_open = builtins.open

    class Counting(io.BufferedReader):
        def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
            data = super().read(size)
            read_bytes.append(len(data))
            return data

    def counting_open(file, mode="r", *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, Path)) and Path(file).suffix.upper() == ".JPG":
            return Counting(real_open(file, "rb", buffering=0))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(io, "open", counting_open)
    assert is_dji_folder(tmp_path)
    assert 0 < sum(read_bytes) <= 200_000
