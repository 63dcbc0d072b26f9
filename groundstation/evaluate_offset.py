"""The flight's common offset from the truth: the absolute error a whole flight shares.

A plain GNSS flight keeps one error common to all its findings (tie points align the passes to one
another, not to the ground: docs/georeferencing.md). Scored strictly (5 cm), such a flight finds
nothing: at 0.8 m every finding is a false positive. The comparison therefore also estimates that
offset (finding minus truth, metres in the local NED frame) and scores the findings again with it
taken out, as ground control would: how well the flight placed defects relative to one another.

Estimate: every same-class (truth, finding) pair within the gate proposes its centroid offset; the
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
    gate = max(1.0, 3 * ce90_m) if math.isfinite(ce90_m) and ce90_m > 0 else DEFAULT_GATE_M
    per_finding = []
    for cls, fc in found:
        t = np.array([tc for tcls, tc in truth if tcls == cls]).reshape(-1, 3)
        off = np.asarray(fc) - t
        off = off[np.linalg.norm(off, axis=1) <= gate]
        if len(off):
            per_finding.append(off)
    if len(per_finding) < MIN_OFFSET_SUPPORT:
        return None
    proposals = np.vstack(per_finding)
    # for each proposal, each finding's nearest pair offset to it
    nearest = np.stack([np.min(np.linalg.norm(proposals[:, None, :] - off[None], axis=2), axis=1)
                        for off in per_finding], axis=1)  # (proposals, findings)
    agree = nearest <= OFFSET_AGREEMENT_M
    support = agree.sum(axis=1)
    # most support; among equals the tightest (least summed distance of the agreeing findings)
    best = min(range(len(proposals)), key=lambda i: (-support[i], float(nearest[i][agree[i]].sum())))
    if support[best] < MIN_OFFSET_SUPPORT or 2 * support[best] < len(per_finding):
        return None
    chosen = [off[np.argmin(np.linalg.norm(off - proposals[best], axis=1))]
              for off, ok in zip(per_finding, agree[best]) if ok]
    median = np.median(np.array(chosen), axis=0)
    return CommonOffset(tuple(float(v) for v in median), int(support[best]), len(per_finding), ce90_m)  # type: ignore[arg-type]
