"""Like with like: joint-like lines in change detection.

A straight, plumb or level "crack" is flagged joint-like by the publish stage (``joint_note`` in
findings.geojson, groundstation.joints), and a joint line split off a crack is a finding of its
own, ``<id>-J`` (groundstation.joint_split). Both are most likely formwork or construction joints the
model drew as cracks, and how much of a joint the model draws changes from flight to flight (light,
view), so comparing their lengths measures the model, not the structure. Before this, compare()
matched by class only, so a 150 mm joint-like piece in one flight was paired with a 623 mm joint line
split off a crack in the next and reported as a crack "grown by 473 mm" (demo seed 7 against seed 3,
the same unchanged scene).

So: a joint-like line is matched only to a joint-like line and a crack only to a crack (a crack is
never compared with a joint), and a pair of joint-like lines is reported with its deltas but never
judged grown or shrunk. Nothing is dropped: the reviewer still decides whether a line is a crack.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from groundstation.joints import ARM_SUFFIX, read_checks
from skyinspect.findings import Finding

JOINT_KIND = "joint-like line"
NOT_JUDGED = ("a joint-like line both times (formwork or construction joint?): its change is shown but not judged; "
              "if a reviewer confirms it is a crack, measure it on site")


def joint_like_ids(folder: Path, findings: Iterable[Finding]) -> frozenset[str]:
    """Finding ids flagged joint-like in ``folder``: every ``-J`` line, and every finding whose
    ``joint_note`` in findings.geojson is non-empty (a folder without that file, or written before
    the note existed, has only its ``-J`` lines)."""
    ids = {f.finding_id for f in findings if f.finding_id.endswith(ARM_SUFFIX)}
    return frozenset(ids | {fid for fid, note in read_checks(folder).items() if note})


def kind(finding: Finding, joint_like: frozenset[str]) -> str:
    """What a finding is matched as: its class, or its class as a joint-like line."""
    return f"{finding.class_name} ({JOINT_KIND})" if finding.finding_id in joint_like else finding.class_name


def not_judged(growth: tuple[Any, ...]) -> tuple[Any, ...]:
    """The growth of a joint-like pair: deltas kept, never significant (a joint does not grow)."""
    return tuple(replace(g, significant=False, note=g.note or "joint-like line: not judged") for g in growth)


__all__ = ["JOINT_KIND", "NOT_JUDGED", "joint_like_ids", "kind", "not_judged"]
