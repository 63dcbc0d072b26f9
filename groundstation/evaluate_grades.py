"""Crack width and grade against the truth: does each matched finding get the grade its TRUE size gives?

groundstation.evaluate matches findings to true defects; this scores, per matched pair:

- width: the truth's ``width_mm`` (the crack's mean width, what the grading rules read) against the
  finding's ``width_mm``. A value *holds* the truth when within ``WIDTH_SIGMAS`` of its own ±; a
  bound (``width_mm_low``/``width_mm_high``: a hairline whose interior does not show) when the truth
  lies inside it. The ratio measured / true is kept for values (a bound has none).
- grade: the truth graded with the same rules as the findings (groundstation.grading.grade_all, the
  profile's primary rule of each class, crack spacing from the true outlines), against the finding's
  published primary ``grade``. ``indeterminate`` is its own outcome: never guessed, so neither
  agreement nor a wrong grade.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from groundstation.evaluate import _num, _ring_of
from skyinspect.findings import Finding, Measurement
from skyinspect.geodesy import LocalFrame
from skyinspect.segmentation import CLASS_NAMES

WIDTH_SIGMAS = 2.0
INDETERMINATE = "indeterminate"  # groundstation.grading.INDETERMINATE (not imported: importing the grader pulls in OpenCV)


@dataclass(frozen=True)
class PairScore:
    """One matched (true defect, finding) pair."""

    defect_id: str
    finding_id: str
    class_name: str
    true_width_mm: float  # NaN: a patch, or a truth without widths
    width_mm: float  # measured value; NaN when none (a bound, or not measurable)
    width_low_mm: float  # the bound (NaN when a value or nothing)
    width_high_mm: float
    true_grade: str  # the truth's primary grade ("" when the truth could not be graded)
    grade: str  # the finding's published primary grade
    width_sigma_mm: float = math.nan  # the measured value's 1-sigma

    @property
    def width_holds(self) -> bool | None:
        """The truth within the measurement (module doc); None when there is nothing to compare."""
        if not math.isfinite(self.true_width_mm):
            return None
        if math.isfinite(self.width_low_mm) and math.isfinite(self.width_high_mm):
            return self.width_low_mm <= self.true_width_mm <= self.width_high_mm
        if not math.isfinite(self.width_mm):
            return None
        sigma = self.width_sigma_mm if math.isfinite(self.width_sigma_mm) else 0.0
        return abs(self.width_mm - self.true_width_mm) <= WIDTH_SIGMAS * sigma

    @property
    def width_ratio(self) -> float:
        ok = math.isfinite(self.width_mm) and math.isfinite(self.true_width_mm) and self.true_width_mm > 0
        return self.width_mm / self.true_width_mm if ok else math.nan


@dataclass(frozen=True)
class WidthGradeComparison:
    pairs: tuple[PairScore, ...]

    @property
    def widths_compared(self) -> int:
        """Matched cracks whose width was measured (a value or a bound) and whose true width is known."""
        return sum(1 for p in self.pairs if p.width_holds is not None)

    @property
    def widths_holding(self) -> int:
        return sum(1 for p in self.pairs if p.width_holds)

    @property
    def width_ratio(self) -> float:
        """Median measured / true width over the cracks measured as a value (NaN: none)."""
        r = [p.width_ratio for p in self.pairs if math.isfinite(p.width_ratio)]
        return float(np.median(r)) if r else math.nan

    def graded(self, class_name: str | None = None) -> list[PairScore]:
        return [p for p in self.pairs if p.true_grade not in ("", INDETERMINATE)
                and (class_name is None or p.class_name == class_name)]

    def agreeing(self, class_name: str | None = None) -> int:
        return sum(1 for p in self.graded(class_name) if p.grade == p.true_grade)

    def indeterminate(self, class_name: str | None = None) -> int:
        return sum(1 for p in self.graded(class_name) if p.grade == INDETERMINATE)

    def differing(self, class_name: str | None = None) -> list[PairScore]:
        """Pairs graded, by the finding, a state other than the truth's (indeterminate not counted)."""
        return [p for p in self.graded(class_name) if p.grade not in (p.true_grade, INDETERMINATE)]


def truth_grades(truth: list[dict[str, Any]], profile: str | None = None,
                 rules_dir: Path | None = None) -> dict[str, str]:
    """defect id → the primary grade its true size gives, by ``profile``'s rules (module doc);
    ``truth``: truth.geojson's features (MSL heights)."""
    from groundstation.grading import grade_all

    rings = []
    for f in truth:  # as groundstation.evaluate reads them: a MultiPolygon's largest ring, a line, a point
        ring = _ring_of(f, Path("truth.geojson")).reshape(-1, 3)
        rings.append(np.where(np.isnan(ring), 0.0, ring))  # no height given: 0
    anchor = next((r[0] for r in rings if len(r)), None)
    if anchor is None:
        return {}
    frame = LocalFrame(*anchor)
    stand_ins = []
    for f, ring in zip(truth, rings):
        p = f.get("properties") or {}
        cls = str(p.get("class", ""))
        ned = frame.to_ned(ring[:, 0], ring[:, 1], ring[:, 2]) if len(ring) else np.zeros((0, 3))
        width = _num(p.get("width_mm"))
        m = {"width_mm": Measurement(width, 0.0, "mm")} if math.isfinite(width) else \
            {"width_mm": Measurement(None, None, "mm", "the truth gives no width")}
        # the widest stretch too: an owner's rule may grade by it (docs/maintenance.md)
        for key, unit in (("length_mm", "mm"), ("area_m2", "m2"), ("max_width_mm", "mm")):
            if math.isfinite(_num(p.get(key))):
                m[key] = Measurement(_num(p[key]), 0.0, unit)
        centre = ned.mean(axis=0) if len(ned) else np.zeros(3)
        stand_ins.append(Finding(str(p.get("defect_id")), CLASS_NAMES.index(cls) if cls in CLASS_NAMES else -1, cls,
                                 *(float(v) for v in ring.mean(axis=0)), ring, centre, 1.0, (), (0, 0), m,
                                 outline_ned_m=ned if len(ned) >= 2 else None, surface_name="truth"))
    graded = grade_all(stand_ins, profile=profile, rules_dir=rules_dir)
    return {fid: gs[0].state for fid, gs in graded.items() if gs}


def compare_widths_and_grades(truth: list[dict[str, Any]], findings: list[dict[str, Any]],
                              matches: tuple[tuple[str, str], ...], profile: str | None = None,
                              rules_dir: Path | None = None) -> WidthGradeComparison:
    """Score each matched pair's width and grade (module doc). ``truth`` and ``findings``: the two
    GeoJSON files' features; ``matches``: (defect id, finding id) as groundstation.evaluate pairs them."""
    t_props = {str((f.get("properties") or {}).get("defect_id")): f.get("properties") or {} for f in truth}
    f_props = {str((f.get("properties") or {}).get("finding_id")): f.get("properties") or {} for f in findings}
    true_grade = truth_grades(truth, profile, rules_dir) if any("grade" in p for p in f_props.values()) else {}
    pairs = []
    for tid, fid in matches:
        t, f = t_props.get(tid, {}), f_props.get(fid, {})
        cls = str(t.get("class", ""))
        pairs.append(PairScore(tid, fid, cls, _num(t.get("width_mm")) if cls == "crack" else math.nan,
                               _num(f.get("width_mm")), _num(f.get("width_mm_low")), _num(f.get("width_mm_high")),
                               true_grade.get(tid, ""), str(f.get("grade") or ""), _num(f.get("width_mm_sigma"))))
    return WidthGradeComparison(tuple(pairs))
