"""Entry point of the `skyinspect` command: registers one small module per command."""

from __future__ import annotations

import logging
import sys

import typer

from skyinspect.cli.main_errors import handle_errors

app = typer.Typer(name="skyinspect", no_args_is_help=True, add_completion=False,
                  help="Drone infrastructure inspection: simulate, record, process, report.")


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Show debug logging.")) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _register() -> None:
    # Imported here so each command module stays small and `skyinspect --help` stays fast.
    from skyinspect.cli import (change, demo, model, onboard_live, plan, process, publish, registry, segment, serve,
                                simulate, workorders)

    app.command("simulate")(handle_errors(simulate.simulate_command))
    app.command("onboard")(handle_errors(onboard_live.onboard_command))
    app.command("plan")(handle_errors(plan.plan_command))
    app.command("upload")(handle_errors(plan.upload_command))
    app.command("process")(handle_errors(process.process_command))
    app.command("publish")(handle_errors(publish.publish_command))
    app.command("registry")(handle_errors(registry.registry_command))
    app.command("change")(handle_errors(change.change_command))
    app.command("workorders")(handle_errors(workorders.workorders_command))
    app.command("serve")(handle_errors(serve.serve_command))
    app.command("segment")(handle_errors(segment.segment_command))
    app.command("demo")(handle_errors(demo.demo_command))
    app.add_typer(model.app, name="model")


_register()

if __name__ == "__main__":
    app()
