"""Work orders for a CMMS (CSV and JSON) and alerts (webhook POST, MQTT) from graded findings.

One work order per finding whose primary grade is urgent enough (``WorkOrderPolicy``): asset id,
component, priority and due date from the rule (inspection date + the state's interval), a
description naming the grade and the clause, and evidence links into the results folder. A finding
graded "indeterminate" gets a work order to measure it on site: nothing is silently dropped.
What the review app decided (``apply_review``) is applied when the orders are listed or alerted: a
finding rejected there (a formwork joint, a stain) raises no work order and no alert, and says so;
the others' descriptions end with the review (confirmed by, relabelled, the comments).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from groundstation.registry.locate import LOCATION_COLUMNS, location_cells
from groundstation.workorders.alerts import AlertConfig, AlertReport, send_alerts
from skyinspect.errors import InputError, describe
from skyinspect.spreadsheet import SPREADSHEET_ENCODING, csv_safe

CSV_COLUMNS = ("work_order_id", "asset_id", "component", "component_id", "finding_id", "defect", "grade", "rule",
               "clause", "priority", "due_date", "action", "description", "position", "evidence", "found_as",
               # where on its component (groundstation.registry.locate); appended so that readers by position keep
               # working. Empty when not worked out: the location column says why
               *LOCATION_COLUMNS)


@dataclass(frozen=True)
class WorkOrderPolicy:
    max_priority: int = 3  # findings whose grade has priority <= this get a work order (1 = most urgent)
    include_indeterminate: bool = True
    indeterminate_priority: int = 3
    indeterminate_due_days: int = 90
    evidence_base: str = ""  # prefix for evidence links (e.g. "https://host/results/T1-2025/"); "" = relative

    def priority_and_days(self, grade: Any) -> tuple[int | None, int | None]:
        """A grade's work-order priority and days until due: an indeterminate grade's order is a check
        (``indeterminate_priority``, ``indeterminate_due_days``), as urgent as the worst state its interval
        allows where that is more urgent (``Grade.could_be``), else the grade's own; what the work
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
            if o.is_indeterminate or o.priority is None or o.interval_days is None:
                continue
            if (priority is None or o.priority < priority) or (days is None or o.interval_days < days):
                said.append(f"Also {o.state} by {o.rule}: {o.action} (priority {o.priority}, within "
                            f"{o.interval_days} days)")
                priority = o.priority if priority is None else min(priority, o.priority)
                days = o.interval_days if days is None else min(days, o.interval_days)
        return priority, days, " ".join(x for x in said if x)

    def why_urgent(self, grade: Any) -> str:
        """The sentence a check's action ends with when the worst state its interval allows made it more
        urgent than the policy's (``priority_and_days``); "" otherwise."""
        could_be = getattr(grade, "could_be", "")
        priority, days = self.priority_and_days(grade)
        if not grade.is_indeterminate or not could_be or (priority, days) == (self.indeterminate_priority,
                                                                               self.indeterminate_due_days):
            return ""
        return f"It may be {could_be} ({grade.rule}): checked as urgently (priority {priority}, within {days} days)."


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

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["evidence"] = list(self.evidence)
        return d


def build_work_orders(findings: Any, grades: dict[str, tuple[Any, ...]], inspection_date: str,
                      asset_id: str = "", assignments: dict[str, dict[str, Any]] | None = None,
                      policy: WorkOrderPolicy = WorkOrderPolicy(),
                      checks: dict[str, str] | None = None, flight_start_utc_s: float | None = None) -> list[WorkOrder]:
    """``findings``: Finding objects; ``grades``: finding id -> grades (primary first);
    ``inspection_date``: ISO date the intervals count from; ``checks``: finding id -> what to check
    before acting (groundstation.joints), put first in the action; ``flight_start_utc_s``: the flight's
    first frame, whose UTC time goes into each order's id (the flights of one day each number their
    findings from F-0001: their orders had the same ids). Sorted by priority, then due date."""
    from groundstation.publish.context import MEASUREMENT_DIGITS, format_measurement

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
        # as the report prints them ('.3g' had written a 1,234.5 mm crack as '1.23e+03 mm')
        meas = "; ".join(f"{k} {format_measurement(m, MEASUREMENT_DIGITS.get(k, 2))}"
                         for k, m in f.measurements.items() if m.value is not None)
        grade_text = f"{g.state}{'+' if g.bound == 'at_least' else ''}"
        description = (f"{f.class_name} {f.finding_id} on {label}: {grade_text} by {g.rule}"
                       f"{' (' + g.note + ')' if g.note else ''}. {meas}".strip())
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
        if check:
            description += f" Check: {check}."
        orders.append(WorkOrder(f"WO-{asset_id or 'asset'}-{stamp}-{f.finding_id}", asset_id,
                                label, str(comp.get("component_id", "")), f.finding_id, f.class_name, grade_text,
                                g.rule, g.clause or g.note, priority, (start + timedelta(days=days)).isoformat(),
                                action, description, position, evidence,
                                **location_cells(comp if f.finding_id in (assignments or {}) else None)))
    return sorted(orders, key=_listing_order)


def _listing_order(o: WorkOrder) -> tuple[int, str, str]:
    """How orders are listed: by priority, then due date."""
    return o.priority, o.due_date, o.finding_id


def work_orders_csv(orders: list[WorkOrder]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
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
    return [WorkOrder(**{**o, "evidence": tuple(o["evidence"])}) for o in data["work_orders"]]


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
        orders = [WorkOrder(**{**o, "evidence": tuple(o["evidence"])}) for o in data["work_orders"]]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(describe(path, f"unreadable ({type(exc).__name__}: {exc})",
                                  "Process the flight again with `skyinspect process`")) from exc
    return orders, {"asset_id": data.get("asset_id", ""), "inspection_date": data.get("inspection_date", ""),
                    "review": data.get("review") if isinstance(data.get("review"), dict) else None}


@dataclass(frozen=True)
class ReviewTrail:
    """What ``review/audit.jsonl`` decided, as every product applies it: ``state`` (finding id -> the
    fold of ``AuditLog.state``) only when the chain verifies; ``seq`` the last entry applied, ``who``
    the reviewers, ``broken`` what to say when the trail fails its hash check (then nothing applies)."""
    path: Path
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    seq: int = 0
    who: tuple[str, ...] = ()
    broken: str = ""

    def rejected(self, finding_id: str) -> bool:
        return self.state.get(finding_id, {}).get("status") == "rejected"

    def said(self) -> str:
        """One line for a report: which decisions it includes, or why none."""
        if self.broken:
            return self.broken
        if not self.seq:
            return "No review decisions (review/audit.jsonl is empty or absent): findings as processed."
        return (f"Includes review decisions up to audit seq {self.seq} by {', '.join(self.who)} "
                f"(review/audit.jsonl, hash chain verified).")


def read_review(results: Path) -> ReviewTrail:
    """The review trail of a results folder, verified; one reading shared by the work orders
    (``apply_review``) and the published products (groundstation.publish.reviewed)."""
    from groundstation.review.audit import AuditLog, AuditUnreadable

    audit = AuditLog(Path(results) / "review" / "audit.jsonl")
    if not audit.path.is_file():
        return ReviewTrail(audit.path)
    try:
        entries = audit.entries()  # read once: the review app may append while this reads
        intact, state = audit.verify(entries), audit.state(entries)
    except (AuditUnreadable, KeyError, TypeError, AttributeError):  # a line not an entry
        intact, state, entries = False, {}, []
    if not intact:
        return ReviewTrail(audit.path, broken=f"{audit.path}: the review audit trail fails its hash check (edited "
                                              "or cut); its decisions are not applied")
    who = tuple(dict.fromkeys(str(e["who"]) for e in entries))
    return ReviewTrail(audit.path, state, len(entries), who)


def review_note(class_found: str, review: dict[str, Any] | None, regraded: bool = False,
                graded_as: str = "") -> str:
    """What the reviewer said of a finding found as ``class_found``, for a work order's description and
    the report: a relabel, a confirmation, the comments; "" for nothing. ``regraded``: the grade is the
    reviewed class's (published: groundstation.publish.reviewed); else it is still ``graded_as``'s (the
    class found's unless given: a relabel published, then changed again)."""
    if not review:
        return ""
    said = []
    graded = graded_as or class_found
    if review.get("label") not in (None, class_found) and regraded:
        said.append(f"relabelled {review['label']} by {review['by']} (graded as {review['label']})")
    elif review.get("label") not in (None, graded) and not regraded:
        said.append(f"relabelled {review['label']} by {review['by']} (graded as {graded}: "
                    f"grade it again as {review['label']})")
    elif review.get("status") == "confirmed":
        said.append(f"confirmed by {review['by']}")
    said += [f"{c['who']}: {c['text']}" for c in review.get("comments", [])]
    return "; ".join(said)


def apply_review(orders: list[WorkOrder], results: Path) -> tuple[list[WorkOrder], list[str]]:
    """The orders less those of findings rejected in the review app (``review/audit.jsonl``), and
    what to tell the user: which were left out, which were relabelled (graded as the reviewer's class
    where `skyinspect publish` regraded them, ``graded_as`` in workorders.json; else still as the class
    found, and said so). An audit trail that fails its hash
    chain is not applied (every order is kept) and said so."""
    trail = read_review(results)
    published = _published(results)  # rejected ones already left out of workorders.json by `skyinspect publish`
    listed = {x.finding_id for x in orders}
    back = [o for o in published.get("rejected_orders", [])
            if not trail.rejected(o.finding_id) and o.finding_id not in listed]
    if back:  # rejected when published, not any more (or the trail is broken): its order is due again
        orders = sorted(orders + back, key=_listing_order)
    if trail.broken:  # nothing applies, the rejections publish applied neither
        return orders, [trail.broken + ": every work order is listed"]
    state = trail.state
    said = []
    still = [fid for fid in published.get("rejected", []) if trail.rejected(fid)]
    if still:
        said.append(f"published with the review decisions up to audit seq {published.get('applied_to_seq')}: "
                    f"{len(still)} rejected, no work order or alert: "
                    + ", ".join(f"{fid} (by {state[fid]['by']})" for fid in still))
    if back:  # rejected when published, not any more: its order is due again
        said.append("rejected when published, not since (publish again for the report): "
                    + ", ".join(f"{o.finding_id} ({state.get(o.finding_id, {}).get('status', 'unreviewed')})"
                                for o in back))
    rejected = {o.finding_id for o in orders if trail.rejected(o.finding_id)}
    kept = [o for o in orders if o.finding_id not in rejected]
    if rejected:
        said.append(f"{len(rejected)} rejected in review, no work order or alert: "
                    + ", ".join(f"{o.finding_id} (by {state[o.finding_id]['by']})" for o in orders
                                if o.finding_id in rejected))
    # a relabel `skyinspect publish` already graded the order by (its grade is the reviewed class's)
    graded_as = published.get("graded_as", {})

    def regraded(o: WorkOrder) -> bool:
        label = state.get(o.finding_id, {}).get("label")
        return label is not None and graded_as.get(o.finding_id) == label

    relabelled = [o for o in kept if state.get(o.finding_id, {}).get("label") not in (None, o.defect)
                  and not regraded(o)]
    for published_as, how in ((False, "relabelled in review, still graded as found: "),
                              (True, "relabelled in review since publishing, still graded as published: ")):
        these = [o for o in relabelled if bool(o.found_as) == published_as]
        if these:
            said.append(how + ", ".join(f"{o.finding_id} {o.defect} -> {state[o.finding_id]['label']}" for o in these))
    return [with_review(o, state.get(o.finding_id), regraded(o)) for o in kept], said


def published_review(trail: ReviewTrail, rejected: list[str], rejected_orders: list[WorkOrder],
                     graded_as: dict[str, str] | None = None) -> dict[str, Any]:
    """What workorders.json says of the review published into it (``skyinspect publish``): the rejected
    findings and the orders they would have had, which ``apply_review`` puts back for a finding no
    longer rejected (confirmed after publishing); ``graded_as``: finding id -> the reviewer's class its
    order was graded as (a relabel), so ``apply_review`` does not call it still graded as found."""
    return {"applied_to_seq": trail.seq, "by": list(trail.who), "rejected": rejected,
            "rejected_orders": [o.to_dict() for o in rejected_orders], "graded_as": dict(graded_as or {})}


def _published(results: Path) -> dict[str, Any]:
    """workorders.json's review section (``published_review``), its rejected orders as WorkOrders; {}
    for none. A section that is not one is refused by name (a KeyError traceback before)."""
    path = Path(results) / "workorders.json"
    try:
        review = json.loads(path.read_text(encoding="utf-8")).get("review")
    except (OSError, ValueError, AttributeError):
        return {}
    if review is None:
        return {}
    try:
        if not isinstance(review, dict):
            raise TypeError(f"expected an object, got a JSON {type(review).__name__}")
        rejected, orders, graded_as = (review.get(k, d) for k, d in (("rejected", []), ("rejected_orders", []),
                                                                     ("graded_as", {})))
        if not isinstance(rejected, list) or not isinstance(orders, list) or not isinstance(graded_as, dict):
            raise TypeError("expected lists 'rejected' and 'rejected_orders' and an object 'graded_as'")
        orders = [WorkOrder(**{**o, "evidence": tuple(o["evidence"])}) for o in orders]
    except (KeyError, TypeError, AttributeError) as exc:
        raise InputError(describe(path, f"its review section is unreadable ({type(exc).__name__}: {exc})",
                                  "Publish the review again with `skyinspect publish RESULTS`")) from exc
    return {**review, "rejected": [str(x) for x in rejected], "rejected_orders": orders,
            "graded_as": {str(k): str(v) for k, v in graded_as.items()}}


def with_review(order: WorkOrder, review: dict[str, Any] | None, regraded: bool = False) -> WorkOrder:
    """``order`` with the reviewer's word at the end of its description: a relabel and the comments
    had reached the terminal only, not the CSV a CMMS gets (the demo's F-0002 relabelled a crack went
    as 'corrosion ... clean and spot-coat', unqualified). An order published with an earlier review
    (``skyinspect publish``) has that note replaced, not a second one appended. ``regraded``: its grade
    is the reviewed class's, so ``defect`` names that class and ``found_as`` the class found (a CMMS
    filing by defect had sent a crack crew to rust graded as a crack)."""
    base = order.description
    if order.review and base.endswith(f" Review: {order.review}."):
        base = base[:-len(f" Review: {order.review}.")]
    found = order.found_as or order.defect
    note = review_note(found, review, regraded, order.defect)
    if regraded:
        label = str((review or {}).get("label") or found)
        order = replace(order, defect=label, found_as=found if label != found else "")
    return replace(order, description=f"{base} Review: {note}." if note else base, review=note)


__all__ = ["AlertConfig", "AlertReport", "CSV_COLUMNS", "csv_safe", "ReviewTrail", "WorkOrder", "WorkOrderPolicy",
           "apply_review", "published_review", "read_review", "review_note", "with_review",
           "build_work_orders", "load_work_orders", "read_work_orders", "send_alerts", "work_orders_csv",
           "work_orders_json", "write_work_orders"]
