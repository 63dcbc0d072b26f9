"""`skyinspect publish RESULTS`: the publish stage again, with the review app's decisions applied."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

console = Console()


def publish_command(
    results: Path = typer.Argument(..., help="Results folder written by `skyinspect process`."),
    flight: Path | None = typer.Option(None, "--flight", help="Flight record folder, when it has moved since "
                                       "processing (its images are the report's crops)."),
    rules: Path | None = typer.Option(None, "--rules", help="The grading rules folder `skyinspect process --rules` "
                                      "had (default: the shipped rules): a relabelled or rejected finding changes "
                                      "grades, which are taken again by these rules."),
) -> None:
    """Publish the report, GIS layers, map and work orders again from the saved stage outputs, with the
    review (`skyinspect serve`) applied: rejected findings out (kept in a 'rejected' layer and report section),
    relabels, confirmations and comments shown. The earlier stages are not run."""
    from groundstation.republish import publish_reviewed

    summary = publish_reviewed(results, flight, progress=True, rules_dir=rules)
    console.print(escape(summary.review_said), soft_wrap=True, highlight=False)
    if summary.rejected:
        console.print(escape(f"rejected in review, kept apart: {', '.join(summary.rejected)}"), soft_wrap=True,
                      highlight=False)
    console.print(f"published {summary.findings} findings into [bold]{escape(str(summary.out))}[/] "
                  f"({len(summary.products)} products)", soft_wrap=True)
