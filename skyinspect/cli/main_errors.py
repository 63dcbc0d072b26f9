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
FILE_SYSTEM_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.ENOTDIR,
                                errno.EISDIR, errno.EEXIST, errno.ENOENT, errno.ENAMETOOLONG})


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
            if exc.errno not in FILE_SYSTEM_ERRNOS or not exc.filename:
                raise
            err_console.print(f"[bold red]error:[/] {escape(str(exc.filename))}: {escape(exc.strerror or str(exc))}. "
                              "Check that the path is right, its folder writable and the disk not full",
                              highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


