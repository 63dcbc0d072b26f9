"""The review app's decisions applied to what publish writes (``skyinspect publish``, ``process``).

A finding rejected in ``skyinspect serve`` leaves the findings layers, the counts, the condition per
component, the prioritised actions and the work orders; it stays in a ``rejected`` layer (findings.gpkg),
a ``rejected`` member (findings.geojson) and the report's "Rejected in review" section, naming who and
why. The grades are taken again on the findings kept, each as its reviewed class
(groundstation.grading.reviewed: a rejected finding no longer counts in its neighbours' crack spacing or
the rusted area %); a relabelled finding shows the reviewer's class and is graded as it; a
confirmation and the comments are printed with the finding. The trail is read and verified once
(``groundstation.workorders.read_review``, as ``apply_review`` reads it for the work orders); one that
fails its hash check is not applied and the report says so. Findings keep their ids, so the review app
goes on naming the same findings.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from groundstation.publish.context import PublishInput


def with_review(inp: PublishInput, results: Path, rules_dir: Path | None = None,
                rules_used: dict[str, str] | None = None,
                profile_rules: dict[str, tuple[str, ...]] | None = None) -> PublishInput:
    """``inp`` with the decisions of ``results/review/audit.jsonl`` applied and the findings kept graded
    again as reviewed (see the module doc). ``rules_dir``: the rules the grade stage had (default: the
    shipped ones); ``rules_used``: {rule ref: sha256} it recorded, ``profile_rules``: {class: rule ids}
    of its profile, both checked against those read again."""
    from groundstation.workorders import read_review

    trail = read_review(results)  # one failing its hash check has no state: nothing is rejected
    gone = tuple(f for f in inp.findings if trail.rejected(f.finding_id))
    relabelled = any((trail.state.get(f.finding_id) or {}).get("label") not in (None, f.class_name)
                     for f in inp.findings)
    if not gone and not relabelled:  # the grade stage's grades are the reviewed set's
        return dataclasses.replace(inp, review=trail)
    kept, grades = _regraded(inp, trail.state, results, rules_dir, rules_used, profile_rules)
    # a rejected finding keeps the grade it was processed with: its work order, kept apart in
    # workorders.json, comes back if a reviewer confirms it after all
    changed = {f.finding_id: grades[f.finding_id] for f in kept
               if f.finding_id in grades and grades[f.finding_id] != inp.grades.get(f.finding_id)}
    grades.update({f.finding_id: inp.grades[f.finding_id] for f in gone if f.finding_id in inp.grades})
    return dataclasses.replace(inp, findings=kept, rejected=gone, review=trail, grades=grades, regraded=changed)


def _regraded(inp: PublishInput, state: dict[str, Any], results: Path, rules_dir: Path | None,
              rules_used: dict[str, str] | None, profile_rules: dict[str, tuple[str, ...]] | None
              ) -> tuple[tuple[Any, ...], dict[str, tuple[Any, ...]]]:
    """The grade stage's grading, with its profile, covered area, zones and joint-like lines, on the
    reviewed findings (groundstation.grading.reviewed.regrade_reviewed)."""
    from groundstation.grading import load_rules
    from groundstation.grading.reviewed import regrade_reviewed
    from groundstation.grading.stage import components_covered
    from groundstation.grading.rules import RULES_DIR
    from groundstation.publish.context import covered_area_m2
    from skyinspect.errors import InputError, describe

    folder = Path(rules_dir or RULES_DIR)
    stored = results / "stages" / "grades.json"
    fix = ("Pass `skyinspect publish --rules` the folder `skyinspect process --rules` graded with (or process "
           "again with the rules wanted)")
    now = {r.ref: r.sha256 for r in load_rules(folder).values()}
    if rules_used and any(now.get(ref) != sha for ref, sha in rules_used.items()):
        raise InputError(describe(stored, f"graded by rules ({', '.join(sorted(rules_used))}) other than those in "
                                          f"{folder}, so the review cannot be graded by the same rules", fix))
    profile = inp.grading_profile or None
    if profile_rules:  # the same rule files under a profile mapped otherwise graded every crack by another rule
        name, mapping = _profile_in(profile, rules_dir, folder, stored, fix)
        if dict(mapping) != dict(profile_rules):
            raise InputError(describe(stored, f"graded by profile {name!r} as {_said(profile_rules)}; {folder} "
                                              f"maps it as {_said(mapping)}", fix))
    covered = round(covered_area_m2(inp), 3)  # as the grade stage rounds it
    zones = {fid: str(a.get("zone", "")) for fid, a in inp.assignments.items()}
    joint_like = frozenset(fid for fid, said in inp.checks.items() if said)
    return regrade_reviewed(inp.findings, state, profile, covered, zones, joint_like, rules_dir,
                            components_covered(inp.assignments))


def _profile_in(profile: str | None, rules_dir: Path | None, folder: Path, stored: Path,
                fix: str) -> tuple[str, dict[str, tuple[str, ...]]]:
    """The profile's {class: rule ids} in ``folder``; a folder without it is refused naming ``stored``."""
    from groundstation.grading import resolve_profile
    from skyinspect.errors import InputError, describe

    try:
        return resolve_profile(profile, rules_dir)
    except InputError as exc:
        raise InputError(describe(stored, f"graded by profile {profile!r}, which {folder} does not give ({exc})",
                                  fix)) from exc


def _said(mapping: dict[str, tuple[str, ...]]) -> str:
    return ", ".join(f"{cls}: {' + '.join(ids)}" for cls, ids in sorted(mapping.items()))


def review_columns(inp: PublishInput, finding_id: str, class_name: str) -> dict[str, str | None]:
    """The GIS columns of a finding's review: status, the reviewer's class, who, and the note."""
    from groundstation.workorders import review_note

    r = _review_of(inp, finding_id)
    label = r.get("label") or None
    return {"review_status": r.get("status") or "unreviewed", "review_class": label or class_name,
            "review_by": r.get("by"), "review_note": review_note(class_name, r or None, regraded=True)}


def rejected_why(inp: PublishInput, finding_id: str) -> tuple[str, str]:
    """(who rejected it, why: the comments made on it)."""
    r = _review_of(inp, finding_id)
    by = str(r.get("by") or "")
    return by, "; ".join(c["text"] if c["who"] == by else f"{c['who']}: {c['text']}" for c in r.get("comments", []))


def _review_of(inp: PublishInput, finding_id: str) -> dict[str, Any]:
    """``inp.review_of``, {} for none; a stand-in PublishInput (tests, scripts) may have no review."""
    review_of = getattr(inp, "review_of", None)
    return (review_of(finding_id) if review_of is not None else None) or {}


def review_text(inp: PublishInput, finding: Any) -> str:
    """What the reviewer said of ``finding`` (groundstation.workorders.review_note), "" for nothing."""
    from groundstation.workorders import review_note

    return review_note(finding.class_name, _review_of(inp, finding.finding_id) or None, regraded=True)


def shown_class(inp: PublishInput, finding_id: str, class_name: str) -> str:
    """The class a finding is drawn as (colour, style, tooltip): the reviewer's label when relabelled."""
    return str(_review_of(inp, finding_id).get("label") or class_name)


def class_text(inp: PublishInput, finding_id: str, class_name: str) -> str:
    """The class a report shows: the reviewer's, graded as it (with_review), when relabelled."""
    label = _review_of(inp, finding_id).get("label")
    if not label or label == class_name:
        return class_name
    return f"{label} (relabelled from {class_name}; graded as {label})"


def rejected_rows(inp: PublishInput) -> list[tuple[str, str, str, str, str]]:
    """(finding id, class, position, rejected by, why) of each finding rejected in review."""
    rows = []
    for f in inp.rejected:
        by, why = rejected_why(inp, f.finding_id)
        rows.append((f.finding_id, f.class_name, f"{f.lat_deg:.7f}, {f.lon_deg:.7f}, {f.alt_msl_m:.2f} m MSL",
                     by, why or "no reason given"))
    return rows

