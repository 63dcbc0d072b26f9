"""Work orders from graded findings: the policy (``WorkOrderPolicy``), one ``WorkOrder`` per finding
urgent enough (``build_work_orders``), their CSV and JSON, and reading them back. Imported through
``groundstation.workorders``."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from groundstation.registry.locate import LOCATION_COLUMNS, location_cells
from groundstation.workorders.wording import in_words, measurements_text
from skyinspect.errors import InputError, describe
from skyinspect.spreadsheet import SPREADSHEET_ENCODING, csv_safe

CSV_COLUMNS = ("work_order_id", "asset_id", "component", "component_id", "finding_id", "defect", "grade", "rule",
               "clause", "priority", "due_date", "action", "description", "position", "evidence", "found_as",
               # where on its component (groundstation.registry.locate); appended so that readers by position keep
               # working. Empty when not worked out: the location column says why
               *LOCATION_COLUMNS)

# which number is latitude: "position" read 47.39,8.54,494.92 with no word of it (report.html's header says it).
# The CSV header and the report's phone and PDF cards (groundstation.publish.report) say it so
POSITION_LABEL = "position (lat, lon WGS84; alt m MSL)"
# the header where a column's name alone does not say its order. The column's key and place are kept
CSV_HEADER = {"position": POSITION_LABEL}


@dataclass(frozen=True)
class WorkOrderPolicy:
    max_priority: int = 3  # findings whose grade has priority <= this get a work order (1 = most urgent)
    include_indeterminate: bool = True
    indeterminate_priority: int = 3
    indeterminate_due_days: int = 90
    evidence_base: str = ""  # prefix for evidence links (e.g. "https://host/results/T1-2025/"); "" = relative

    def priority_and_days(self, grade: Any) -> tuple[int | None, int | None]:
        """A grade's work-order priority and days until due: an indeterminate grade's order is a check
        (``indeterminate_priority``, ``indeterminate_due_days``), as urgent as the worst state it may be
        where that is more urgent (``Grade.could_be``: its interval's worst, or the rule's worst for a
        quantity not measured), else the grade's own; what the work
        orders, the report and the GIS layers all show."""
        if grade.is_indeterminate:
            p, d = getattr(grade, "could_be_priority", None), getattr(grade, "could_be_days", None)
            return (min(self.indeterminate_priority, p) if p is not None else self.indeterminate_priority,
                    min(self.indeterminate_due_days, d) if d is not None else self.indeterminate_due_days)
        return grade.priority, grade.interval_days

    def terms(self, grades: tuple[Any, ...] | list[Any]) -> tuple[int | None, int | None, str]:
        """(priority, days until due, what to add to the primary grade's action) of a finding's work order
        from all its grades (primary first): as urgent as the most urgent of them. rc_bridge grades rust
        by AASHTO 1000 first (CS2+: priority 3, 180 days, spot-coat); a pier 10 % rusted is also ISO
        4628-3 Ri5 (priority 2, 90 days, full recoat), which the order had left out."""
        g = grades[0]
        priority, days = self.priority_and_days(g)
        said = [self.why_urgent(g)]
        for o in grades[1:]:
            # an indeterminate grade may be worse than the rest: checked as urgently as that (as a primary's is)
            p, d = ((getattr(o, "could_be_priority", None), getattr(o, "could_be_days", None)) if o.is_indeterminate
                    else (o.priority, o.interval_days))
            if p is None or d is None or not (priority is None or p < priority or days is None or d < days):
                continue
            if o.is_indeterminate:
                said.append(f"Also may be {o.could_be} by {o.rule}{' (' + in_words(o.note) + ')' if o.note else ''}: "
                            f"check it as urgently as {o.could_be} (priority {p}, within {d} days).")
            else:  # with what decided it (its note: a rusted share over an area is no measurement of the finding)
                said.append(f"Also {o.state} by {o.rule}{', ' + in_words(o.note) if o.note else ''}: {o.action} "
                            f"(priority {p}, within {d} days)")
            priority, days = p if priority is None else min(priority, p), d if days is None else min(days, d)
        return priority, days, " ".join(x for x in said if x)

    def why_urgent(self, grade: Any) -> str:
        """The sentence a check's action ends with when the worst state its interval allows made it more
        urgent than the policy's (``priority_and_days``); "" otherwise."""
        could_be = getattr(grade, "could_be", "")
        priority, days = self.priority_and_days(grade)
        if not grade.is_indeterminate or not could_be or (priority, days) == (self.indeterminate_priority,
                                                                               self.indeterminate_due_days):
            return ""
        # 'checked as urgently (priority 2, ...)' had not said as urgently as what
        return (f"It may be {could_be} ({grade.rule}), so it is checked as urgently as {could_be}: priority {priority}, "
                f"within {days} days.")


@dataclass(frozen=True)
class WorkOrder:
    work_order_id: str
    asset_id: str
    component: str
    component_id: str
    finding_id: str
    defect: str
    grade: str
    rule: str
    clause: str
    priority: int
    due_date: str  # ISO date
    action: str
    description: str
    position: str
    evidence: tuple[str, ...] = field(default_factory=tuple)
    review: str = ""  # the review note ending the description (``with_review``), "" for none
    # the class the model found, when ``defect`` is a reviewer's relabel the order was graded as; "" otherwise
    found_as: str = ""
    # where on the component a crew finds it (groundstation.registry.locate.LOCATION_COLUMNS)
    location: str = ""
    face: str = ""
    reference: str = ""
    along_face_m: float | None = None
    across_face_m: float | None = None
    above_base_m: float | None = None
    chainage_m: float | None = None
    side: str = ""
    clock: str = ""
    from_root_m: float | None = None
    # the states of the finding's other determinate grades ('Ri5' beside rc_bridge's CS2+): an alert on a state
    # matches them too (alerts.AlertConfig.crosses). JSON only; not a CSV column
    other_grades: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = list(self.evidence)
        d["other_grades"] = list(self.other_grades)
        return d

    @classmethod
    def from_dict(cls, o: dict[str, Any]) -> WorkOrder:
        return cls(**{**o, "evidence": tuple(o["evidence"]), "other_grades": tuple(o.get("other_grades") or ())})


def build_work_orders(findings: Any, grades: dict[str, tuple[Any, ...]], inspection_date: str,
                      asset_id: str = "", assignments: dict[str, dict[str, Any]] | None = None,
                      policy: WorkOrderPolicy = WorkOrderPolicy(),
                      checks: dict[str, str] | None = None, flight_start_utc_s: float | None = None) -> list[WorkOrder]:
    """``findings``: Finding objects; ``grades``: finding id -> grades (primary first);
    ``inspection_date``: ISO date the intervals count from; ``checks``: finding id -> what to check
    before acting (groundstation.joints), put first in the action; ``flight_start_utc_s``: the flight's
    first frame, whose UTC time goes into each order's id (the flights of one day each number their
    findings from F-0001: their orders had the same ids). Sorted by priority, then due date."""
    start = date.fromisoformat(inspection_date[:10]) if inspection_date else date.today()
    stamp = start.isoformat()
    if flight_start_utc_s is not None and math.isfinite(flight_start_utc_s):
        stamp = datetime.fromtimestamp(flight_start_utc_s, tz=timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    orders = []
    for f in findings:
        gs = grades.get(f.finding_id) or ()
        if not gs:
            continue
        g = gs[0]
        if g.is_indeterminate and not policy.include_indeterminate:
            continue
        grade_priority, grade_days, more = policy.terms(gs)  # the most urgent of its grades
        if not g.is_indeterminate and (grade_priority is None or grade_priority > policy.max_priority):
            continue
        priority, days = int(grade_priority), int(grade_days or 0)  # type: ignore[arg-type]
        comp = (assignments or {}).get(f.finding_id, {})
        label = str(comp.get("label", "")) or "unassigned"
        # as the report prints them ('.3g' had written a 1,234.5 mm crack as '1.23e+03 mm'), a hairline's width
        # as its interval; in words for a planner: 'length_mm 414.2 +/- 35.4 mm' named its unit twice (wording)
        meas = measurements_text(f.measurements)
        grade_text = f"{g.state}{'+' if g.bound == 'at_least' else ''}"
        description = (f"{f.class_name} {f.finding_id} on {label}: {grade_text} by {g.rule}"
                       f"{' (' + in_words(g.note) + ')' if g.note else ''}. {meas}".strip())
        base = policy.evidence_base
        evidence = (f"{base}report.html#{f.finding_id}", f"{base}map.html", f"{base}findings.geojson",
                    f"{base}report.pdf")
        position = f"{f.lat_deg:.7f},{f.lon_deg:.7f},{f.alt_msl_m:.2f}"
        if comp.get("chainage_m") is not None:
            position += f"; chainage {float(comp['chainage_m']):.1f} m"
        if comp.get("radius_m") is not None:
            position += f"; {float(comp['radius_m']):.1f} m from hub"
        check = (checks or {}).get(f.finding_id, "")
        action = " ".join(x for x in (g.action, more) if x)
        action = f"First check it is a defect (see the description). Then: {action}" if check else action
        if check:  # its own sentence: after the measurements it had run on ('... (bound) Check: ...')
            description = f"{description.rstrip('.')}. Check: {check.rstrip('.')}."
        orders.append(WorkOrder(f"WO-{asset_id or 'asset'}-{stamp}-{f.finding_id}", asset_id,
                                label, str(comp.get("component_id", "")), f.finding_id, f.class_name, grade_text,
                                g.rule, g.clause or g.note, priority, (start + timedelta(days=days)).isoformat(),
                                action, description, position, evidence,
                                **location_cells(comp), other_grades=tuple(
                                    f"{o.state}{'+' if o.bound == 'at_least' else ''}" for o in gs[1:]
                                    if not o.is_indeterminate)))
    return sorted(orders, key=_listing_order)


def _listing_order(o: WorkOrder) -> tuple[int, str, str]:
    """How orders are listed: by priority, then due date."""
    return o.priority, o.due_date, o.finding_id


def work_orders_csv(orders: list[WorkOrder]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writerow({k: CSV_HEADER.get(k, k) for k in CSV_COLUMNS})
    for o in orders:
        row = o.to_dict()
        row["evidence"] = " ".join(o.evidence)
        row.update({k: "" if row[k] is None else f"{row[k]:.2f}" for k in LOCATION_COLUMNS if k.endswith("_m")})
        w.writerow({k: csv_safe(row[k]) for k in CSV_COLUMNS})
    return buf.getvalue()


def work_orders_json(orders: list[WorkOrder], asset_id: str = "", inspection_date: str = "",
                     review: dict[str, Any] | None = None) -> str:
    """``review``: the review published into the orders (``published_review``), None for none."""
    head = {"format": "skyinspect-workorders", "version": 1, "asset_id": asset_id, "inspection_date": inspection_date}
    return json.dumps({**head, **({"review": review} if review else {}),
                       "work_orders": [o.to_dict() for o in orders]}, indent=1)


def write_work_orders(orders: list[WorkOrder], csv_path: Path, json_path: Path, asset_id: str = "",
                      inspection_date: str = "", review: dict[str, Any] | None = None) -> None:
    Path(csv_path).write_text(work_orders_csv(orders), encoding=SPREADSHEET_ENCODING)  # BOM: Excel reads UTF-8
    Path(json_path).write_text(work_orders_json(orders, asset_id, inspection_date, review), encoding="utf-8")


def read_work_orders(json_path: Path) -> list[WorkOrder]:
    data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    return [WorkOrder.from_dict(o) for o in data["work_orders"]]


def load_work_orders(results: Path) -> tuple[list[WorkOrder], dict[str, Any]]:
    """The work orders of a results folder and the header of its workorders.json (asset id,
    inspection date); a missing or damaged file is an InputError naming it."""
    results = Path(results)
    if not results.is_dir():
        raise InputError(describe(results, "no such results folder", "Give a folder written by `skyinspect process`"))
    path = results / "workorders.json"
    if not path.is_file():
        raise InputError(describe(path, "missing: not a skyinspect results folder (or made before work orders existed)",
                                  "Process the flight again with `skyinspect process`"))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != "skyinspect-workorders":
            raise InputError(describe(path, f"expected format 'skyinspect-workorders', got {data.get('format')!r}"))
        orders = [WorkOrder.from_dict(o) for o in data["work_orders"]]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(describe(path, f"unreadable ({type(exc).__name__}: {exc})",
                                  "Process the flight again with `skyinspect process`")) from exc
    return orders, {"asset_id": data.get("asset_id", ""), "inspection_date": data.get("inspection_date", ""),
                    "review": data.get("review") if isinstance(data.get("review"), dict) else None}
