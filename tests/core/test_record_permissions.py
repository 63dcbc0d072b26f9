"""A flight record this user may not read is said so, not called damaged: record.sqlite mode 000 (copied
from the aircraft's card as root, read by the analyst) ended in 'cannot be read as a flight record (unable
to open database file). It is damaged or was copied before it was complete: copy the flight folder again'."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skyinspect.camera import CameraModel
from skyinspect.record import FlightRecordWriter

# root reads a mode-000 file; without these two capabilities it is refused as any other user is
NO_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_an_unreadable_record_is_said_so(tmp_path: Path) -> None:
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root reads any file, and setpriv (to drop that) is not installed")
        prefix = NO_OVERRIDE
    with FlightRecordWriter(tmp_path / "f", CameraModel.from_fov(160, 120, 60.0), "test-model", "abc123"):
        pass
    (tmp_path / "f" / "record.sqlite").chmod(0)
    code = ("import sys\nfrom skyinspect.errors import RecordError\nfrom skyinspect.record import FlightRecordReader\n"
            "try:\n    FlightRecordReader(sys.argv[1])\nexcept RecordError as e:\n    print(e)\n")
    run = subprocess.run(prefix + [sys.executable, "-c", code, str(tmp_path / "f")], capture_output=True, text=True,
                         timeout=60)
    if prefix and run.returncode != 0 and run.stderr.startswith("setpriv:"):
        pytest.skip(f"cannot drop the capabilities here ({run.stderr.strip()})")
    said = " ".join(run.stdout.split())
    assert run.returncode == 0 and "record.sqlite" in said, (run.stdout, run.stderr)
    assert "may not read" in said and "permissions" in said and "damaged" not in said, said
