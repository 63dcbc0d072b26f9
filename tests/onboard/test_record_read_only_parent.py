"""A record asked for in a read-only place: the error named the hidden folder the record is made in first
(``.rec.creating-PID``, or ``.creating-PID`` inside an empty --out), a path the user never typed, and said only
'cannot create flight record ([Errno 30] Read-only file system ...)'. Now it names --out and says read-only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_RUN = ("import sys; sys.path[:0] = [{root!r}, {tests!r}]\nfrom pathlib import Path\n"
        "from kill_helpers import camera\nfrom onboard_helpers import DarkPixelSegmenter\n"
        "from onboard.runtime import run_onboard\n"
        "try:\n    run_onboard(sys.argv[1], sys.argv[2], Path(sys.argv[3]), DarkPixelSegmenter(), camera())\n"
        "    print('recorded')\nexcept Exception as e:\n    print(type(e).__name__ + ': ' + str(e))\n")


def _run_read_only(parent: Path, out_name: str, frames: Path, tlog: Path, tmp_path: Path) -> str:
    """What run_onboard says for ``parent/out_name`` with ``parent`` read-only: the folder's write permission
    taken away (chmod 0555, its subfolders too), or, as root (who ignores it), a read-only bind mount in a user
    namespace."""
    script = tmp_path / "run.py"
    script.write_text(_RUN.format(root=str(ROOT), tests=str(Path(__file__).parent)))
    if os.geteuid() != 0:
        # as a read-only disk: all of it
        folders = [parent, *(p for p in parent.rglob("*") if p.is_dir())]
        for folder in folders:
            folder.chmod(0o555)
        try:
            run = subprocess.run([sys.executable, str(script), str(frames), str(tlog), str(parent / out_name)],
                                 capture_output=True, text=True, timeout=120)
        finally:
            for folder in folders:
                folder.chmod(0o755)
    else:
        if shutil.which("unshare") is None:
            pytest.skip("root without unshare: no read-only folder")
        view = tmp_path / "ro"
        view.mkdir()
        cmd = (f"mount --bind {parent} {view} && mount -o remount,bind,ro {view} && "
               f"{sys.executable} {script} {frames} {tlog} {view / out_name}")
        run = subprocess.run(["unshare", "-rm", "sh", "-c", cmd], capture_output=True, text=True, timeout=120)
        if run.returncode != 0 and not run.stdout:
            pytest.skip(f"no read-only bind mount here: {run.stderr.strip()[:200]}")
        parent = view
    assert run.returncode == 0, run.stderr
    return run.stdout.strip().replace(str(parent), "PARENT")


@pytest.mark.parametrize("made", [False, True], ids=["new-out", "empty-out"])
def test_a_read_only_place_is_said_with_the_out_given(tmp_path: Path, made: bool) -> None:
    from kill_helpers import make_kill_flight

    frames, tlog = make_kill_flight(tmp_path / "A", n_frames=2)
    parent = tmp_path / "card"
    parent.mkdir()
    if made:
        (parent / "rec").mkdir()
    said = _run_read_only(parent, "rec", frames, tlog, tmp_path)
    assert said.startswith("RecordError: PARENT/rec: cannot create the flight record"), said
    assert "read-only" in said and ".creating-" not in said
    assert sorted(p.name for p in parent.iterdir()) == (["rec"] if made else [])  # nothing half-written
    if made:
        assert list((parent / "rec").iterdir()) == []
