"""`skyinspect change OLD NEW`: what changed since the last inspection of the same asset."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

console = Console()
STATUSES = ("new", "grown", "stable", "not_re_observed", "rejected")


def change_command(
    old: Path = typer.Argument(..., help="Results folder of the previous inspection (`skyinspect process`)."),
    new: Path = typer.Argument(..., help="Results folder of the current inspection."),
    out: Path | None = typer.Option(None, "--out", help="Folder for change.json, change.csv and change.gpkg "
                                    "(default: NEW, where `skyinspect serve` shows change.json)."),
    gate_m: float = typer.Option(0.5, "--gate-m", help="Match distance floor; the gate is the larger of this and "
                                 "the two findings' combined CE90."),
    k_sigma: float = typer.Option(2.0, "--k-sigma", help="A quantity has grown when it grew by more than this "
                                  "many combined standard deviations."),
) -> None:
    """Match the defects of two inspections: new, grown (with rate per year), stable, not re-observed.

    Writes change.json, change.csv and change.gpkg (layer changes, for QGIS) into --out, and defects.json
    (finding id -> defect uid) into NEW so that the next comparison keeps each defect's name."""
    from groundstation.change import compare, load_inspection, write_change_products
    from groundstation.change.model import QUANTITIES
    from skyinspect.errors import InputError, describe, refuse_file_in_the_way

    # nan passed '<= 0': nothing is within a nan gate, so every defect came out new and not re-observed
    if not (0 < gate_m < math.inf and 0 < k_sigma < math.inf):
        raise InputError(describe("--gate-m/--k-sigma", f"expected positive finite numbers, got {gate_m}, {k_sigma}",
                                  "e.g. --gate-m 0.5 --k-sigma 2"))
    previous, current = load_inspection(old), load_inspection(new)  # both checked before anything is written
    if out is not None:
        refuse_file_in_the_way(out, "a folder for change.json, change.csv and change.gpkg")
    report = compare(previous, current, gate_m=gate_m, k_sigma=k_sigma)
    paths = write_change_products(report, out if out is not None else new, new, (previous, current))

    counts = {s: len(report.by_status(s)) for s in STATUSES}
    # findings rejected in review with nothing to match are not defects: said apart, where there are any
    told = ", ".join(f"{n} {s.replace('_', ' ')}" + (" in review" if s == "rejected" else "")
                     for s, n in counts.items() if n or s != "rejected")
    console.print(f"asset [bold]{escape(report.asset_id or '-')}[/]: {report.previous_date} -> {report.current_date} "
                  f"({report.years:.2f} years); {told}; {sum(1 for c in report.changes if c.escalated)} escalated",
                  soft_wrap=True)
    if report.offset_m is not None:
        n, e, d = report.offset_m
        console.print(f"the two flights were offset by {n:+.2f} m north, {e:+.2f} m east, {d:+.2f} m down "
                      "(each flight's own GNSS error); taken out before matching", soft_wrap=True)
    if report.method_changes:
        from groundstation.measure import MEASUREMENT_METHODS

        # the folder(s) not measured as this version measures: "the previous flight" had been named always, also
        # where the current folder was the older one (processing the previous again left the two unlike)
        off = [(name, folder) for name, folder, seen in (("previous", old, previous), ("current", new, current))
               if any(seen.methods.get(q) != MEASUREMENT_METHODS.get(q) for q in QUANTITIES
                      if previous.methods.get(q) != current.methods.get(q))]
        which = "both flights" if len(off) != 1 else f"the {off[0][0]} flight"
        console.print(f"[yellow]warning:[/] measured by another method in {escape(str(old))} and "
                      f"{escape(str(new))} (last time -> this time): {escape(', '.join(report.method_changes))}; "
                      f"growth in these is shown but not judged. Process {which} again with this version "
                      f"({escape(', '.join(str(f) for _, f in off) or 'both')}: `skyinspect process FLIGHT --out ...`) "
                      "to compare like with like", soft_wrap=True)
    if report.model_change:
        console.print(f"[yellow]warning:[/] segmented by another model ({escape(report.model_change)}): what a model "
                      "draws of a crack or a patch differs from model to model, so growth is shown but not judged; "
                      "segment both flights with one model to compare them", soft_wrap=True)
    for said in report.rule_changes:  # last time graded by another version of a rule (change/grades.py)
        console.print(f"[yellow]note:[/] graded by another rule version last time: {escape(said)}", soft_wrap=True)
    for said in report.review_notes:  # an edited audit trail: its decisions were not applied
        console.print(f"[yellow]warning:[/] {escape(said)}", soft_wrap=True)
    # a width beyond last time's interval is said, not judged (change/bounds.py): still one to look at
    notable = [c for c in report.changes if c.status in ("grown", "new", "not_re_observed") or c.escalated
               or any(g.interval for g in c.growth)]
    if notable:
        table = Table(title="changes")
        # where on the structure, the text only (change.csv has its columns), when processed with a registry
        located = any(c.location.get("location") for c in notable)
        for col in ("defect", "status", "class", "finding", "grade", "growth") + (("location",) if located else ()):
            table.add_column(col, overflow="fold")
        for c in notable:
            # a grade other than the primary that escalated is named (change/grades.py): 'CS2 -> CS2 (escalated)' had
            # read as a contradiction for rust gone Ri3 -> Ri5
            raised = "; ".join(part for part in c.note.split("; ") if part.startswith("escalated "))
            grade = f"{c.previous_grade or '-'} -> {c.current_grade or '-'}" + (
                f" ({raised})" if raised else " (escalated)" if c.escalated else "")
            growth = "; ".join(f"{g.quantity} {g.delta:+.3g}" + (f" ({g.per_year:+.3g}/yr)" if g.per_year is not None else "")
                               for g in c.growth if g.significant and g.delta is not None)
            where = next((part for part in c.note.split("; ") if part.startswith("new crack line")), "")
            text = "; ".join(x for x in (growth, where) if x) if growth else c.note
            # the note quotes who decided in the review app ('confirmed a crack in review (NAME, this time)')
            table.add_row(*(escape(v) for v in (c.defect_uid, c.status, c.class_name,
                                                c.finding_id or c.previous_finding_id or "", grade, text)
                            + ((str(c.location.get("location") or ""),) if located else ())))
        console.print(table)
    console.print(escape("wrote " + ", ".join(str(p) for p in paths.values())), soft_wrap=True)
