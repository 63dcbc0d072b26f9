"""What every publisher receives: the outputs of the earlier stages, plus shared small helpers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

import numpy as np

from groundstation.georef import Georeferenced
from groundstation.load import LoadedFlight
from groundstation.plane import PlaneBasis
from skyinspect.findings import Finding, Measurement

CLASS_COLOURS_HEX = {"crack": "#d62728", "corrosion": "#ff7f0e"}
DEFAULT_COLOUR_HEX = "#9467bd"
# a crack that runs like a formwork joint (check it is a crack): one grey for the report's drawing and the map
JOINT_HEX = "#969696"


@dataclass(frozen=True, eq=False)
class PublishInput:
    flight: LoadedFlight
    geo: Georeferenced
    findings: tuple[Finding, ...]
    basis: PlaneBasis
    # Added by the maintenance issue (defaulted, so older callers are unaffected):
    grades: dict[str, tuple[Any, ...]] = field(default_factory=dict)  # finding id -> grading.Grade, primary first
    assignments: dict[str, dict[str, Any]] = field(default_factory=dict)  # finding id -> registry component facts
    asset_id: str = ""
    grading_profile: str = ""
    quality_notes: tuple[str, ...] = ()  # extra data-quality lines for the report (e.g. the align stage's)
    # the review app's decisions (groundstation.publish.reviewed): ``findings`` are then those not rejected,
    # ``rejected`` the others, kept for the audit sections; None: published as processed
    review: Any = None  # groundstation.workorders.ReviewTrail
    rejected: tuple[Finding, ...] = ()
    # finding id -> grades the review changed (a relabel, a rejected neighbour's spacing or rust area):
    # inspection.json records them, so change detection compares the grades the products show
    regraded: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def review_of(self, finding_id: str) -> dict[str, Any] | None:
        """The review app's fold of a finding's decisions and comments, None when not reviewed."""
        return (self.review.state.get(finding_id) if self.review is not None else None) or None

    def review_text(self, finding: Finding) -> str:
        """What the reviewer said of ``finding`` (groundstation.workorders.review_note), "" for nothing."""
        from groundstation.publish.reviewed import review_text

        return review_text(self, finding)

    def primary_grade(self, finding_id: str) -> Any:
        gs = self.grades.get(finding_id) or ()
        return gs[0] if gs else None

    def component_label(self, finding_id: str) -> str:
        a = self.assignments.get(finding_id)
        return str(a.get("label", "")) if a else ""

    def location(self, finding_id: str) -> dict[str, Any]:
        """Where on its component (groundstation.registry.locate.LOCATION_COLUMNS) from the assignment stored
        with the grades, as the work orders give it; {} without a registry."""
        a = self.assignments.get(finding_id)
        if not a and not self.asset_id:
            return {}
        from groundstation.registry.locate import location_cells

        return location_cells(a or None)

    @cached_property
    def checks(self) -> dict[str, str]:
        """Finding id -> what to check before acting on it (groundstation.joints), "" for nothing;
        worked out once for the map, the GIS files, the report and the work orders."""
        from groundstation.joints import joint_note

        return {f.finding_id: joint_note(f, self.basis) for f in self.findings + self.rejected}

    @cached_property
    def work_orders(self) -> list[Any]:
        """The work orders (groundstation.workorders), built once for workorders.csv/json and the
        report's prioritised actions (HTML and PDF), which had each built them again."""
        from groundstation.workorders import build_work_orders

        from groundstation.workorders import with_review

        orders = build_work_orders(self.findings, self.grades, flight_date(self), self.asset_id, self.assignments,
                                   checks=self.checks, flight_start_utc_s=flight_start_utc_s(self))
        # published grades are the reviewed set's (groundstation.publish.reviewed.with_review)
        return [with_review(o, self.review_of(o.finding_id), regraded=True) for o in orders] \
            if self.review is not None else orders


def colour_hex(class_name: str) -> str:
    return CLASS_COLOURS_HEX.get(class_name, DEFAULT_COLOUR_HEX)


def colour_bgr(class_name: str) -> tuple[int, int, int]:
    return hex_bgr(colour_hex(class_name))


def hex_bgr(colour: str) -> tuple[int, int, int]:
    """``colour`` "#rrggbb" as OpenCV's (blue, green, red)."""
    h = colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def value_or_none(m: Measurement | None) -> float | None:
    return None if m is None or m.value is None else float(m.value)


# decimals each product prints a quantity with (report, map, KML, review app)
MEASUREMENT_DIGITS = {"length_mm": 1, "width_mm": 2, "max_width_mm": 2, "area_m2": 4}


SMALL_AREA_M2 = 0.01  # areas under 100 cm2 print in cm2 (format_measurement)


def format_measurement(m: Measurement | None, digits: int = 1) -> str:
    """'12.3 +/- 0.4 mm', or the reason it is missing. ASCII only, so any PDF font can show it."""
    if m is None:
        return "-"
    if m.value is None:
        return m.note or "not measurable"
    value, sigma_value, unit = m.value, m.sigma, m.unit
    if unit == "m2" and 0 < abs(value) < SMALL_AREA_M2:
        # a crack's area in cm2: '0.00029 +/- 0.00018 m2' read as four zeros to count. 4 decimals of m2
        # are 0 of cm2, and the two significant digits below keep the resolution m2 had
        value, sigma_value, unit, digits = value * 1e4, None if sigma_value is None else sigma_value * 1e4, \
            "cm2", max(0, digits - 4)
    if 0 < abs(value) < 100 and math.isfinite(value):  # two significant digits at least: a 0.000025 m2
        digits = max(digits, min(10, 1 - math.floor(math.log10(abs(value)))))  # hairline had read 0.0000
    sigma = f" +/- {sigma_value:.{digits}f}" if sigma_value is not None and math.isfinite(sigma_value) else ""
    return f"{value:.{digits}f}{sigma} {unit}"


def format_bound(m: Measurement, digits: int = 2) -> str:
    """'0.52-1.31 mm (bound)': a quantity known only as an interval, short (its note says why)."""
    return f"{m.low:.{digits}f}-{m.high:.{digits}f} {m.unit} (bound)"


def width_text(measurements: dict[str, Measurement]) -> str:
    """A crack's width as the report prints it: the mean (what the rules grade) and, where measured, the
    widest stretch of crack (what a comparator card reads): 'mean 0.41 +/- 0.03 mm; widest 0.93 +/- 0.06 mm'."""
    mean = format_measurement(measurements.get("width_mm"), 2)
    widest = measurements.get("max_width_mm")
    if widest is None or (widest.value is None and not widest.is_bound):
        return mean
    text = format_measurement(widest, 2) if widest.value is not None else format_bound(widest)
    width = measurements.get("width_mm")
    return f"{'mean ' if width is not None and width.value is not None else ''}{mean}; widest {text}"


def iso_utc(t_s: float) -> str:
    return datetime.fromtimestamp(t_s, tz=timezone.utc).isoformat(timespec="seconds") if math.isfinite(t_s) else ""


def flight_date(inp: PublishInput) -> str:
    return iso_utc(t0)[:10] if (t0 := flight_start_utc_s(inp)) is not None else ""


def products_title(inp: PublishInput) -> str:
    """'<asset or flight folder> findings <date>': what findings.kml and map.html are named."""
    from pathlib import Path

    day = flight_date(inp)
    return f"{inp.asset_id or Path(str(inp.flight.folder)).name} findings{f' {day}' if day else ''}"


def flight_start_utc_s(inp: PublishInput) -> float | None:
    """The flight's first frame's UTC time (work order ids), None for a flight without frames."""
    return float(inp.flight.frames[0].capture_time_utc_s) if inp.flight.frames else None


def covered_area_m2(inp: PublishInput) -> float:
    """Area of the union of the georeferenced footprints on the surface (plane coordinates)."""
    from groundstation.grading.coverage import covered_union

    union = covered_union([f.footprint_ned_m for f in inp.geo.frames if f.footprint_ned_m is not None], inp.basis)
    return float(union.area) if union is not None else 0.0


def lonlatalt(frame_points_wgs84: np.ndarray) -> list[tuple[float, float, float]]:
    """(N, 3) lat, lon, alt → [(lon, lat, alt)] as GIS wants them."""
    return [(float(p[1]), float(p[0]), float(p[2])) for p in frame_points_wgs84]
