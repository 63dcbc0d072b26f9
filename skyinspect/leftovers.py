"""Folders a killed run leaves behind, named by the pid that wrote them, and their removal by the next run.

A run that writes into a hidden folder and renames it into place cleans up in ``finally``, which a
SIGKILL, the OOM killer or a power cut never reach: the folder stays, and a later run (another pid)
did not know it. Each such folder carries its writer's pid; one whose process is gone is removed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (signal 0 only asks)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True  # another user's process
    return True


def remove_dead(folders: Iterable[Path], pid_of: Callable[[Path], int | None]) -> list[Path]:
    """Remove each folder whose writer (``pid_of``; None: unknown, taken as gone) is not running.
    Returns the folders removed."""
    removed = []
    for folder in folders:
        pid = pid_of(folder)
        if pid is not None and pid_alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def trailing_pid(folder: Path, sep: str = "-") -> int | None:
    """The pid at the end of a name like ``.flight.replacing-1234``; None when there is none."""
    tail = folder.name.rsplit(sep, 1)[-1]
    return int(tail) if tail.isdigit() else None
