"""Files written whole or not at all: a temporary file beside the target, then renamed over it
(a rename within one folder is atomic), so a reader, a crash or a full disk never meets half a file."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_atomic(path: Path, data: str | bytes, encoding: str = "utf-8", tmp_name: str | None = None) -> None:
    """Write ``data`` (text in ``encoding``, or bytes) to ``path`` through ``.<name>.tmp`` beside it
    (``tmp_name``: another name in its folder, where a caller's is pinned: segment's ``<name>.part``).
    On any failure (the disk full, Ctrl-C) the temporary file is removed and the error raised; ``path``
    keeps what it had."""
    path = Path(path)
    tmp = path.with_name(tmp_name or f".{path.name}.tmp")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding=encoding)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):  # the original error is the one to report
            tmp.unlink()
        raise


def fsync_dir(folder: Path) -> None:
    """Sync ``folder`` itself: a file or folder created (or renamed) in it is named there, and a power
    cut (unlike a killed process) can lose that name even when the file's own data was synced (as the
    flight record writer does for its frames, skyinspect.record.writer)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # platforms that cannot open a directory (Windows): nothing to sync
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the file itself is synced
    finally:
        os.close(fd)


__all__ = ["fsync_dir", "write_atomic"]
