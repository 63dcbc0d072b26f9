"""Turn skyinspect's own errors into one clear line and exit code 2 (shared by all commands)."""

from __future__ import annotations

import errno
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from skyinspect.errors import SkyinspectError

F = TypeVar("F", bound=Callable[..., Any])
err_console = Console(stderr=True)
EXIT_BAD_INPUT = 2
_WRITABLE = "Check that its folder is writable and the disk not full"
_PERMITTED = "This user may not read or write it: check its permissions and owner (ls -l)"
# the fix for each: one hint for all had told a user who may not read an input file, or who gave a folder
# where a file goes, to check that the disk was not full
FILE_SYSTEM_HINTS = {
    errno.EROFS: _WRITABLE, errno.ENOSPC: _WRITABLE, errno.EDQUOT: _WRITABLE,
    errno.EACCES: _PERMITTED, errno.EPERM: _PERMITTED,
    errno.ENOTDIR: "A part of the path is a file, not a folder: check the path",
    errno.EISDIR: "",  # said whole below
    errno.EEXIST: "Something is in the way there: move it, or give another path",
    errno.ENOENT: "Check the path",
    errno.ENAMETOOLONG: "Give a shorter path",
}


def handle_errors(func: F) -> F:
    """Turn our own errors into one clear line on stderr and exit code 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SkyinspectError as exc:
            # escaped: a message may hold brackets (pip extras, list reprs) that rich would eat as markup
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except OSError as exc:
            # the environment, not the input or a bug: a read-only mount, a full disk, a file where a folder
            # goes (publish's staging folder, registry's GeoPackage) had ended in a traceback, exit 1
            if exc.errno not in FILE_SYSTEM_HINTS or not exc.filename:
                raise
            what = ("is a folder, expected a file. Give the file's path" if exc.errno == errno.EISDIR
                    else f"{exc.strerror or exc}. {FILE_SYSTEM_HINTS[exc.errno]}")
            err_console.print(f"[bold red]error:[/] {escape(str(exc.filename))}: {escape(what)}",
                              highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


