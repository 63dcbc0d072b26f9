"""A flight record on a read-only disk (a write-protected card, a read-only mount) opens for reading."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_record_disk_full import CAMERA, _add

from skyinspect.record import FlightRecordWriter

ROOT = Path(__file__).resolve().parents[2]
_READ = ("import json, sys; sys.path.insert(0, {root!r}); from skyinspect.record import FlightRecordReader\n"
         "try:\n    r = FlightRecordReader(sys.argv[1]); print(json.dumps([f.frame_index for f in r.frames()]))\n"
         "except Exception as e:\n    print(json.dumps(str(e)))\n")


def _read_read_only(folder: Path, tmp_path: Path) -> object:
    """What FlightRecordReader gives for ``folder`` seen read-only: a read-only bind mount in a user
    namespace (root ignores permissions), else the folder's write permission taken away."""
    script = tmp_path / "read.py"
    script.write_text(_READ.format(root=str(ROOT)))
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            run = subprocess.run([sys.executable, str(script), str(folder)], capture_output=True, text=True, timeout=60)
        finally:
            folder.chmod(0o755)
    else:
        if shutil.which("unshare") is None:
            pytest.skip("root without unshare: no read-only view")
        view = tmp_path / f"ro-{folder.name}"
        view.mkdir(exist_ok=True)
        cmd = (f"mount --bind {folder} {view} && mount -o remount,bind,ro {view} && "
               f"{sys.executable} {script} {view}")
        run = subprocess.run(["unshare", "-rm", "sh", "-c", cmd], capture_output=True, text=True, timeout=60)
        if run.returncode != 0 and not run.stdout:
            pytest.skip(f"no read-only bind mount here: {run.stderr.strip()[:200]}")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_closed_record_on_a_read_only_disk_is_read(tmp_path: Path) -> None:
    # Before: 'cannot be read as a flight record (unable to open database file). It is damaged or was
    # copied before it was complete' for a complete record: SQLite could not create record.sqlite-shm.
    with FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64) as writer:
        for i in (1, 2, 3):
            _add(writer, i)
    assert _read_read_only(tmp_path / "rec", tmp_path) == [1, 2, 3]


def test_a_killed_record_on_a_read_only_disk(tmp_path: Path) -> None:
    # With its -shm beside it SQLite replays the log read-only. Without it (a copy that left it out)
    # the log cannot be replayed there, and an immutable read would silently miss its frames: the
    # reader says what to do instead.
    code = ("import os, sys; sys.path[:0] = [{root!r}, {tests!r}]\n"
            "from test_record_disk_full import CAMERA, _add\nfrom skyinspect.record import FlightRecordWriter\n"
            "w = FlightRecordWriter(sys.argv[1], CAMERA, 'm', '0' * 64)\n"
            "for i in (1, 2):\n    _add(w, i)\nos._exit(0)\n").format(root=str(ROOT), tests=str(Path(__file__).parent))
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "rec")], check=True, timeout=60)
    assert (tmp_path / "rec" / "record.sqlite-wal").stat().st_size > 0
    assert _read_read_only(tmp_path / "rec", tmp_path) == [1, 2]
    (tmp_path / "rec" / "record.sqlite-shm").unlink()
    said = _read_read_only(tmp_path / "rec", tmp_path)
    assert isinstance(said, str) and "read-only disk" in said and "record.sqlite-wal" in said
    assert "Copy the flight folder to a writable disk" in said
