import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from skyinspect.camera import CameraModel
from skyinspect.errors import RecordError
from skyinspect.pose import GimbalFrame, Pose
from skyinspect.record import FlightRecordReader, FlightRecordWriter
from skyinspect.segmentation import Instance, Segmentation

CAM = CameraModel.from_fov(160, 120, 60.0)


def _pose(i: int) -> Pose:
    return Pose(100.0 + i, 47.0 + i * 1e-6, 8.0, 500.0, 12.0, 1.0, -2.0, 90.0, 0.0, -10.0, 0.0,
                GimbalFrame.EARTH, h_acc_m=0.02, v_acc_m=0.03, fix_type=6, source="camera_feedback")


def _seg() -> Segmentation:
    cm = np.zeros((120, 160), np.uint8)
    cm[10:20, 10:50] = 1
    inst = Instance(1, 0.9, np.array([[10, 10], [49, 10], [49, 19], [10, 19]], float), 400.0,
                    np.array([[10, 15], [49, 15]], float))
    return Segmentation(cm, (inst,), "test-model")


def test_write_read_round_trip(tmp_path: Path) -> None:
    image = np.full((120, 160, 3), 128, np.uint8)
    with FlightRecordWriter(tmp_path / "f", CAM, "test-model", "abc123", {"origin": [47, 8, 500]}) as w:
        w.add_frame(1, 100.0, image, _pose(1), _seg())
        w.add_frame(2, 101.0, image, Pose.untagged(101.0, "telemetry gap 3.0 s"), None)
    with FlightRecordReader(tmp_path / "f") as r:
        assert len(r) == 2 and r.model_id == "test-model" and r.camera == CAM
        assert r.meta_json("origin") == [47, 8, 500]
        first, second = list(r.frames())
    assert first.pose == _pose(1)
    assert first.instances[0].skeleton_px.tolist() == [[10, 15], [49, 15]]
    assert first.image_path.is_file() and first.mask_path.is_file()
    assert not second.pose.is_tagged and "gap" in second.pose.status and second.instances == ()


def test_a_retagged_frame_takes_the_retagging_poses_capture_time(tmp_path: Path) -> None:
    """Live mode records a frame untagged on the host's clock before the link's clock mapping is known,
    then re-tags it once the mapping puts its capture 30 s later on the vehicle's UTC. The capture time
    must move with the pose (passes split on time gaps; the frames layer and the report show it):
    before, the pose moved and capture_time_utc_s stayed 30 s off."""
    image = np.full((120, 160, 3), 128, np.uint8)
    with FlightRecordWriter(tmp_path / "f", CAM, "test-model", "abc123") as w:
        w.add_frame(1, 100.0, image, Pose.untagged(100.0, "clock mapping not known yet"), None)
        w.update_pose(1, _pose(30))  # time 130.0
    with FlightRecordReader(tmp_path / "f") as r:
        (frame,) = list(r.frames())
    assert frame.pose == _pose(30) and frame.capture_time_utc_s == 130.0


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a synced directory")
def test_every_renamed_file_has_its_directory_synced_before_the_frame_returns(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A power cut can drop a rename that was never synced; SIGKILL cannot, so the kill tests miss it."""
    import stat

    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            events.append(("dir_sync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        real_replace(src, dst)
        events.append(("rename", str(Path(dst).parent.resolve())))

    image = np.full((120, 160, 3), 128, np.uint8)
    with FlightRecordWriter(tmp_path / "f", CAM, "test-model", "abc123") as w:
        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
        w.add_frame(1, 100.0, image, _pose(1), _seg())
        monkeypatch.undo()
    renames = [i for i, (kind, _) in enumerate(events) if kind == "rename"]
    assert len(renames) == 2  # the image and the mask
    for i in renames:
        assert ("dir_sync", events[i][1]) in events[i + 1:], f"no directory sync after rename into {events[i][1]}"


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name a synced directory")
def test_group_commit_syncs_each_folder_once_before_the_rows_and_close_keeps_waiting_frames(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each frame's own commit cost the onboard recording thread a transaction with its WAL fsync and two
    folder fsyncs. Frames added with commit=False are in flight until commit(): their files are there and
    synced, their rows are not; commit() syncs images/ and masks/ once, after every rename, before the one
    COMMIT. close() commits frames still waiting."""
    import stat

    events: list[tuple[str, str]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            events.append(("dir_sync", Path(os.readlink(f"/proc/self/fd/{fd}")).name))
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        real_replace(src, dst)
        events.append(("rename", Path(dst).parent.name))

    image = np.full((120, 160, 3), 128, np.uint8)
    folder = tmp_path / "f"
    w = FlightRecordWriter(folder, CAM, "test-model", "abc123")
    try:
        w._db.set_trace_callback(lambda sql: events.append(("sql", sql)) if sql in ("COMMIT", "BEGIN IMMEDIATE") else None)
        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(os, "replace", replace)
        for i in range(1, 5):
            w.add_frame(i, 100.0 + i, image, _pose(i), _seg(), commit=False)
        monkeypatch.undo()
        assert sorted(p.name for p in (folder / "images").iterdir()) == [f"{i:06d}.jpg" for i in range(1, 5)]
        with FlightRecordReader(folder) as r:
            assert len(r) == 0  # in flight: a kill now loses them, and no row points to an unsynced rename
        monkeypatch.setattr(os, "fsync", fsync)
        assert w.commit() == [1, 2, 3, 4]
        monkeypatch.undo()
        assert w.commit() == []
        kinds = [e for e in events if e[0] != "rename"]
        assert kinds == [("dir_sync", "images"), ("dir_sync", "masks"), ("sql", "BEGIN IMMEDIATE"), ("sql", "COMMIT")]
        assert max(i for i, e in enumerate(events) if e[0] == "rename") < events.index(("dir_sync", "images"))
        w.add_frame(5, 105.0, image, _pose(5), _seg(), commit=False)
    finally:
        w.close()
    with FlightRecordReader(folder) as r:
        frames = list(r.frames())
    assert [f.frame_index for f in frames] == [1, 2, 3, 4, 5] and all(f.pose == _pose(f.frame_index) for f in frames)
    assert all(f.instances[0].skeleton_px.tolist() == [[10, 15], [49, 15]] for f in frames)
    assert all(f.image_path.is_file() and f.mask_path.is_file() for f in frames)
    with FlightRecordReader(folder) as r:
        assert sorted(r.frame_stats()) == [1, 2, 3, 4, 5]


def test_reader_refuses_non_record(tmp_path: Path) -> None:
    with pytest.raises(RecordError, match="record.sqlite is missing"):
        FlightRecordReader(tmp_path)
    (tmp_path / "record.sqlite").write_bytes(b"not a database at all" * 10)
    with pytest.raises(RecordError, match="record.sqlite"):
        FlightRecordReader(tmp_path)



def test_a_record_copied_half_written_says_how_to_fix_it(tmp_path: Path) -> None:
    """A record.sqlite cut short (copied while onboard was writing it) said only "database disk image
    is malformed"."""
    image = np.full((120, 160, 3), 128, np.uint8)
    with FlightRecordWriter(tmp_path / "f", CAM, "test-model", "abc123", {}) as w:
        for i in range(40):
            w.add_frame(i, 100.0 + i, image, _pose(i), _seg())
    db = tmp_path / "f" / "record.sqlite"
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2 // 4096 * 4096])
    with pytest.raises(RecordError, match=r"record\.sqlite: cannot be read .*copy the flight folder again"):
        with FlightRecordReader(tmp_path / "f") as r:
            list(r.frames())


_WRITER_SCRIPT = """
import sys, numpy as np
sys.path.insert(0, {root!r})
from tests_core_record_helper import run
run({folder!r})
"""


@pytest.mark.slow
def test_sigkill_loses_no_completed_frame(tmp_path: Path) -> None:
    """Kill a writer at random moments; every frame it reported complete must read back whole."""
    helper = tmp_path / "tests_core_record_helper.py"
    helper.write_text(
        "import sys, numpy as np\n"
        "from skyinspect.camera import CameraModel\n"
        "from skyinspect.pose import Pose\n"
        "from skyinspect.record import FlightRecordWriter\n"
        "def run(folder):\n"
        "    cam = CameraModel.from_fov(320, 240, 60.0)\n"
        "    img = (np.random.default_rng(0).random((240, 320, 3)) * 255).astype(np.uint8)\n"
        "    w = FlightRecordWriter(folder, cam, 'm', 'h')\n"
        "    start = max(w.recorded_indices(), default=0) + 1\n"
        "    for i in range(start, start + 10000):\n"
        "        w.add_frame(i, float(i), img, Pose(float(i), 47, 8, 500, 10, 0, 0, 0), None)\n"
        "        print(i, flush=True)\n")
    folder = tmp_path / "rec"
    rng = np.random.default_rng(42)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER_SCRIPT.format(root=str(tmp_path), folder=str(folder))],
                                stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        time.sleep(float(rng.uniform(0.8, 1.6)))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        reported = [int(x) for x in out.split()]
        with FlightRecordReader(folder) as r:
            frames = {f.frame_index: f for f in r.frames()}
        assert set(reported) <= set(frames), "a frame reported complete was lost"
        for f in frames.values():
            assert f.image_path is not None and f.image_path.stat().st_size > 0
