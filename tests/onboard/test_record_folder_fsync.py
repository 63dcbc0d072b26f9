"""A file system that refuses fsync on a folder does not stop a crash-safe run once its record exists.

onboard.runtime made each new record in a hidden sibling folder, renamed it into place and synced the parent
folder with its own os.open/os.fsync, which raised; every other folder sync of the record (the writer's, the
review trail's) goes through skyinspect.atomic.fsync_dir, which lets such a file system be (the files themselves
are synced) and also passes a platform that cannot open a folder at all."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest
from onboard_synth import flight_records, write_tlog

from onboard.runtime import run_onboard
from skyinspect.camera import CameraModel
from skyinspect.record import FlightRecordReader


def test_a_refused_folder_fsync_leaves_the_record_and_the_run_going(tmp_path: Path, segmenter,  # noqa: ANN001
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    tlog = write_tlog(tmp_path / "flight.tlog", flight_records(feedback_boot_s=[101.0, 102.0]))
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(2):
        cv2.imwrite(str(frames / f"IMG_{i + 1}.png"), np.full((48, 64, 3), 200, np.uint8))
    real, refused = os.fsync, []

    def fsync(fd: int) -> None:  # as a file system without fsync on folders answers (EINVAL)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            refused.append(fd)
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    # before: OSError [Errno 22] from _create_record_atomically, right after the record was renamed into place
    summary = run_onboard(frames, tlog, tmp_path / "rec", segmenter, CameraModel.from_fov(64, 48, 60.0))
    assert refused and summary.stats.recorded == 2
    with FlightRecordReader(tmp_path / "rec") as reader:
        assert len(list(reader.frames())) == 2
