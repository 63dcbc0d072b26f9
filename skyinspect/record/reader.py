"""Read a flight record (see format.py and docs/flight-record.md)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from skyinspect.camera import CameraModel
from skyinspect.drift import FrameStats, stats_from_row
from skyinspect.errors import RecordError, describe
from skyinspect.record.format import (DB_NAME, FORMAT_NAME, FORMAT_VERSION, FrameRecord,
                                      points_from_json, pose_from_row)
from skyinspect.record.writer import FULL_DISK_BYTES, free_bytes
from skyinspect.segmentation import Instance


def _open_read_only(db_path: Path, disk: str) -> sqlite3.Connection:
    """A record on a read-only disk (a write-protected card, a read-only mount or share) or a full one:
    SQLite cannot create the WAL's index (-shm) there, so the record was refused as 'damaged'. A record
    closed by the writer has no write-ahead log left and reads as an immutable file; one whose log still
    holds frames (the run was killed) must be replayed where it can be written."""
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        raise RecordError(describe(db_path, f"is on a {disk} disk and its last frames are still in {wal.name} "
                                   f"({wal.stat().st_size} bytes: the run that wrote it did not close it)",
                                   "Copy the flight folder to a writable disk and open the copy" if disk == "read-only"
                                   else "Free some room on its disk, or copy the flight folder to a disk with room "
                                   "and open the copy"))
    return sqlite3.connect(f"{db_path.resolve().as_uri()}?immutable=1", uri=True)


def _unwritable(folder: Path) -> str | None:
    """'read-only' or 'full' where SQLite cannot create a file beside the record, else None. Full: less room
    than the -shm index's 32 KiB (with margin), e.g. a card a video recorder filled after the flight."""
    if not os.access(folder, os.W_OK):
        return "read-only"
    free = free_bytes(folder)
    return "full" if free is not None and free < FULL_DISK_BYTES else None


def _readable(path: Path) -> bool:
    try:
        with open(path, "rb"):
            return True
    except PermissionError:
        return False
    except OSError:  # gone or else: not a permission matter
        return True


class FlightRecordReader:
    """Read-only view of a flight record folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        db_path = self.folder / DB_NAME
        if not db_path.is_file():
            raise RecordError(describe(self.folder, f"not a flight record: {DB_NAME} is missing",
                                       "Pass the folder written by `skyinspect onboard --out`"))
        try:
            # Not read-only mode: opening a WAL database after a crash must be able to replay it.
            try:
                self._db = sqlite3.connect(db_path)
                self.meta: dict[str, str] = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            except sqlite3.OperationalError:
                disk = _unwritable(self.folder)
                if disk is None:
                    raise
                self._db = _open_read_only(db_path, disk)
                self.meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
            self._db.row_factory = sqlite3.Row
        except sqlite3.Error as exc:
            if not _readable(db_path):  # SQLite says only 'unable to open database file'
                raise RecordError(describe(db_path, "this user may not read it (permission denied)",
                                           "Check its permissions and owner (ls -l), e.g. a card copied as "
                                           "root: chown or chmod a+r the flight folder's files")) from exc
            raise RecordError(describe(db_path, f"cannot be read as a flight record ({exc})",
                                       "It is damaged or was copied before it was complete: copy the flight "
                                       "folder again once `skyinspect onboard` has finished")) from exc
        if self.meta.get("format") != FORMAT_NAME:
            raise RecordError(describe(db_path, f"expected format {FORMAT_NAME!r}, got {self.meta.get('format')!r}"))
        if int(self.meta.get("format_version", "0")) > FORMAT_VERSION:
            raise RecordError(describe(db_path, f"format version {self.meta['format_version']} is newer than "
                                       f"this software reads ({FORMAT_VERSION})", "Upgrade skyinspect"))

    def __enter__(self) -> FlightRecordReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @property
    def camera(self) -> CameraModel:
        return CameraModel.from_dict(json.loads(self.meta["camera"]), self.folder / DB_NAME)

    @property
    def model_id(self) -> str:
        return self.meta.get("model_id", "")

    def meta_json(self, key: str, default: object = None) -> object:
        return json.loads(self.meta[key]) if key in self.meta else default

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM frames").fetchone()[0])

    def frame_stats(self) -> dict[int, FrameStats]:
        """Per-frame input statistics for the drift check; empty for records written before them."""
        has = self._db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='frame_stats'").fetchone()
        if not has:
            return {}
        return {int(r["frame_index"]): stats_from_row(dict(r))
                for r in self._db.execute("SELECT * FROM frame_stats ORDER BY frame_index")}

    def frames(self) -> Iterator[FrameRecord]:
        # One read transaction for both tables: the record may be read while onboard still writes it,
        # and a frame committed between two separate reads came back with no detections.
        self._db.execute("BEGIN")
        try:
            instance_rows = self._db.execute("SELECT * FROM instances ORDER BY frame_index, instance_index").fetchall()
            frame_rows = self._db.execute("SELECT * FROM frames ORDER BY frame_index").fetchall()
        finally:
            self._db.execute("COMMIT")
        instances: dict[int, list[Instance]] = defaultdict(list)
        for row in instance_rows:
            instances[int(row["frame_index"])].append(Instance(
                class_id=int(row["class_id"]), score=float(row["score"]),
                polygon_px=points_from_json(row["polygon_px"]), area_px=float(row["area_px"]),
                skeleton_px=points_from_json(row["skeleton_px"])))
        for row in frame_rows:
            values = dict(row)
            idx = int(values["frame_index"])
            yield FrameRecord(
                frame_index=idx, capture_time_utc_s=float(values["capture_time_utc_s"]),
                width_px=int(values["width_px"]), height_px=int(values["height_px"]),
                pose=pose_from_row(values), instances=tuple(instances.get(idx, ())),
                image_path=self.folder / values["image_file"] if values["image_file"] else None,
                mask_path=self.folder / values["mask_file"] if values["mask_file"] else None,
                model_id=values["model_id"])
