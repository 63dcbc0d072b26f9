"""`skyinspect onboard --out /media/card`: an empty card (FAT/exFAT has no lost+found) mounted there.
The runtime built a new record in a hidden sibling folder and renamed it over the empty --out, which a
mount point refuses: OSError [Errno 16] Device or resource busy, a traceback, no flight recorded, and the
hidden .card.creating-PID left on the parent's disk (the root file system, not the card). Now a record
in an existing empty folder is created in place (its database renamed in last). Run in a user namespace
with a tmpfs mounted on --out (skipped where unprivileged namespaces are off)."""

from __future__ import annotations

from pathlib import Path

from onboard_helpers import run_on_tmpfs


_SCRIPT = """
import os, sys
sys.path[:0] = [{root!r}, {tests!r}]
from pathlib import Path
from kill_helpers import camera, make_kill_flight
from onboard_helpers import DarkPixelSegmenter
from onboard.runtime import run_onboard
from skyinspect.record import FlightRecordReader

work, card = Path(sys.argv[1]), Path(sys.argv[2])
assert os.path.ismount(card)
frames, tlog = make_kill_flight(work / "A", n_frames=3)
(card.parent / f".{{card.name}}.creating-999999999").mkdir()  # left by a run killed while creating
run_onboard(frames, tlog, card, DarkPixelSegmenter(), camera(), max_frames=2)
resumed = run_onboard(frames, tlog, card, DarkPixelSegmenter(), camera())
left = sorted(os.listdir(card)), sorted(p for p in os.listdir(card.parent) if "creating" in p)
with FlightRecordReader(card) as reader:
    print(len(reader), resumed.stats.skipped, *left)
"""


def test_a_record_is_created_on_an_empty_mount_point(tmp_path: Path) -> None:
    card = tmp_path / "card"
    card.mkdir()
    (tmp_path / "work").mkdir()
    run = run_on_tmpfs(_SCRIPT, card, "20m", tmp_path / "work", card)
    assert run.returncode == 0, run.stderr[-800:]
    assert run.stdout.split("\n")[0] == "3 2 ['.writer.lock', 'images', 'masks', 'record.sqlite'] []"


def test_a_run_killed_while_creating_in_place_leaves_a_folder_that_is_still_empty(tmp_path: Path) -> None:
    """What a kill between the steps of an in-place creation leaves (empty images/ and masks/, the hidden
    .creating-PID folder) is taken as the empty folder it was, not refused as 'not a flight record'."""
    from kill_helpers import camera, make_kill_flight
    from onboard_helpers import DarkPixelSegmenter

    from onboard.runtime import run_onboard
    from skyinspect.record import FlightRecordReader

    frames, tlog = make_kill_flight(tmp_path / "A", n_frames=2)
    out = tmp_path / "card"
    for name in ("images", "masks", ".creating-999999999/images"):
        (out / name).mkdir(parents=True)
    (out / ".creating-999999999" / "record.sqlite").write_bytes(b"")
    run_onboard(frames, tlog, out, DarkPixelSegmenter(), camera())
    with FlightRecordReader(out) as reader:
        assert len(reader) == 2
    assert not (out / ".creating-999999999").exists()


_REPLACE = """
import os, sys
sys.path[:0] = [{root!r}, {tests!r}]
from pathlib import Path
from kill_helpers import camera, make_kill_flight
from onboard_helpers import DarkPixelSegmenter
from onboard.replay import run_replay
from skyinspect.errors import InputError
from skyinspect.record import FlightRecordReader

class Counting(DarkPixelSegmenter):
    seen = 0
    def segment(self, image_bgr):
        Counting.seen += 1
        return super().segment(image_bgr)

work, card = Path(sys.argv[1]), Path(sys.argv[2])
frames, tlog = make_kill_flight(work / "A", n_frames=3)
run_replay(frames, tlog, card, DarkPixelSegmenter(), camera(), progress=False)
try:
    run_replay(frames, tlog, card, Counting(), camera(), progress=False, overwrite=True)
    print("replaced")
except InputError as exc:
    print("refused:", exc)
print(Counting.seen)
with FlightRecordReader(card) as reader:
    print(len(reader))
"""


def test_overwrite_of_a_record_on_a_mount_point_is_refused_before_the_flight_is_segmented(tmp_path: Path) -> None:
    """`onboard --overwrite --out /media/card`: the new record is swapped in by renames at the end, which a
    mount point refuses; before, every frame was segmented (hours for a long flight), then 'frame 3: OSError:
    [Errno 16] Device or resource busy'."""
    card = tmp_path / "card"
    card.mkdir()
    (tmp_path / "work").mkdir()
    run = run_on_tmpfs(_REPLACE, card, "20m", tmp_path / "work", card)
    assert run.returncode == 0, run.stderr[-800:]
    said, seen, kept = run.stdout.strip().split("\n")
    assert said.startswith("refused:") and "mount point" in said and "folder on it" in said
    assert (seen, kept) == ("0", "3")  # nothing segmented; the record there kept
