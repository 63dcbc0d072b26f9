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

Where a joint-like line is: a formwork joint runs the height or width of a panel, and the model draws
a different stretch of it each flight, so a line's centroid says which stretch was drawn, not where
the joint is. Two joint-like lines are one joint when their centre lines run the same way (within
``SAME_WAY_DEG``) and come within the gate of each other anywhere (``line_gap``): across the line,
the gate (the positions' CE90) is the uncertainty; along it, the centroid is none. Matched by centroid
in the 0.5 m gate, the demo scene's plumb joint drawn from 0.97 to 1.34 m down in one flight (seed 7)
and from 0.26 to 0.87 m in the other (seed 3), centroids 0.59 m apart, read one "new" and one "not
re-observed". A line without centre lines (results from before session 11) keeps its centroid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from groundstation.change.lines import in_frame
from groundstation.joints import ARM_SUFFIX, read_checks
from skyinspect.findings import Finding
from skyinspect.geodesy import LocalFrame

JOINT_KIND = "joint-like line"
NOT_JUDGED = ("a joint-like line both times (formwork or construction joint?): its change is shown but not judged; "
              "if confirmed a crack in the review app, it is judged as one when compared again")


def joint_like_ids(folder: Path, findings: Iterable[Finding]) -> frozenset[str]:
    """Finding ids flagged joint-like in ``folder``: every ``-J`` line, and every finding whose
    ``joint_note`` in findings.geojson is non-empty (a folder without that file, or written before
    the note existed, has only its ``-J`` lines)."""
    ids = {f.finding_id for f in findings if f.finding_id.endswith(ARM_SUFFIX)}
    return frozenset(ids | {fid for fid, note in read_checks(folder).items() if note})


SAME_WAY_DEG = 10.0  # joint-like lines are within 1.5 deg of plumb or level: parallel, or ~90 deg apart
STEP_M = 0.01  # centre lines densified to this before their gap is taken (the gap is 5 mm short at most)


def joint_lines(findings: Iterable[Finding], ids: frozenset[str], origin: LocalFrame | None,
                frame: LocalFrame) -> dict[str, np.ndarray]:
    """Finding id -> its centre lines' points, densified to ``STEP_M``, in ``frame`` (NED), for the
    joint-like findings (``ids``) that have centre lines and an ``origin`` (their flight's NED frame)."""
    from groundstation.joints import _densify

    out = {}
    for f in findings:
        if f.finding_id not in ids or origin is None or not f.centrelines_ned_m:
            continue
        lines = [_densify(np.asarray(c, dtype=np.float64), STEP_M) for c in f.centrelines_ned_m if len(c) >= 2]
        if lines:
            out[f.finding_id] = in_frame(np.vstack(lines), origin, frame)
    return out


def reach_m(points: np.ndarray, centroid: np.ndarray) -> float:
    """How far a line's points reach from its centroid: the centroids of two stretches of one joint
    are up to the gate plus both reaches apart."""
    return float(np.max(np.linalg.norm(points - centroid, axis=1)))


def line_gap(a: np.ndarray, b: np.ndarray) -> float:
    """The closest two joint-like lines' points come (m); inf when they do not run the same way."""
    way_a, way_b = (np.linalg.svd(p - p.mean(axis=0), full_matrices=False)[2][0] for p in (a, b))
    if abs(float(way_a @ way_b)) < np.cos(np.radians(SAME_WAY_DEG)):
        return float("inf")
    from scipy.spatial import cKDTree

    return float(cKDTree(a).query(b, k=1)[0].min())


def not_judged(growth: tuple[Any, ...], what: str = "joint-like line") -> tuple[Any, ...]:
    """The growth of a joint-like pair (or one rejected in review): deltas kept, never significant."""
    return tuple(replace(g, significant=False, note=g.note or f"{what}: not judged") for g in growth)


__all__ = ["JOINT_KIND", "NOT_JUDGED", "joint_like_ids", "joint_lines", "line_gap", "not_judged",
           "reach_m"]
