"""The writer refused a record it cannot open on a read-only disk as 'its disk is full': it took under 1 MiB free
(FULL_DISK_BYTES) for a full disk, and a read-only file system reports 0 free whatever it holds (squashfs, an
ISO image). The reader asks read-only first; the writer now does the same. statvfs is made to report such a
disk (ST_RDONLY, 0 free), and the database path is a folder, so that SQLite's open really fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_record_disk_full import CAMERA

from skyinspect.errors import RecordError
from skyinspect.record import FlightRecordWriter
from skyinspect.record.format import DB_NAME


class _Statvfs:
    def __init__(self, flag: int) -> None:
        self.f_flag, self.f_bavail, self.f_frsize, self.f_bsize = flag, 0, 4096, 4096


def _open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: int) -> str:
    (tmp_path / "rec" / DB_NAME).mkdir(parents=True)  # SQLite cannot open it: 'unable to open database file'
    monkeypatch.setattr(os, "statvfs", lambda _path: _Statvfs(flag))
    with pytest.raises(RecordError) as err:
        FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64)
    return str(err.value)


def test_a_read_only_disk_is_not_called_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    said = _open(tmp_path, monkeypatch, os.ST_RDONLY)
    assert "read-only" in said and "full" not in said, said
    assert said.startswith(str(tmp_path / "rec")) and "writable disk" in said


def test_a_full_writable_disk_is_still_called_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    said = _open(tmp_path, monkeypatch, 0)
    assert "its disk is full (0 bytes free" in said and "read-only" not in said, said
