"""What the review app decided, applied to the work orders (``apply_review``) and the published products
(``read_review``, ``review_note``): the verified trail, the rejected findings' orders left out, the
relabels and comments at the end of each description. Imported through ``groundstation.workorders``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from groundstation.workorders.orders import WorkOrder, _listing_order
from skyinspect.errors import InputError, describe


@dataclass(frozen=True)
class ReviewTrail:
    """What ``review/audit.jsonl`` decided, as every product applies it: ``state`` (finding id -> the
    fold of ``AuditLog.state``) only when the chain verifies; ``seq`` the last entry applied, ``who``
    the reviewers, ``broken`` what to say when the trail fails its hash check (then nothing applies);
    ``head`` the hash of entry ``seq`` (inspection.json keeps it: a trail cut short still verifies)."""
    path: Path
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    seq: int = 0
    who: tuple[str, ...] = ()
    broken: str = ""
    head: str = ""

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
    return ReviewTrail(audit.path, state, len(entries), who, head=str(entries[-1]["hash"]) if entries else "")


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
        orders = [WorkOrder.from_dict(o) for o in orders]
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
