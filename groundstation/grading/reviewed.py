"""The grading taken again on the reviewed findings, as ``process`` and ``skyinspect publish`` publish them.

``stages/grades.json`` grades every finding found. Two quantities are taken over several findings
(groundstation.grading: ``crack_spacing_m``, the nearest other crack; ``rusted_area_pct``, all corroded
area over the area covered), so a finding rejected in review (a joint line, a stain) went on setting its
neighbours' grades, and a relabelled finding stayed graded as the class found. Here the same
``grade_all`` grades the findings the review kept, each as its reviewed class: a relabel the finding's
measurements cannot grade (a corrosion patch relabelled crack has no width) is ``indeterminate`` with
the grader's reason. The stage outputs are not touched: the review is applied at publish, every time.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from groundstation.grading import Grades, grade_all
from groundstation.joints import arm_id
from skyinspect.findings import Finding


def reviewed_class(finding: Finding, review: dict[str, Any] | None) -> str:
    """The class a finding is graded as: the reviewer's label when relabelled, else the class found."""
    label = (review or {}).get("label")
    return str(label) if label else finding.class_name


def regrade_reviewed(findings: list[Finding] | tuple[Finding, ...], state: dict[str, dict[str, Any]],
                     profile: str, covered_area_m2: float | None, zones: dict[str, str],
                     joint_like: frozenset[str] | set[str], rules_dir: Path | None = None,
                     components: dict[str, tuple[str, float]] | None = None
                     ) -> tuple[tuple[Finding, ...], Grades]:
    """(the findings not rejected, their notes saying what review did to their split-off lines; their
    grades, each as its reviewed class). ``state``: finding id -> the review app's fold (status, label,
    by, comments), groundstation.workorders.ReviewTrail.state; ``profile``, ``covered_area_m2``,
    ``zones``, ``joint_like``, ``rules_dir``, ``components``: as the grade stage had them."""
    kept = tuple(_noted(f, state) for f in findings if (state.get(f.finding_id) or {}).get("status") != "rejected")
    as_reviewed = [replace(f, class_name=reviewed_class(f, state.get(f.finding_id))) for f in kept]
    grades = grade_all(as_reviewed, None, profile, covered_area_m2, zones, rules_dir,
                       frozenset(joint_like) & {f.finding_id for f in as_reviewed if f.class_name == "crack"},
                       components)
    for f in kept:
        r = state.get(f.finding_id) or {}
        label = reviewed_class(f, r)
        if label != f.class_name:  # say why this grade is not the class found's
            said = f"relabelled {label} by {r.get('by', '')} in review: graded as {label} (found as {f.class_name})"
            grades[f.finding_id] = tuple(replace(g, note="; ".join(x for x in (said, g.note) if x))
                                         for g in grades[f.finding_id])
    return kept, grades


def _noted(finding: Finding, state: dict[str, dict[str, Any]]) -> Finding:
    """``finding`` with its length note saying its joint line (groundstation.joint_split) was rejected."""
    line = arm_id(finding.finding_id)
    r = state.get(line) or {}
    length = finding.measurements.get("length_mm")
    if r.get("status") != "rejected" or length is None or f"reported apart as {line}" not in length.note:
        return finding
    by = str(r.get("by") or "")
    why = "; ".join(c["text"] if c.get("who") == by else f"{c.get('who')}: {c['text']}"
                    for c in r.get("comments", []))
    head, _, _ = length.note.partition(" through it is reported apart as")
    note = (f"{head} through it was reported apart as {line}, rejected in review by {by}"
            f"{f' ({why})' if why else ''}, and is not counted")
    return replace(finding, measurements={**finding.measurements, "length_mm": replace(length, note=note)})
