"""`skyinspect workorders RESULTS`: list a results folder's work orders; send alerts for the urgent ones."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()


def workorders_command(
    results: Path = typer.Argument(..., help="Results folder written by `skyinspect process`."),
    alerts: Path | None = typer.Option(None, "--alerts", help="alerts.yaml (max_priority, states, webhook_url, "
                                       "webhook_token, mqtt_host, mqtt_port, mqtt_topic, timeout_s): send the work "
                                       "orders that cross its threshold."),
    dry_run: bool = typer.Option(False, "--dry-run", help="With --alerts: list what would be sent, send nothing."),
    write_csv: Path | None = typer.Option(None, "--write-csv", help="Write the orders as listed (the review "
                                          "app's rejections applied) to this CSV for a CMMS."),
) -> None:
    """Show the work orders (priority, due date, component, grade, action) and optionally alert on them.

    Exit code 1 when an alert could not be delivered (each failure is printed); 2 on bad input."""
    from groundstation.workorders import AlertConfig, apply_review, load_work_orders, send_alerts
    from skyinspect.errors import InputError, describe

    if dry_run and alerts is None:
        raise InputError(describe("--dry-run", "only applies with --alerts", "Pass --alerts ALERTS.yaml"))
    if write_csv is not None and write_csv.is_dir():
        raise InputError(describe(write_csv, "is a folder; expected the path of a CSV file to write",
                                  f"e.g. --write-csv {write_csv / 'workorders-reviewed.csv'}"))
    config = AlertConfig.from_yaml(alerts) if alerts is not None else None  # checked before anything is sent
    orders, header = load_work_orders(results)
    orders, review_notes = apply_review(orders, results)  # the review app's rejections: no order, no alert
    for note in review_notes:
        console.print(f"[yellow]review:[/] {escape(note)}", soft_wrap=True, highlight=False)
    if write_csv is not None:
        from groundstation.workorders import work_orders_csv
        from skyinspect.spreadsheet import SPREADSHEET_ENCODING

        from skyinspect.atomic import write_atomic

        try:  # a failed or interrupted write leaves no temporary file beside it
            write_atomic(write_csv, work_orders_csv(orders), encoding=SPREADSHEET_ENCODING)
        except OSError as exc:
            folder = write_csv.parent
            if not folder.exists():  # said only 'cannot write (No such file or directory)' of the CSV
                raise InputError(describe(write_csv, f"cannot write: its folder {folder} does not exist",
                                          f"Create it first (mkdir -p {folder}) or give a path in an existing "
                                          f"folder")) from exc
            from skyinspect.cli.main_errors import FILE_SYSTEM_HINTS

            raise InputError(describe(write_csv, f"cannot write ({exc.strerror or exc})",
                                      FILE_SYSTEM_HINTS.get(exc.errno) or None)) from exc
        console.print(f"wrote {len(orders)} work orders to [bold]{escape(str(write_csv))}[/]", soft_wrap=True)

    # names from the results and the asset file are text, not rich markup: 'Pier [north]' had lost
    # '[north]' and 'Span [/2]' ended in a MarkupError traceback
    title = escape(f"{len(orders)} work orders, asset {header['asset_id'] or '-'}, "
                   f"inspected {header['inspection_date'] or '-'}")
    if orders:
        table = Table(title=title)
        for col in ("priority", "due", "component", "finding", "grade", "action"):
            table.add_column(col, overflow="fold")
        for o in orders:
            table.add_row(*(escape(str(v)) for v in (o.priority, o.due_date, o.component, o.finding_id, o.grade, o.action)))
        console.print(table)
    else:
        console.print(title, soft_wrap=True)
    if config is None:
        return
    if dry_run:
        due = [o.work_order_id for o in orders if config.crosses(o)]
        console.print(escape(f"dry run: {len(due)} would alert: {', '.join(due) or '-'}"), soft_wrap=True)
        return
    if not (config.webhook_url or config.mqtt_host):
        raise InputError(describe(alerts, "names neither webhook_url nor mqtt_host", "Say where to send the alerts"))
    report = send_alerts(orders, config)
    console.print(f"{len(report.alerted)} work orders crossed the threshold; webhook sent {report.webhook_sent}, "
                  f"MQTT sent {report.mqtt_sent}", soft_wrap=True)
    for err in report.errors:
        console.print(f"[red]alert failed:[/] {escape(str(err))}", soft_wrap=True, highlight=False)
    if report.errors:
        raise typer.Exit(1)
