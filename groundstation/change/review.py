"""The reviewer's verdicts in change detection: what the review app decided outranks the model's class
and publish's joint flag.

Each results folder keeps its review decisions (``review/audit.jsonl``, groundstation.review.audit).
A finding confirmed (or relabelled) there is a defect of that class, joint flag or not; a finding
rejected there is not a defect (for a line the joint check flagged, the reviewer's "it is a joint").
So in matching (groundstation.change) a finding is taken as ``as_matched`` says, and two findings of
the same class may be one defect across the joint flag only where a verdict crossed it (``crosses``):
a flagged line confirmed a crack, or a crack rejected (last year's "a crack after all" stands for this
year's unreviewed line of the same crack until a reviewer says otherwise). Confirming a crack with no
flag says nothing of joints: it is still never compared with a joint-like line. A pair is judged
(grown / shrunk) by the newest verdict: this time's, else last time's; with none, a joint-like pair
is not judged (change/joints.py). An audit trail that fails its hash check (edited or cut) is not
applied, and the report says so, as the work orders do (groundstation.workorders.apply_review).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from groundstation.change.joints import JOINT_KIND
from skyinspect.findings import Finding

REJECTED_KIND = "rejected in review"


@dataclass(frozen=True)
class Verdicts:
    status: dict[str, str] = field(default_factory=dict)  # finding id -> "confirmed" or "rejected"
    label: dict[str, str] = field(default_factory=dict)  # finding id -> the class a reviewer relabelled it
    by: dict[str, str] = field(default_factory=dict)  # finding id -> who decided last
    note: str = ""  # why the folder's decisions were not applied ("" when they were, or there are none)


def read_verdicts(folder: Path) -> Verdicts:
    """The decisions in ``folder/review/audit.jsonl`` (none without that file), read as the work orders
    and the published products read them (groundstation.workorders.read_review)."""
    from groundstation.workorders import read_review

    trail = read_review(folder)
    if trail.broken:
        return Verdicts(note=f"{trail.broken}: findings are compared as the model and publish left them")
    decided = {fid: s for fid, s in trail.state.items() if s.get("status") in ("confirmed", "rejected")}
    return Verdicts({fid: s["status"] for fid, s in decided.items()},
                    {fid: str(s["label"]) for fid, s in decided.items() if s.get("label")},
                    {fid: str(s.get("by") or "") for fid, s in decided.items()})


def as_matched(f: Finding, joint_like: frozenset[str], verdicts: Verdicts) -> tuple[str, str, str]:
    """(class, kind it is matched as, the verdict on it: "confirmed", "rejected" or "")."""
    cls = verdicts.label.get(f.finding_id) or f.class_name
    verdict = verdicts.status.get(f.finding_id, "")
    if verdict == "rejected":
        return cls, f"{cls} ({REJECTED_KIND})", verdict
    if verdict == "confirmed" or f.finding_id not in joint_like:
        return cls, cls, verdict
    return cls, f"{cls} ({JOINT_KIND})", verdict


def crosses(f: Finding, joint_like: frozenset[str], verdicts: Verdicts) -> bool:
    """Whether a reviewer's verdict on ``f`` crossed the joint flag: a flagged line confirmed, or a
    finding rejected (for a crack, the joint check's "it is a joint")."""
    verdict = verdicts.status.get(f.finding_id, "")
    return verdict == "rejected" or (verdict == "confirmed" and f.finding_id in joint_like)


def verdict_note(f: Finding, cls: str, verdicts: Verdicts, when: str) -> str:
    """What a reviewer said about ``f`` ("" for nothing); ``when``: "last time" or "this time"."""
    verdict, who = verdicts.status.get(f.finding_id, ""), verdicts.by.get(f.finding_id, "")
    if verdict == "rejected":
        return f"rejected in review ({who}, {when}): not a defect"
    if verdict == "confirmed":
        what = "a crack" if cls == "crack" else cls
        relabelled = f", relabelled from {f.class_name}" if cls != f.class_name else ""
        return f"confirmed {what} in review ({who}, {when}{relabelled})"
    return ""


__all__ = ["REJECTED_KIND", "Verdicts", "as_matched", "crosses", "read_verdicts", "verdict_note"]
