"""The flight record on a disk that fills: images stop while the detections still have room."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from onboard_helpers import DarkPixelSegmenter, run_on_tmpfs

from skyinspect.camera import CameraModel
from skyinspect.pose import Pose
from skyinspect.record import FlightRecordReader, FlightRecordWriter

CAMERA = CameraModel.from_fov(64, 48, 60.0)


def _frame(i: int) -> np.ndarray:
    img = np.full((48, 64, 3), 200, np.uint8)
    img[5 + i % 20:15 + i % 20, 10:30] = 20  # one 'crack' for the test segmenter
    return img


def _add(writer: FlightRecordWriter, i: int) -> None:
    img = _frame(i)
    writer.add_frame(i, 1000.0 + i, img, Pose.untagged(1000.0 + i, "test"), DarkPixelSegmenter().segment(img))


def test_a_write_that_fails_half_way_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ext4's delayed allocation reports ENOSPC at fsync, after the bytes were written: the partial
    # .000002.jpg.tmp stayed, holding the disk's last bytes, so SQLite had no room for the row either.
    writer = FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64, reserve_bytes=0)
    _add(writer, 1)
    real_fsync = os.fsync

    def fsync_full(fd: int) -> None:
        if not os.path.isdir(f"/proc/self/fd/{fd}") and os.fstat(fd).st_size > 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_full)
    _add(writer, 2)
    monkeypatch.setattr(os, "fsync", real_fsync)
    writer.close()
    left = sorted(p.name for p in (tmp_path / "rec").rglob(".*.tmp"))
    assert left == []
    with FlightRecordReader(tmp_path / "rec") as reader:
        rec = list(reader.frames())
    assert [(r.frame_index, r.image_path is not None, len(r.instances)) for r in rec] == [(1, True, 1), (2, False, 1)]


def test_images_stop_at_the_reserve_masks_at_half_of_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64, reserve_bytes=4_000_000)
    free = {"bytes": 10_000_000}
    monkeypatch.setattr(os, "statvfs", lambda _path: SimpleNamespace(f_bavail=free["bytes"], f_frsize=1))
    _add(writer, 1)
    free["bytes"] = 3_000_000  # below the reserve: no image; above half of it: the mask is kept
    _add(writer, 2)
    free["bytes"] = 1_000_000
    _add(writer, 3)
    free["bytes"] = 10_000_000  # space freed later: images stay off (no image every other frame)
    _add(writer, 4)
    writer.close()
    with FlightRecordReader(tmp_path / "rec") as reader:
        rec = [(r.image_path is not None, r.mask_path is not None, len(r.instances)) for r in reader.frames()]
    assert rec == [(True, True, 1), (False, True, 1), (False, False, 1), (False, False, 1)]


_FILL = """
import sys
sys.path[:0] = [{root!r}, {tests!r}]
import numpy as np
from onboard_helpers import DarkPixelSegmenter
from test_record_disk_full import CAMERA
from skyinspect.errors import RecordError
from skyinspect.pose import Pose
from skyinspect.record import FlightRecordReader, FlightRecordWriter
rng = np.random.default_rng(0)
writer = FlightRecordWriter(sys.argv[1], CAMERA, "m", "0" * 64, reserve_bytes=400_000)
ok = 0
for i in range(1, 200):
    img = rng.integers(60, 255, (480, 640, 3), dtype=np.uint8)  # noise: ~300 kB JPEGs
    img[50:80, 50:120] = 10
    try:
        writer.add_frame(i, 1000.0 + i, img, Pose.untagged(1000.0 + i, "t"), DarkPixelSegmenter().segment(img))
    except RecordError:
        break
    ok += 1
writer.close()
with FlightRecordReader(sys.argv[1]) as reader:
    rec = list(reader.frames())
print(ok, sum(r.image_path is not None for r in rec), len(rec))
"""


def test_on_a_real_full_disk_the_detections_outlast_the_images(tmp_path: Path) -> None:
    # A 2 MB tmpfs in a user namespace (skipped where unprivileged namespaces are off). Before: the
    # last image's partial file filled the disk and the records stopped with the images (frames
    # recorded = frames with an image).
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    run = run_on_tmpfs(_FILL, mnt, "2m", mnt / "rec")
    assert run.returncode == 0, run.stderr
    recorded, with_image, rows = map(int, run.stdout.split())
    assert rows == recorded and with_image >= 1
    assert recorded >= with_image + 10, (recorded, with_image)
