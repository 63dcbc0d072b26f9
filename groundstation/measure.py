"""Stage 4, measure: crack length and width, defect area, each a Measurement with a 1-sigma ±.

Which geometry is measured:
- Crack length follows one view's skeleton, not a union of views: a union of several slightly
  misregistered outlines has a wider, branchier skeleton. Among the views whose GSD is within
  ``SKELETON_GSD_SLACK`` of the best view's, the longest skeleton wins (ties within 2 GSD go to
  the finest view), because a view that cut the crack at its image border gives a shorter one. Length = polyline length of that skeleton on the
  surface; σ = √2 · GSD (each end located to about one pixel).
- Mean crack width ≈ area / length of the same view (a first estimate; it reads high where the
  mask is blurred); σ = 1 GSD (each edge located to about half a pixel).
- Area (all classes, reported for corrosion) = the best view's outline area on the surface;
  σ = perimeter × GSD / 2 (the boundary located to half a pixel).
A value is ``Measurement(None, None, unit, note)`` when the GSD is coarser than the limit for
that quantity (MeasureLimits) or the geometry is missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from groundstation.plane import PlaneBasis, outline_area_m2
from skyinspect.findings import Detection, Finding, Measurement
from skyinspect.segmentation import CRACK

SKELETON_GSD_SLACK = 1.5


@dataclass(frozen=True)
class MeasureLimits:
    """The coarsest GSD at which each quantity is still reported."""

    max_gsd_crack_length_m: float = 0.010
    max_gsd_crack_width_m: float = 0.002
    max_gsd_area_m: float = 0.020


def polyline_length_m(points: np.ndarray) -> float:
    pts = np.asarray(points, dtype=np.float64)
    return float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum()) if len(pts) >= 2 else 0.0


def _too_coarse(what: str, gsd_m: float, limit_m: float, unit: str) -> Measurement:
    return Measurement(None, None, unit,
                       f"not measurable: GSD {gsd_m * 1000:.1f} mm > {limit_m * 1000:.1f} mm needed for {what}")


def measure_finding(finding: Finding, by_view: dict[tuple[int, int], Detection], basis: PlaneBasis,
                    limits: MeasureLimits = MeasureLimits()) -> Finding:
    """Return ``finding`` with length/width/area measurements (and the skeleton used) filled in."""
    best = by_view[finding.best_view]
    gsd = best.gsd_m
    out: dict[str, Measurement] = {}
    skeleton = finding.skeleton_ned_m
    if gsd > limits.max_gsd_area_m:
        out["area_m2"] = _too_coarse("area", gsd, limits.max_gsd_area_m, "m2")
    else:
        ring = best.outline_ned_m
        perimeter = polyline_length_m(np.vstack([ring, ring[:1]]))
        out["area_m2"] = Measurement(outline_area_m2(ring), perimeter * gsd / 2.0, "m2",
                                     f"best view, frame {best.frame_index}")
    if finding.class_id == CRACK:
        view = _skeleton_view(finding, by_view)
        if view is None:
            out["length_mm"] = Measurement(None, None, "mm", "not measurable: no skeleton on the surface")
            out["width_mm"] = Measurement(None, None, "mm", "not measurable: no skeleton on the surface")
        elif view.gsd_m > limits.max_gsd_crack_length_m:
            out["length_mm"] = _too_coarse("length", view.gsd_m, limits.max_gsd_crack_length_m, "mm")
            out["width_mm"] = _too_coarse("width", view.gsd_m, limits.max_gsd_crack_width_m, "mm")
        else:
            skeleton = view.skeleton_ned_m
            length_m = polyline_length_m(skeleton)  # type: ignore[arg-type]
            out["length_mm"] = Measurement(length_m * 1000, math.sqrt(2) * view.gsd_m * 1000, "mm",
                                           f"skeleton of frame {view.frame_index}")
            if view.gsd_m > limits.max_gsd_crack_width_m:
                out["width_mm"] = _too_coarse("width", view.gsd_m, limits.max_gsd_crack_width_m, "mm")
            elif length_m <= 0:
                out["width_mm"] = Measurement(None, None, "mm", "not measurable: zero skeleton length")
            else:
                width_m = view.area_m2 / length_m
                out["width_mm"] = Measurement(width_m * 1000, view.gsd_m * 1000, "mm",
                                              f"area/length, frame {view.frame_index}")
    return replace(finding, measurements=out, skeleton_ned_m=skeleton)


def _skeleton_view(finding: Finding, by_view: dict[tuple[int, int], Detection]) -> Detection | None:
    """The longest skeleton among the views nearly as fine as the best (see module doc); among
    skeletons within 2 GSD of the longest (equal up to pixel noise) the finest view wins."""
    best_gsd = by_view[finding.best_view].gsd_m
    candidates = [by_view[v] for v in finding.views
                  if by_view[v].skeleton_ned_m is not None and by_view[v].gsd_m <= SKELETON_GSD_SLACK * best_gsd]
    if not candidates:
        return None
    lengths = [polyline_length_m(d.skeleton_ned_m) for d in candidates]  # type: ignore[arg-type]
    longest = max(lengths)
    near = [d for d, n in zip(candidates, lengths) if n >= longest - 2 * best_gsd]
    return min(near, key=lambda d: (d.gsd_m, d.incidence_deg))


def measure(findings: list[Finding], detections: tuple[Detection, ...], basis: PlaneBasis,
            limits: MeasureLimits = MeasureLimits()) -> list[Finding]:
    by_view = {(d.frame_index, d.instance_index): d for d in detections}
    return [measure_finding(f, by_view, basis, limits) for f in findings]
