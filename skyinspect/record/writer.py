"""Crash-safe writer of a flight record.

Durability rules: image and mask files are written to a temporary name, fsynced, renamed and their
directory fsynced (the rename itself must survive a power cut)
before the frame's row is committed; SQLite runs in WAL mode with synchronous=FULL so a committed
frame survives SIGKILL and power loss. Frames may be committed a few at a time (``add_frame(...,
commit=False)`` then ``commit()``: one transaction, each folder synced once). If the disk fills, the writer stops saving images (then
masks) but keeps recording poses and detections, and says so once.
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import sqlite3
import time
from pathlib import Path

import numpy as np

from skyinspect import __version__
from skyinspect.atomic import fsync_dir
from skyinspect.camera import CameraModel
from skyinspect.drift import STAT_NAMES, DriftReference, check_drift, frame_stats, stats_from_row
from skyinspect.errors import RecordError, describe
from skyinspect.pose import Pose
from skyinspect.record.format import (DB_NAME, FORMAT_NAME, FORMAT_VERSION, IMAGES_DIR, MASKS_DIR,
                                      POSE_FIELDS, SCHEMA, points_to_json, pose_to_row)
from skyinspect.segmentation import Segmentation

log = logging.getLogger(__name__)
JPEG_QUALITY = 92
# Free space kept for the detections: images stop once saving one would leave less than this, masks
# once it would leave less than half. Waiting for ENOSPC instead, the last image took the disk's last
# bytes and SQLite failed with it (a 1.2 MB tmpfs: images stopped at frame 13 and so did every row).
RESERVE_BYTES = 64 * 1024 * 1024
_FRAME_COLS = ["frame_index", "capture_time_utc_s", "image_file", "mask_file", "width_px", "height_px",
               "model_id", "written_utc_s"] + [f"pose_{n}" for n in POSE_FIELDS]
_INSERT_FRAME = f"INSERT OR REPLACE INTO frames({', '.join(_FRAME_COLS)}) VALUES ({', '.join('?' * len(_FRAME_COLS))})"
_INSERT_STATS = (f"INSERT OR REPLACE INTO frame_stats(frame_index, {', '.join(STAT_NAMES)}) "
                 f"VALUES (?, {', '.join('?' * len(STAT_NAMES))})")


def _mask_png_params(cv2) -> list[int]:  # type: ignore[no-untyped-def]
    """Masks as PNG (an OpenCV without a TIFF writer, see ``_mask_encoding``) have no row filter: a class-id
    mask is long runs of one value, which deflate's run coding takes as they are; OpenCV's default filter
    (Sub) was one more pass over every row that made the files larger, not smaller (0.54 -> 0.43 ms for a
    640x480 mask). An OpenCV without the option encodes as before."""
    return [cv2.IMWRITE_PNG_FILTER, cv2.IMWRITE_PNG_FILTER_NONE] if hasattr(cv2, "IMWRITE_PNG_FILTER") else []


TIFF_PACKBITS = 32773  # TIFF's run-length compression (COMPRESSION_PACKBITS)


def _mask_encoding(cv2) -> tuple[str, list[int]]:  # type: ignore[no-untyped-def]
    """(suffix, imencode parameters) of the masks: 8-bit grey TIFF with PackBits compression, lossless. A
    class-id mask is long runs of one value, which PackBits writes as runs without looking further; PNG's
    zlib pass over every byte cost the recording thread 0.50 ms a 640x480 mask with a defect (2.0 at
    1280x960, 19.5 at 4000x3000), PackBits 0.14 (0.50, 5.1), for files 4-10 times larger (7 kB at 640x480,
    still a few % of the frame's JPEG). Readers open the file the row names (cv2.imread, Pillow): the same
    2-D array. PNG where OpenCV has no TIFF writer."""
    if getattr(cv2, "haveImageWriter", lambda _name: False)(".tif"):
        return ".tif", [cv2.IMWRITE_TIFF_COMPRESSION, TIFF_PACKBITS]
    return ".png", _mask_png_params(cv2)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:  # os.write may write less than asked (signals, some filesystems)
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        # A write that failed half-way (ENOSPC) left its partial file holding the disk's last bytes:
        # SQLite then had no room either, and the detections stopped with the images.
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    # The rename lives in the directory: without syncing it a power cut (unlike SIGKILL, where the
    # kernel still has it) can lose the file while the frame's committed row points to it. The writer's
    # commit() syncs the folder, once for all the frames it commits, before their rows.


class FlightRecordWriter:
    """Append frames to a flight record folder (created if missing, resumed if present)."""

    def __init__(self, folder: Path, camera: CameraModel, model_id: str, model_sha256: str,
                 extra_meta: dict[str, object] | None = None, save_images: bool = True,
                 drift_reference: DriftReference | None = None, reserve_bytes: int = RESERVE_BYTES,
                 keep_frames_on_write_error: bool = False) -> None:
        """``keep_frames_on_write_error`` (onboard): an image or mask that cannot be written (EIO: a bad
        block) leaves that frame without the file, said once per kind and error number, instead of
        RecordError (the frame, its pose and detections lost)."""
        self.folder = Path(folder)
        self.keep_frames_on_write_error = keep_frames_on_write_error
        self._write_errors_said: set[tuple[str, int | None]] = set()
        self.reserve_bytes = int(reserve_bytes)
        self.drift_reference = drift_reference
        self.save_images = save_images
        self.save_masks = True
        self._empty_masks: dict[tuple[tuple[int, ...], str], bytes] = {}  # see _mask_bytes
        self._mask_encoding: tuple[str, list[int]] | None = None  # chosen at the first mask (cv2 imported there)
        self._waiting: list[tuple[list[object], list[tuple[object, ...]], list[object]]] = []  # see commit
        self._unsynced_dirs: set[str] = set()  # folders with renames not yet synced (see commit)
        self._lock_fd: int | None = None
        try:
            (self.folder / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
            (self.folder / MASKS_DIR).mkdir(parents=True, exist_ok=True)
            self._lock_fd = _lock_for_writing(self.folder)
            # check_same_thread=False: the onboard pipeline opens the writer in one thread and records
            # from its recording thread (one user at a time; never concurrently).
            self._db = sqlite3.connect(self.folder / DB_NAME, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except RecordError:
            raise
        except (OSError, sqlite3.Error) as exc:
            self._unlock()
            raise _cannot_open(self.folder, exc) from exc
        try:
            self._write_meta(camera, model_id, model_sha256, extra_meta)
        except BaseException as exc:  # refused (another format) or failed: the lock must not outlive the writer
            self._db.close()
            self._unlock()
            if isinstance(exc, sqlite3.Error):
                raise _cannot_open(self.folder, exc) from exc
            raise
        self.dropped_images = 0

    def _write_meta(self, camera: CameraModel, model_id: str, model_sha256: str,
                    extra_meta: dict[str, object] | None) -> None:
        meta = {"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION),
                "software_version": __version__, "camera": json.dumps(camera.to_dict()),
                "model_id": model_id, "model_sha256": model_sha256}
        existing = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if existing.get("format_version") not in (None, str(FORMAT_VERSION)):
            raise RecordError(describe(self.folder, f"record format {existing.get('format_version')} "
                                       f"cannot be appended to by format {FORMAT_VERSION}"))
        if "created_utc_s" not in existing:
            meta["created_utc_s"] = repr(time.time())
        for key, value in (extra_meta or {}).items():
            meta[key] = value if isinstance(value, str) else json.dumps(value)
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", meta.items())
        self._db.execute("COMMIT")

    def __enter__(self) -> FlightRecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recorded_indices(self) -> set[int]:
        return {int(r[0]) for r in self._db.execute("SELECT frame_index FROM frames")}

    def add_frame(self, frame_index: int, capture_time_utc_s: float, image_bgr: np.ndarray,
                  pose: Pose, segmentation: Segmentation | None, jpeg_bytes: bytes | None = None,
                  commit: bool = True) -> None:
        """Record one frame; returns once it is durable. ``commit=False`` (group commit, the onboard
        pipeline): its image and mask are written and synced now, its rows wait for ``commit()``, which
        makes every waiting frame durable at once; until then the frame is in flight (a kill loses it)."""
        import cv2

        height, width = image_bgr.shape[:2]
        name = f"{frame_index:06d}"
        image_file = self._save(IMAGES_DIR, f"{name}.jpg", lambda: jpeg_bytes or _encode(
            cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]))) \
            if self.save_images else None
        mask_file = None
        if segmentation is not None and self.save_masks:
            suffix, params = self._mask_encoding or _mask_encoding(cv2)
            self._mask_encoding = (suffix, params)
            mask_file = self._save(MASKS_DIR, f"{name}{suffix}",
                                   lambda: self._mask_bytes(segmentation.class_map, suffix, params))
        stats = frame_stats(image_bgr, segmentation.confidence if segmentation is not None else None)
        values = [frame_index, capture_time_utc_s, image_file, mask_file, width, height,
                  segmentation.model_id if segmentation else None, time.time()] + pose_to_row(pose)
        instances = [(frame_index, i, inst.class_id, float(inst.score), float(inst.area_px),
                      points_to_json(inst.polygon_px), points_to_json(inst.skeleton_px))
                     for i, inst in enumerate(segmentation.instances if segmentation else ())]
        self._waiting.append((values, instances, [frame_index] + [v if math.isfinite(v) else None
                                                                 for v in stats.as_dict().values()]))
        if commit:
            self.commit()

    def commit(self) -> list[int]:
        """Make the frames added with ``commit=False`` durable: their folders synced once (the renames), then
        one transaction for all their rows. Returns their indices; RecordError (none kept) if SQLite fails.
        Each frame's own commit cost the recording thread a WAL fsync, two folder fsyncs and a transaction:
        batches of 4 frames took add_frame from 3.37 to 2.59 ms of thread CPU at 640x480."""
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return []
        for subdir in sorted(self._unsynced_dirs):  # the renames must be on disk before rows point to them
            fsync_dir(self.folder / subdir)
        self._unsynced_dirs.clear()
        indices = [int(values[0]) for values, _, _ in waiting]  # type: ignore[call-overload]
        try:
            self._db.execute("BEGIN IMMEDIATE")
            for values, instances, stats in waiting:
                self._db.execute("DELETE FROM instances WHERE frame_index = ?", (values[0],))
                self._db.execute(_INSERT_FRAME, values)
                self._db.executemany("INSERT INTO instances VALUES (?, ?, ?, ?, ?, ?, ?)", instances)
                self._db.execute(_INSERT_STATS, stats)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            which = f"frame {indices[0]}" if len(indices) == 1 else f"frames {', '.join(map(str, indices))}"
            raise RecordError(describe(self.folder / DB_NAME, f"cannot record {which} ({exc})")) from exc
        return indices

    def _mask_bytes(self, class_map: np.ndarray, suffix: str, params: list[int]) -> bytes:
        """The mask encoded (``_mask_encoding``). An all-zero mask (a frame where nothing was found: most of a
        flight) encodes to the same bytes every time, so they are kept per frame size: its PNG's zlib pass
        over every pixel cost the recording thread 0.47 ms a 640x480 frame; checking the mask is empty costs
        0.007."""
        import cv2

        key = (class_map.shape, class_map.dtype.str)
        empty = class_map.size > 0 and not class_map.max()
        if empty and key in self._empty_masks:
            return self._empty_masks[key]
        data = _encode(cv2.imencode(suffix, class_map, params))
        if empty:
            self._empty_masks[key] = data
        return data

    def update_pose(self, frame_index: int, pose: Pose) -> bool:
        """Re-tag a frame (e.g. once late telemetry fills a gap). The capture time moves with the pose's:
        a frame first stamped on the host's clock is re-tagged on the vehicle's UTC once it is known.
        False when the record holds no such frame (its row was refused, e.g. by a full disk)."""
        sets = ", ".join(f"pose_{n} = ?" for n in POSE_FIELDS)
        cur = self._db.execute(f"UPDATE frames SET capture_time_utc_s = ?, {sets} WHERE frame_index = ?",
                               [pose.time_utc_s] + pose_to_row(pose) + [frame_index])
        return cur.rowcount > 0

    def set_meta(self, key: str, value: object) -> None:
        text = value if isinstance(value, str) else json.dumps(value)
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, text))

    def check_drift(self) -> None:
        """Store the flight's drift verdict (meta ``input_drift``) against the model's reference."""
        if self.drift_reference is None:
            return
        cur = self._db.execute(f"SELECT {', '.join(STAT_NAMES)} FROM frame_stats")
        stats = [stats_from_row(dict(zip(STAT_NAMES, row))) for row in cur]
        report = check_drift(stats, self.drift_reference)
        self.set_meta("input_drift", report.as_dict())
        if report.out_of_distribution:
            log.warning("%s: %s", self.folder, report.summary())

    def close(self) -> None:
        if getattr(self, "_db", None) is not None:
            try:
                self.commit()  # frames still waiting for their commit (group commit) are recorded
            except RecordError as exc:
                log.warning("%s", exc)
            try:  # on a full disk these fail; the frames are committed already, so say it and close
                self.check_drift()
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.OperationalError as exc:
                log.warning("%s: could not store the drift verdict on closing (%s); the frames recorded are "
                            "kept", self.folder, exc)
            finally:
                self._db.close()
                self._db = None  # type: ignore[assignment]
                self._unlock()

    def _unlock(self) -> None:
        fd, self._lock_fd = getattr(self, "_lock_fd", None), None
        if fd is not None:
            os.close(fd)  # releases the lock

    def _save(self, subdir: str, filename: str, encode: object) -> str | None:
        """Write one file atomically; on a full disk give up images first, then masks."""
        data: bytes = encode()  # type: ignore[operator]
        keep = self.reserve_bytes if subdir == IMAGES_DIR else self.reserve_bytes // 2
        free = free_bytes(self.folder)
        try:
            if free is not None and free - len(data) < keep:
                raise OSError(errno.ENOSPC, f"{free / 1e6:.1f} MB free, {keep / 1e6:.1f} MB kept for detections")
            self._unsynced_dirs.add(subdir)  # before the write: any rename into it is synced at the commit
            _write_atomic(self.folder / subdir / filename, data)
            return f"{subdir}/{filename}"
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                if not self.keep_frames_on_write_error:
                    raise RecordError(describe(self.folder / subdir / filename, f"cannot write ({exc})")) from exc
                if (subdir, exc.errno) not in self._write_errors_said:
                    self._write_errors_said.add((subdir, exc.errno))
                    log.warning("%s: cannot write (%s); frames whose %s cannot be written are recorded without "
                                "them, detections still recorded", self.folder / subdir / filename, exc, subdir)
                return None
            if subdir == IMAGES_DIR:  # add_frame calls this only while that kind is still saved
                self.save_images = False
            else:
                self.save_masks = False
            log.warning("%s: disk full (%s), no longer saving %s; detections still recorded", self.folder,
                        exc.strerror, subdir)
            self.dropped_images += 1
            return None


LOCK_NAME = ".writer.lock"


def _lock_for_writing(folder: Path) -> int | None:
    """An exclusive lock on the record for this writer's life (the kernel drops it when the process
    dies). Two writers on one record (a second `skyinspect onboard` with the same --out, its RTSP camera
    and UDP link shared) both numbered their frames from the record's last one and silently replaced
    each other's rows and images. None where there is no flock (Windows)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise
        raise RecordError(describe(folder, "is being written by another process (a second skyinspect onboard or "
                                   "replay with the same --out)", "Stop the other run, or choose another --out")) from None
    return fd


def being_written(folder: Path) -> bool:
    """Whether a writer (a live onboard run) holds the record now: its lock cannot be shared. A record that
    reads 'did not finish' and is not being written was left so by a kill or a power cut. The probe holds a
    shared lock for an instant; False where there is no lock file or no flock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        fd = os.open(Path(folder) / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
    finally:
        os.close(fd)  # closing drops a lock this probe took
    return False


FULL_DISK_BYTES = 1024 * 1024  # under this free, SQLite cannot count on creating the -shm index (32 KiB)


def _cannot_open(folder: Path, exc: BaseException) -> RecordError:
    """On a full disk SQLite says only 'disk I/O error' (it cannot create the -shm index), which reads as
    a broken card: say the disk is full where it is (under FULL_DISK_BYTES free). A read-only disk is asked
    first, as the reader does: one reports 0 free whatever it holds (squashfs, an ISO image), and was called full."""
    if folder.is_dir() and on_read_only_disk(folder):
        return RecordError(describe(folder, f"cannot open the flight record for writing: its disk is read-only (SQLite "
                                    f"said: {exc})", "Record into an --out on a writable disk (the record still reads "
                                    "where it is)"))
    free = free_bytes(folder) if folder.is_dir() else None
    if free is not None and free < FULL_DISK_BYTES:
        return RecordError(describe(folder, f"cannot open the flight record: its disk is full ({free} bytes free; "
                                    f"SQLite said: {exc})", "Free some room on the disk, or record into an --out "
                                    "on another disk"))
    return RecordError(describe(folder, f"cannot create flight record ({exc})"))


def on_read_only_disk(folder: Path) -> bool:
    """Whether ``folder``'s file system is mounted read-only (statvfs ST_RDONLY); False where unknown."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return False


def free_bytes(folder: Path) -> int | None:
    """Bytes an unprivileged writer may still use on ``folder``'s disk; None where unknown."""
    try:
        st = os.statvfs(folder)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return None
    return st.f_bavail * st.f_frsize


def _encode(result: tuple[bool, np.ndarray]) -> bytes:
    ok, buf = result
    if not ok:
        raise RecordError("image encoding failed")
    return buf.tobytes()
