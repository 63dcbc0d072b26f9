"""Turn skyinspect's own errors into one clear line and exit code 2 (shared by all commands)."""

from __future__ import annotations

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
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


