"""Entry point of the `skyinspect` command: registers one small module per command."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

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
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


app = typer.Typer(name="skyinspect", no_args_is_help=True, add_completion=False,
                  help="Drone infrastructure inspection: simulate, record, process, report.")


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show debug logging.")) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _register() -> None:
    # Imported here so each command module stays small and `skyinspect --help` stays fast.
    from skyinspect.cli import demo, model, onboard, process, simulate

    app.command("simulate")(handle_errors(simulate.simulate_command))
    app.command("onboard")(handle_errors(onboard.onboard_command))
    app.command("process")(handle_errors(process.process_command))
    app.command("demo")(handle_errors(demo.demo_command))
    app.add_typer(model.app, name="model")


_register()

if __name__ == "__main__":
    app()
