"""What the review app reads from a results folder: findings, grades, components, and every view."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from groundstation.grading.reviewed import reviewed_class
from groundstation.joints import read_checks
from groundstation.publish.context import MEASUREMENT_DIGITS, format_measurement
from groundstation.publish.images import crop_window
from groundstation.registry.locate import location_text
from skyinspect.errors import InputError, SkyinspectError, describe
from skyinspect.findings import Finding
from skyinspect.record import FlightRecordReader, FrameRecord

CONTEXT = 0.75  # crop half-size as a fraction of the defect's extent (as the report's crops)
MIN_HALF_PX = 64


@dataclass
class ResultsData:
    folder: Path
    inspection: dict[str, Any]
    findings: dict[str, Finding]
    grades: dict[str, list[dict[str, Any]]]
    assignments: dict[str, dict[str, Any]]
    frames: dict[int, FrameRecord] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)  # finding id -> a reviewer's note (joint_note)
    flight_not_found: str = ""  # the flight record inspection.json names, when it is not there (no views)
    identity: str = ""  # stages.findings_identity of the findings loaded
    stamp: tuple[int, int] = (0, 0)  # stages/findings.json's (mtime_ns, size) when they were loaded
    # inspection.json's and stages/grades.json's stamps when the grades were read (``refresh_grades``)
    grades_stamp: tuple[tuple[int, int], ...] = ()

    @classmethod
    def open(cls, folder: Path, flight: Path | None = None) -> ResultsData:
        from groundstation.republish import _listed
        from groundstation.stages import finding_from_dict

        folder = Path(folder).resolve()
        meta_p, find_p = folder / "inspection.json", folder / "stages" / "findings.json"
        if not meta_p.is_file() or not find_p.is_file():
            raise InputError(describe(folder, "not a skyinspect results folder (inspection.json and "
                                              "stages/findings.json expected)", "Run `skyinspect process` first"))
        grades: dict[str, list[dict[str, Any]]] = {}
        assignments: dict[str, dict[str, Any]] = {}
        g_p = folder / "stages" / "grades.json"
        path = meta_p
        try:  # a file cut short or of another shape is refused by name (a traceback before)
            meta = json.loads(meta_p.read_text())
            if not isinstance(meta, dict):
                raise TypeError(f"expected a JSON object, got a JSON {type(meta).__name__}")
            path = find_p
            findings = {x["finding_id"]: finding_from_dict(x) for x in _listed(json.loads(find_p.read_text())["data"])}
            if g_p.is_file():
                path = g_p
                grades, assignments = _graded(g_p)
            path = meta_p
            grades.update(_review_grades(meta))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # JSONDecodeError, UnicodeDecodeError too
            raise InputError(describe(path, f"unreadable ({type(exc).__name__}: {exc})",
                                      "Process the flight again with `skyinspect process`")) from exc
        frames: dict[int, FrameRecord] = {}
        flight_dir = Path(flight) if flight else Path(meta.get("flight", ""))
        if flight is None and meta.get("flight") and not (flight_dir / "record.sqlite").is_file():
            flight_dir = _beside(folder, flight_dir, meta) or flight_dir
        if flight is not None and not (flight_dir / "record.sqlite").is_file():
            raise InputError(describe(flight, "not a flight record (record.sqlite missing)",
                                      "Pass --flight the folder `skyinspect onboard --out` wrote"))
        if flight_dir and (flight_dir / "record.sqlite").is_file():
            with FlightRecordReader(flight_dir) as reader:
                frames = {f.frame_index: f for f in reader.frames()}
        if flight is not None:
            refuse_another_flight(flight_dir, meta, folder, [f.capture_time_utc_s for f in frames.values()])
        checks = read_checks(folder)  # what publish flagged for a look (groundstation.joints)
        missing = "" if frames or not meta.get("flight") else str(flight_dir)
        from groundstation.stages import findings_identity

        return cls(folder, meta, findings, grades, assignments, frames, checks, missing,
                   findings_identity(list(findings.values())), _stamp(find_p), (_stamp(meta_p), _stamp(g_p)))

    def refresh_grades(self) -> None:
        """The grades (and inspection.json) read again when `skyinspect publish` rewrote them since: a
        running app had listed a published relabel with its grade as processed until restarted. A file
        caught half-written, or damaged since, keeps what was read (tried again on the next request)."""
        meta_p, g_p = self.folder / "inspection.json", self.folder / "stages" / "grades.json"
        now = (_stamp(meta_p), _stamp(g_p))
        if now == self.grades_stamp or not self.still_current():  # processed again: other findings' grades
            return
        try:
            meta = json.loads(meta_p.read_text())
            grades, assignments = _graded(g_p) if g_p.is_file() else ({}, {})
            grades.update(_review_grades(meta))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return
        self.inspection, self.grades, self.assignments, self.grades_stamp = meta, grades, assignments, now

    def still_current(self) -> bool:
        """Whether the folder still holds the findings loaded: `process` run into it since with other
        findings (another flight, surface, model) would have a decision on the old F-0001 land on the
        new one. Re-read only when the file changed; the same findings written again still count."""
        from groundstation.stages import stored_findings_identity

        path = self.folder / "stages" / "findings.json"
        now = _stamp(path)
        if now == self.stamp:
            return True
        if stored_findings_identity(path) != self.identity:
            return False
        self.stamp = now
        return True

    def summary(self, fid: str, review: dict[str, Any] | None, table: bool = False,
                published: dict[str, Any] | None = None) -> dict[str, Any]:
        """``table``: only what the page's table and map markers show: the page lists again on every
        click, and the outlines and measurements had made that 13.1 MB a click for 1,600 findings.
        ``published``: the finding's review state as last published (``graded_class``)."""
        f = self.findings[fid]
        g = (self.grades.get(fid) or [None])[0]
        now, then = graded_class(f, review), graded_class(f, published)
        # relabelled since its grade was made: that grade is the other class's (a crack's CS3 on a finding
        # listed as corrosion), so none is shown until publish grades it as the class it has now
        regrade = None if now == then else {"as": now, "graded_as": then, "grade": _grade_text(g),
                                            "rule": g["rule"] if g else None}
        g = None if regrade else g
        row = {"finding_id": fid, "class": f.class_name, "lat": f.lat_deg, "lon": f.lon_deg,
               "alt_msl_m": round(f.alt_msl_m, 3),
               "grade": _grade_text(g), "regrade": regrade,
               "component": (self.assignments.get(fid) or {}).get("label"),
               "review": review or {"status": "unreviewed", "label": None, "comments": [], "by": None, "seq": 0}}
        if table:
            return row
        return row | {
            "score": round(f.score, 3), "views": len(f.views), "grade_rule": g["rule"] if g else None,
            "grade_clause": (g["clause"] or g["note"]) if g else None,
            # where on the component, as the work orders and the report say it (groundstation.registry.locate)
            "location": location_text(self.assignments.get(fid))
            if self.assignments.get(fid) or self.inspection.get("asset_id") else "",
            "check": self.checks.get(fid, ""),
            # "text": as the report, map and KML print it (the page had rounded on its own)
            "measurements": {k: {"value": m.value, "sigma": m.sigma, "unit": m.unit, "note": m.note,
                                 "text": format_measurement(m, MEASUREMENT_DIGITS.get(k, 2))}
                             for k, m in f.measurements.items()},
            "outline": self.outline(fid)}  # lat, lon, alt: the page draws findings on a face as an elevation

    def outline(self, fid: str) -> list[list[float]]:
        """A finding's outline (lat, lon, alt), as ``summary`` gives it."""
        f = self.findings[fid]
        return [[float(p[0]), float(p[1]), float(p[2])] for p in f.outline_wgs84] if f.outline_wgs84 is not None else []

    def view_instance(self, fid: str, k: int) -> tuple[FrameRecord, Any] | None:
        f = self.findings[fid]
        if not 0 <= k < len(f.views):
            return None
        frame_index, inst = f.views[k]
        rec = self.frames.get(frame_index)
        if rec is None or rec.image_path is None or inst >= len(rec.instances):
            return None
        return rec, rec.instances[inst]

    def view_crop(self, fid: str, k: int, outline: bool = True) -> tuple[np.ndarray, np.ndarray, tuple[int, int]] | None:
        """(crop BGR, instance polygon in crop pixels, (left, top)) of view ``k`` of a finding."""
        got = self.view_instance(fid, k)
        if got is None:
            return None
        rec, inst = got
        image = cv2.imread(str(rec.image_path), cv2.IMREAD_COLOR)
        if image is None:
            return None
        poly = np.asarray(inst.polygon_px, dtype=np.float64)
        left, top, right, bottom = crop_window(poly, image.shape, 2 * MIN_HALF_PX / 1.5, CONTEXT)
        crop = image[top:bottom, left:right].copy()
        local = poly - [left, top]
        if outline:
            cv2.polylines(crop, [np.round(local).astype(np.int32).reshape(-1, 1, 2)], True, (40, 40, 220), 1, cv2.LINE_AA)
        return crop, local, (left, top)


def graded_class(finding: Finding, review: dict[str, Any] | None) -> str:
    """The class ``finding`` is graded as under ``review`` (its state in the trail, or None): as publish
    grades it (``reviewed_class``), but a rejected finding keeps the grade it was processed with."""
    rejected = (review or {}).get("status") == "rejected"
    return finding.class_name if rejected else reviewed_class(finding, review)


def _grade_text(g: dict[str, Any] | None) -> str | None:
    # a lower bound (steel corrosion: CS3/CS4 cannot be excluded) reads "CS2+" as in the report
    return g["state"] + ("+" if g.get("bound") == "at_least" else "") if g else None


def _graded(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """stages/grades.json's grades and assignments (finding id -> ...), as `skyinspect process` stored them."""
    data = json.loads(path.read_text())["data"]
    return dict(data["grades"]), dict(data.get("assignments", {}))


def _review_grades(meta: dict[str, Any]) -> dict[str, Any]:
    """inspection.json's grades the review changed, as publish published them (a relabel's, as its class)."""
    return dict((meta.get("review") or {}).get("grades") or {})


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


def record_beside(results: Path, named: Path, meta: dict[str, Any]) -> Path | None:
    """The flight record of ``named``'s name beside the results folder, where inspection.json (``meta``)
    has the flight's start to check it by (``starts_at``, not checked here)."""
    candidate = results.parent / named.name
    if not named.name or meta.get("start_time_utc_s") is None or not (candidate / "record.sqlite").is_file():
        return None
    return candidate


def starts_at(times: Iterable[float], meta: dict[str, Any]) -> bool:
    """Whether a frame of ``times`` is at the flight's start (inspection.json's start_time_utc_s, its first
    tagged frame's time): a record of another flight has none there."""
    start = float(meta["start_time_utc_s"])
    return any(abs(t - start) <= 1e-3 for t in times)


def _beside(results: Path, named: Path, meta: dict[str, Any]) -> Path | None:
    """The flight record of the same name beside the results folder, when its first frame is the
    flight's start (inspection.json's start_time_utc_s): the two moved together (a folder copied to a
    laptop) had shown no views until --flight was given."""
    candidate = record_beside(results, named, meta)
    if candidate is None:
        return None
    try:
        with FlightRecordReader(candidate) as reader:
            same = starts_at((f.capture_time_utc_s for f in reader.frames()), meta)
    except (OSError, sqlite3.Error, SkyinspectError):  # not a record we can read: not this flight
        return None
    return candidate if same else None


def refuse_another_flight(flight: Path, meta: dict[str, Any], results: Path, times: list[float] | None = None,
                          counted: str = "frames") -> None:
    """InputError when ``flight`` (given by --flight) has no frame at the inspection's start (inspection.json's
    start_time_utc_s, its first tagged frame's time), as ``_beside`` tells a record of the same name: another
    flight's images had been shown as the findings' views and cropped into the report, with no word. ``times``:
    its frames' capture times where the caller has read them already (else read here); ``counted``: what those
    are, as the message names them (publish passes its tagged frames)."""
    start = meta.get("start_time_utc_s")
    if start is None:
        return
    if times is None:
        try:
            with FlightRecordReader(flight) as reader:
                times = [f.capture_time_utc_s for f in reader.frames()]
        except (OSError, sqlite3.Error, SkyinspectError):  # an unreadable record is refused where it is read
            return
    if not times or starts_at(times, meta):
        return
    from datetime import datetime, timezone

    def utc(t: float) -> str:
        return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")

    raise InputError(describe(flight, f"is another flight: its {len(times)} {counted} run from {utc(min(times))} to "
                                      f"{utc(max(times))}, none at the start of the flight these results were "
                                      f"processed from ({utc(float(start))}, {Path(results) / 'inspection.json'})",
                              f"Pass --flight that flight's record ({meta.get('flight') or 'see inspection.json'}, "
                              f"moved or copied)"))
