"""The flight's common offset from the truth: the absolute error a whole flight shares.

A plain GNSS flight keeps one error common to all its findings (tie points align the passes to one
another, not to the ground: docs/georeferencing.md). Scored strictly (5 cm), such a flight finds
nothing: at 0.8 m every finding is a false positive. The comparison therefore also estimates that
offset (finding minus truth, metres in the local NED frame) and scores the findings again with it
taken out, as ground control would: how well the flight placed defects relative to one another.

Estimate: every same-class (truth, finding) pair within the gate (each finding's 16 nearest) proposes its centroid offset; the
proposal most findings agree with (one of their own pair offsets within ``OFFSET_AGREEMENT_M``) wins,
and the offset is the median of those findings' agreeing pair offsets. Taken only when consistent:
at least ``MIN_OFFSET_SUPPORT`` findings and half of those with any same-class truth in the gate
agree. Gate: 3x the findings' median CE90 (at least 1 m), 3 m when the findings state none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

OFFSET_AGREEMENT_M = 0.10  # a partly found crack's centroid lies centimetres off the whole crack's
MIN_OFFSET_SUPPORT = 3
DEFAULT_GATE_M = 3.0
NEAREST_PAIRS = 16  # same-class defects per finding that may propose


@dataclass(frozen=True)
class CommonOffset:
    offset_ned_m: tuple[float, float, float]  # findings minus truth: north, east, down
    support: int  # findings agreeing with it
    candidates: int  # findings with a same-class true defect within the gate
    ce90_m: float  # the findings' median stated CE90 (NaN: not stated)

    @property
    def horizontal_m(self) -> float:
        return math.hypot(self.offset_ned_m[0], self.offset_ned_m[1])

    @property
    def bearing_deg(self) -> float:
        """Direction the findings lie from the truth, clockwise from north."""
        return math.degrees(math.atan2(self.offset_ned_m[1], self.offset_ned_m[0])) % 360.0

    @property
    def up_m(self) -> float:
        return -self.offset_ned_m[2]

    @property
    def norm_m(self) -> float:
        return float(np.linalg.norm(self.offset_ned_m))


def estimate_common_offset(truth: Sequence[tuple[str, np.ndarray]], found: Sequence[tuple[str, np.ndarray]],
                           ce90_m: float = math.nan) -> CommonOffset | None:
    """``truth``, ``found``: (class, centroid NED m) each; None when the offsets do not agree (module doc)."""
    from scipy.spatial import cKDTree

    gate = max(1.0, 3 * ce90_m) if math.isfinite(ce90_m) and ce90_m > 0 else DEFAULT_GATE_M
    by_class: dict[str, list[np.ndarray]] = {}
    for cls, tc in truth:
        by_class.setdefault(cls, []).append(np.asarray(tc))
    trees = {cls: cKDTree(np.array(pts).reshape(-1, 3)) for cls, pts in by_class.items()}
    per_finding = []
    for cls, fc in found:
        if cls not in trees:
            continue
        tree = trees[cls]
        # the nearest few only: on a dense survey a gate of metres holds dozens of defects per finding
        dist, idx = tree.query(np.asarray(fc), k=min(NEAREST_PAIRS, tree.n), distance_upper_bound=gate)
        idx = np.atleast_1d(idx)[np.isfinite(np.atleast_1d(dist))]
        if len(idx):
            per_finding.append(np.asarray(fc) - tree.data[idx])
    if len(per_finding) < MIN_OFFSET_SUPPORT:
        return None
    proposals = np.vstack(per_finding)
    owner = np.repeat(np.arange(len(per_finding)), [len(o) for o in per_finding])
    near = cKDTree(proposals).query_ball_point(proposals, OFFSET_AGREEMENT_M)
    # each proposal's support: the findings with a pair offset within the agreement distance of it
    support = np.array([len(set(owner[n])) for n in near])
    top = np.flatnonzero(support == support.max())

    def spread(i: int) -> float:  # among equals the tightest
        return float(np.sum(np.linalg.norm(proposals[near[i]] - proposals[i], axis=1)))

    best = min(top, key=spread)
    if support[best] < MIN_OFFSET_SUPPORT or 2 * support[best] < len(per_finding):
        return None
    agreeing = set(owner[near[best]].tolist())
    chosen = [off[np.argmin(np.linalg.norm(off - proposals[best], axis=1))]
              for k, off in enumerate(per_finding) if k in agreeing]
    median = np.median(np.array(chosen), axis=0)
    return CommonOffset(tuple(float(v) for v in median), int(support[best]), len(per_finding), ce90_m)  # type: ignore[arg-type]
