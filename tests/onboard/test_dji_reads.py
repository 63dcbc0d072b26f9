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


def test_planning_a_dji_folder_reads_each_photos_exif_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """plan_replay of the Brighton folder (frames = telemetry) opens each photo once, for its telemetry
    (read_dji_flight: EXIF GPS, XMP and the capture time), and the first once more to tell the folder's kind
    (is_dji_folder, its first 200 KB). The frames' capture times (which the frames carry as they are read)
    are those photos' times as read for the telemetry: each photo's EXIF was opened and parsed a second time
    for them (3, 2, 2, 2 opens before)."""
    from onboard.frames import ImageFolderSource
    from onboard.replay import plan_replay

    opened = _count_jpg_opens(monkeypatch)
    plan = plan_replay(DJI_DIR, DJI_DIR)
    times = plan.source.capture_times()
    assert dict(opened) == {"DJI_0018.JPG": 2, "DJI_0019.JPG": 1, "DJI_0020.JPG": 1, "DJI_0021.JPG": 1}
    assert plan.capture_time_source == "camera_feedback"
    monkeypatch.undo()
    read_again = ImageFolderSource(DJI_DIR)  # each photo's EXIF read for its time, as before
    assert times == read_again.capture_times() == [t for t, *_ in _BEFORE.values()]
    assert plan.source.times_without_zone == read_again.times_without_zone == list(_BEFORE)


def test_a_replay_of_a_dji_folder_opens_each_photo_three_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """run_replay of the Brighton folder (frames = telemetry) opens each photo for: its telemetry and capture
    time (read_dji_flight; the frames' EXIF times were a fourth open), the folder's check before any frame is
    segmented (size, header and tail in one open: they took three, a JPEG's head read for its cut-short check,
    its header walk and its shape) and its frame's bytes; the first once more (is_dji_folder)."""
    from onboard_helpers import DarkPixelSegmenter

    from onboard.replay import run_replay
    from skyinspect.camera import CameraModel

    opened = _count_jpg_opens(monkeypatch)
    summary = run_replay(DJI_DIR, DJI_DIR, tmp_path / "r", DarkPixelSegmenter(), CameraModel.from_fov(160, 90, 80.0),
                         progress=False)
    assert summary.tagged == 4
    assert dict(opened) == {"DJI_0018.JPG": 4, "DJI_0019.JPG": 3, "DJI_0020.JPG": 3, "DJI_0021.JPG": 3}


def test_telling_a_dji_folder_reads_the_first_200_kb_of_a_photo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """is_dji_folder (run twice by `skyinspect onboard --frames PHOTOS`: for the telemetry, then its kind)
    looks for drone-dji: in a photo's first 200 KB, where the XMP lies: it read the whole photo for them
    (megabytes a call). A Brighton photo with 4 MB after it stands for a full-size one."""
    from onboard.telemetry.dji import is_dji_folder

    (tmp_path / "DJI_0018.JPG").write_bytes((DJI_DIR / "DJI_0018.JPG").read_bytes() + bytes(4_000_000))
    read_bytes = _counting_reads(monkeypatch)
    assert is_dji_folder(tmp_path)
    assert 0 < sum(read_bytes) <= 200_000


def test_times_read_already_are_used_and_other_photos_read_as_before(tmp_path: Path) -> None:
    """ImageFolderSource.use_photo_times: a photo among the times given takes its time from them (source
    "gps" or "offset" counts as zoned); a photo not among them, here a copy elsewhere of a DJI photo, still
    has its own EXIF read; a time in a file's name still comes first."""
    from onboard.frames import ImageFolderSource
    from onboard.photo_time import PhotoTime

    for name in ("DJI_0018.JPG", "DJI_0019.JPG", "raw20160623163000000Z.jpg"):
        (tmp_path / name).write_bytes((DJI_DIR / "DJI_0018.JPG").read_bytes())
    source = ImageFolderSource(tmp_path)
    given = PhotoTime(1466699400.5, "gps", "-05:00")
    source.use_photo_times({tmp_path / "DJI_0018.JPG": given, DJI_DIR / "DJI_0019.JPG": PhotoTime(1.0, "local"),
                            tmp_path / "raw20160623163000000Z.jpg": PhotoTime(2.0, "gps")})
    assert source.capture_times() == [1466699400.5, _BEFORE["DJI_0018.JPG"][0], 1466699400.0]
    assert source.times_without_zone == ["DJI_0019.JPG"]


def _counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Bytes read from each open of a .JPG from now on, one entry per read call."""
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
    return read_bytes


def test_read_photo_reads_the_metadata_not_the_whole_photo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """read_photo takes EXIF, XMP and the time from a photo's first 256 KB, where a DJI photo's metadata
    lies (the Brighton photos' XMP ends at 51 KB of 4 MB): it read the whole photo, which the replay reads
    again as its frame (a 4 MB photo with 4 MB after it stands for a full-size one: 8 MB read before)."""
    photo = tmp_path / "DJI_0018.JPG"
    photo.write_bytes((DJI_DIR / "DJI_0018.JPG").read_bytes() + bytes(4_000_000))
    read_bytes = _counting_reads(monkeypatch)
    p = read_photo(photo)
    assert 0 < sum(read_bytes) <= 262_144
    got = (p.time_utc_s, p.lat_deg, p.lon_deg, p.alt_msl_m, p.alt_rel_m, p.roll_deg, p.pitch_deg, p.yaw_deg,
           p.gimbal_roll_deg, p.gimbal_pitch_deg, p.gimbal_yaw_deg, p.fix_type, p.time_source)
    assert got == _BEFORE["DJI_0018.JPG"]


def test_a_photo_whose_xmp_lies_further_on_is_read_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """XMP past the first 256 KB (here after a 300-KB APP segment put in before it, as a thermal camera's
    data can be): the photo is read on in the same open, and its pose is the same."""
    data = (DJI_DIR / "DJI_0018.JPG").read_bytes()
    xmp_at = data.rfind(b"\xff\xe1", 0, data.find(b"<x:xmpmeta"))  # the APP1 segment holding the XMP
    filler = b"".join(b"\xff\xe3" + (65_000).to_bytes(2, "big") + bytes(64_998) for _ in range(5))
    photo = tmp_path / "DJI_0018.JPG"
    photo.write_bytes(data[:xmp_at] + filler + data[xmp_at:])
    read_bytes = _counting_reads(monkeypatch)
    p = read_photo(photo)
    assert sum(read_bytes) == photo.stat().st_size
    assert (p.time_utc_s, p.lat_deg, p.lon_deg, p.yaw_deg, p.gimbal_pitch_deg) == tuple(
        _BEFORE["DJI_0018.JPG"][i] for i in (0, 1, 2, 7, 9))
