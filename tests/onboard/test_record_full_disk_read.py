"""A record closed cleanly on a disk that is full (another program filled it after the flight: a video
or bag recorder on the same card) must still open. SQLite opening a WAL database creates its -shm index,
which needs room: the reader said the record 'cannot be read ... (disk I/O error). It is damaged', so
`skyinspect process` refused a whole flight. A closed record has no write-ahead log left, so it reads as an
immutable file (as on a read-only disk). Run in a 2 MB tmpfs in a user namespace (skipped where
unprivileged namespaces are off)."""

from __future__ import annotations

from pathlib import Path

from onboard_helpers import run_on_tmpfs


_SCRIPT = """
import os, sys
sys.path[:0] = [{root!r}, {tests!r}]
from pathlib import Path
import numpy as np
from onboard_helpers import DarkPixelSegmenter, fill_disk
from skyinspect.camera import CameraModel
from skyinspect.pose import Pose
from skyinspect.record import FlightRecordReader, FlightRecordWriter

rec = Path(sys.argv[1])
with FlightRecordWriter(rec, CameraModel.from_fov(64, 48, 60.0), "m", "0" * 64, reserve_bytes=0) as w:
    img = np.full((48, 64, 3), 200, np.uint8)
    img[5:15, 10:30] = 20
    for i in range(1, 4):
        w.add_frame(i, 1000.0 + i, img, Pose.untagged(1000.0 + i, "t"), DarkPixelSegmenter().segment(img))
fill_disk(rec.parent)
st = os.statvfs(rec)
print(st.f_bavail * st.f_frsize)
with FlightRecordReader(rec) as reader:
    frames = list(reader.frames())
print(len(frames), sum(len(f.instances) for f in frames), sum(f.image_path.is_file() for f in frames))
"""


def test_a_closed_record_on_a_full_disk_opens(tmp_path: Path) -> None:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    run = run_on_tmpfs(_SCRIPT, mnt, "2m", mnt / "rec")
    assert run.returncode == 0, run.stderr[-600:]
    free, rest = run.stdout.split("\n", 1)
    assert int(free) == 0  # the disk really is full
    assert rest.split() == ["3", "3", "3"]  # frames, detections, images


_RESUME = """
import sys
sys.path[:0] = [{root!r}, {tests!r}]
from pathlib import Path
from skyinspect.camera import CameraModel
from skyinspect.errors import RecordError
from onboard_helpers import fill_disk
from skyinspect.record import FlightRecordWriter

rec, cam = Path(sys.argv[1]), CameraModel.from_fov(64, 48, 60.0)
FlightRecordWriter(rec, cam, "m", "0" * 64).close()
fill_disk(rec.parent)
try:
    FlightRecordWriter(rec, cam, "m", "0" * 64)
except RecordError as exc:
    print(exc)
"""


def test_resuming_a_record_on_a_full_disk_says_the_disk_is_full(tmp_path: Path) -> None:
    """A run resumed (a reboot after a power cut) on a disk another program filled: refused, as it must be
    (nothing fits), but as 'cannot create flight record (disk I/O error)', which reads as a broken card."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    run = run_on_tmpfs(_RESUME, mnt, "2m", mnt / "rec")
    assert run.returncode == 0, run.stderr[-600:]
    said = run.stdout.strip()
    assert "its disk is full (0 bytes free" in said and "Free some room" in said, said
