"""Crack findings that run like a formwork or construction joint: a flag for the reviewer, not a verdict.

A concrete face carries straight, plumb or level lines that are not cracks: formwork panel joints,
construction joints, tie-rod rows. A segmentation model calls them cracks (the demo flight's four
false cracks lie on its formwork panel joints, README), and a real crack can follow a cold joint
too, so nothing is dropped or regraded here. A crack finding whose measured
centre lines (Finding.centrelines_ned_m) span at least ``MIN_SPAN_M``, stay within ``MAX_RMS_GSD``
(RMS) of one straight line (or lie at least ``MIN_ARM_COVER`` within its ``ARM_LABEL_GSD`` band and
stay that straight there) and run within ``MAX_TILT_DEG`` of plumb or level on the face gets a note
saying so; real cracks wander by far more. Demo flight, shipped model: the five cracks found lie
4-78 mm RMS off their best line, three of the four false ones 0.3-0.6 mm and are flagged (the
fourth is 47 mm long, under ``MIN_SPAN_M``). Only on faces (a chart whose v axis is up): on a horizontal
surface the chart's axes are east and north, not the structure's.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from skyinspect.centreline import polyline_length_m
from skyinspect.findings import CRACK_LINK_DISTANCE_M, Finding
from skyinspect.segmentation import CRACK

MIN_SPAN_M = 0.10
MAX_RMS_GSD = 1.0
MAX_TILT_DEG = 1.5


def joint_note(finding: Finding, chart: Any) -> str:
    """"" for an ordinary finding; else why it looks like a joint (module doc)."""
    if finding.class_id != CRACK or not finding.centrelines_ned_m or getattr(chart, "is_horizontal", True):
        return ""
    pts = np.vstack([chart.to_2d(np.asarray(c)) for c in finding.centrelines_ned_m])
    if len(pts) < 2:
        return ""
    span, rms, off, way = _line_fit(pts)
    gsd = finding.gsd_m if math.isfinite(finding.gsd_m) and finding.gsd_m > 0 else 0.001
    share = 1.0
    if rms > MAX_RMS_GSD * gsd:
        # short wisps beside a line (joint_arm keeps them as the line's) weigh in an RMS over all
        # points: a line is also one whose points lie MIN_ARM_COVER within its own band, fitted there
        # (demo flight: the joint lines 0.84-0.99 of their points, the true cracks 0.04-0.35)
        share, band = _band_share(pts, ARM_LABEL_GSD * gsd)
        if share < MIN_ARM_COVER:
            return ""
        span, rms, off, way = _line_fit(pts[band])
    if span < MIN_SPAN_M or rms > MAX_RMS_GSD * gsd or off > MAX_TILT_DEG:
        return ""
    within = "" if share >= 1.0 else f", {share:.0%} of it within {ARM_LABEL_GSD * gsd * 1000:.1f} mm of the line"
    return (f"straight and {way} over {span * 1000:.0f} mm ({rms * 1000:.1f} mm RMS off a line, {off:.1f} deg off "
            f"{way}{within}): runs like a formwork or construction joint; check it is a crack before acting on it")


def _band_share(pts: np.ndarray, half_width_m: float) -> tuple[float, np.ndarray]:
    """(share of the points, mask) within ``half_width_m`` of the straight line fitted to all of them."""
    centre, axes = _principal_axes(pts)
    band = np.abs((pts - centre) @ axes[1]) <= half_width_m
    return float(band.mean()), band


def _principal_axes(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(centroid, rows: the direction the points spread most along, then the one across it)."""
    centre = pts.mean(axis=0)
    return centre, np.linalg.svd(pts - centre, full_matrices=False)[2]


def _line_fit(pts: np.ndarray) -> tuple[float, float, float, str]:
    """(span, RMS off it, degrees off plumb or level, "plumb" or "level") of the straight line that
    fits (N >= 2, 2) face points best; the face chart's v axis is up."""
    centre, axes = _principal_axes(pts)
    span = float(np.ptp((pts - centre) @ axes[0]))
    rms = float(np.sqrt(np.mean(((pts - centre) @ axes[1]) ** 2)))
    tilt = math.degrees(math.atan2(abs(axes[0][1]), abs(axes[0][0])))  # 0 level, 90 plumb
    return span, rms, min(tilt, 90.0 - tilt), "plumb" if tilt > 45.0 else "level"


# --- a joint-like line *inside* a crack finding -------------------------------------------------
# A crack that meets or crosses a formwork joint comes out of the model as one piece with the joint
# (the demo flight's crack F-0004: a 0.71 m crack with 0.46 m of panel joint through it read 1.60x
# its length). The whole finding is not straight, so joint_note says nothing; but the joint's part
# is. Split off, and reported as a finding of its own by the measure stage (where it gets the joint
# note), is a run of the centre lines that lies along one plumb or level line (within
# ARM_MAX_TILT_DEG), ARM_MAX_RMS_GSD RMS off it, at least MIN_ARM_M long, covering at least
# MIN_ARM_COVER of its span (one line, not pieces of crack that happen to line up), with at least
# MIN_REST_M of crack off it. Stricter than joint_note's flag because it changes a crack's length:
# on the demo flight the straightest plumb or level runs in the true cracks (simulator masks and the
# model's alike) are 50-143 mm of line over 0.45-0.69 of their span, 0.5-0.8 GSD RMS off it; the
# model's joint lines 146-1784 mm over 0.96-1.0 of their span, 0.2-0.5 GSD RMS.

ARM_SUFFIX = "-J"  # the line's finding id: its crack's id and this
ARM_BAND_GSD = 1.0  # half-width of the band the line's points must lie in (points' RMS is less)
ARM_LABEL_GSD = 1.5  # points this close to the fitted line belong to it
MIN_CROSSING_GSD = 4.0  # shorter stretches on / off the line take their neighbours' side (a crack crossing it)
NEAR_LINE_GSD = 5.0  # a stretch shorter than 2 x MIN_CROSSING_GSD no farther than this from the line is line
MAX_ARM_GAP_M = CRACK_LINK_DISTANCE_M  # a longer gap along the line ends the run (as a crack's pieces)
MIN_REST_M = 0.03  # less crack than this besides the line: the whole finding is the line (joint_note)
MIN_ARM_M = 0.15
MIN_ARM_COVER = 0.8
ARM_MAX_RMS_GSD = 0.6
ARM_MAX_TILT_DEG = 1.0
_ANGLE_STEP_DEG = 0.25


@dataclass(frozen=True)
class JointArm:
    """The plumb or level run inside a crack's centre lines, and the lines split at it (NED)."""

    # the stretches, each (K, 3) with its points at most half a GSD apart (densified from the centre lines)
    arm_ned_m: tuple[np.ndarray, ...]  # the line's
    rest_ned_m: tuple[np.ndarray, ...]  # the crack's, sharing an end point with the line where they meet
    way: str  # "plumb" or "level"
    span_m: float
    rms_m: float
    off_deg: float  # off plumb / level
    dropped_m: float = 0.0  # joins from the crack's pieces to the line: counted in neither

    @property
    def arm_length_m(self) -> float:
        return sum(polyline_length_m(a) for a in self.arm_ned_m)

    @property
    def rest_length_m(self) -> float:
        return sum(polyline_length_m(r) for r in self.rest_ned_m)

    def describe(self) -> str:
        return (f"a straight {self.way} line {self.arm_length_m * 1000:.0f} mm long ({self.rms_m * 1000:.1f} mm RMS "
                f"off a line, {self.off_deg:.1f} deg off {self.way})")


def read_checks(folder: Path) -> dict[str, str]:
    """Finding id -> what publish said to check before acting on it (``joint_note`` in the results
    folder's findings.geojson, "" for nothing); {} without that file or when it does not parse: only a
    hint for the review app and change detection, whose findings come from stages/findings.json."""
    gj = Path(folder) / "findings.geojson"
    if not gj.is_file():
        return {}
    try:
        data = json.loads(gj.read_text())  # a reviewed publish keeps the rejected findings apart
        return {str(x["properties"]["finding_id"]): str(x["properties"].get("joint_note") or "")
                for x in data.get("features", []) + data.get("rejected", [])}
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
        return {}


def arm_id(finding_id: str) -> str:
    """The id of the joint-like line split off crack ``finding_id``."""
    return finding_id + ARM_SUFFIX


def joint_arm(centrelines_ned_m: tuple[np.ndarray, ...], chart: Any, gsd_m: float) -> JointArm | None:
    """The plumb or level line through a crack's centre lines, and the lines split at it, when
    there is one by the rules above; else None."""
    if not centrelines_ned_m or chart is None or getattr(chart, "is_horizontal", True) or not gsd_m > 0:
        return None
    step = gsd_m / 2.0
    dense = [_densify(np.asarray(c, dtype=np.float64), step) for c in centrelines_ned_m if len(c) >= 2]
    if not dense:
        return None
    uv = [chart.to_2d(d) for d in dense]
    line = _best_line(np.vstack(uv), gsd_m)
    if line is None:
        return None
    centre, direction, lo, hi = line
    normal = np.array([-direction[1], direction[0]])
    arm: list[np.ndarray] = []
    rest: list[np.ndarray] = []
    fit: list[np.ndarray] = []  # the arm's points inside the band: how straight the line itself is
    dropped_m = 0.0
    for pts3, pts2, n_vertices in zip(dense, uv, (len(c) for c in centrelines_ned_m if len(c) >= 2)):
        d = pts2 - centre
        across = np.abs(d @ normal)
        within = (d @ direction >= lo - gsd_m) & (d @ direction <= hi + gsd_m)
        on = (across <= ARM_LABEL_GSD * gsd_m) & within
        if n_vertices == 2 and on[0] != on[-1] and on.mean() < 0.5:
            # a straight join from a piece of crack to the line (crack_length joins its pieces by a
            # spanning tree): the gap it bridged was to the joint, so it is neither's
            dropped_m += polyline_length_m(pts3)
            continue
        for a, b, is_arm in _runs(_settle(on, pts3, MIN_CROSSING_GSD * gsd_m)):
            piece = slice(a, b + 1)
            near = bool(np.all(across[piece] <= NEAR_LINE_GSD * gsd_m) and np.all(within[piece]))
            if is_arm or (near and polyline_length_m(pts3[piece]) < MIN_CROSSING_GSD * 2 * gsd_m):
                arm.append(pts3[piece])  # a wisp beside the line (joins zigzagging between its pieces) is line
                fit.append(pts2[piece][on[piece]])
            else:
                rest.append(pts3[piece])
    arm = [a for a in arm if len(a) >= 2]
    rest = [r for r in rest if len(r) >= 2]
    arm_m = sum(polyline_length_m(a) for a in arm)
    if arm_m < MIN_ARM_M or sum(polyline_length_m(r) for r in rest) < MIN_REST_M:
        return None
    pts = np.vstack(fit)
    if len(pts) < 2:
        return None
    span, rms, off, way = _line_fit(pts)
    if arm_m < MIN_ARM_COVER * span or rms > ARM_MAX_RMS_GSD * gsd_m or off > ARM_MAX_TILT_DEG:
        return None
    return JointArm(tuple(arm), tuple(rest), way, span, rms, off, dropped_m)


def _best_line(pts: np.ndarray, gsd_m: float) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """(a point on it, unit direction, run start, run end along it) of the plumb or level line
    (within MAX_TILT_DEG) whose band of +-ARM_BAND_GSD holds the most points in one run (gaps <=
    MAX_ARM_GAP_M), or None when no run spans MIN_SPAN_M."""
    best: tuple[int, np.ndarray, np.ndarray, float, float] | None = None
    half = ARM_BAND_GSD * gsd_m
    tilts = np.arange(-MAX_TILT_DEG, MAX_TILT_DEG + 1e-9, _ANGLE_STEP_DEG)
    for base in (0.0, 90.0):
        for t in tilts:
            a = math.radians(base + t)
            direction = np.array([math.cos(a), math.sin(a)])
            across = pts @ np.array([-direction[1], direction[0]])
            order = np.sort(across)
            counts = np.searchsorted(order, order + 2 * half, side="right") - np.arange(len(order))
            for k in np.argsort(-counts)[:3]:  # the three fullest bands (the fullest may be scattered points)
                if best is not None and counts[k] <= best[0]:
                    break
                inside = (across >= order[k]) & (across <= order[k] + 2 * half)
                along = np.sort(pts[inside] @ direction)
                cuts = np.flatnonzero(np.diff(along) > MAX_ARM_GAP_M)
                starts, ends = np.r_[0, cuts + 1], np.r_[cuts, len(along) - 1]
                j = int(np.argmax(ends - starts))
                n = int(ends[j] - starts[j] + 1)
                if along[ends[j]] - along[starts[j]] >= MIN_SPAN_M and (best is None or n > best[0]):
                    mid = (order[k] + half) * np.array([-direction[1], direction[0]])
                    best = (n, mid, direction, float(along[starts[j]]), float(along[ends[j]]))
    return None if best is None else best[1:]  # type: ignore[return-value]


def _densify(points: np.ndarray, step_m: float) -> np.ndarray:
    """The polyline with extra points so that no two consecutive ones are more than ``step_m`` apart."""
    out = [points[:1]]
    for a, b in zip(points[:-1], points[1:]):
        n = max(1, int(math.ceil(float(np.linalg.norm(b - a)) / step_m)))
        out.append(a + (b - a) * (np.arange(1, n + 1) / n)[:, None])
    return np.vstack(out)


def _runs(labels: np.ndarray) -> list[tuple[int, int, bool]]:
    """(first, last, label) of each run of equal labels; consecutive runs share their boundary point
    (so the pieces still meet)."""
    cuts = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.r_[0, cuts]
    ends = np.r_[cuts, len(labels) - 1]
    return [(int(a), int(min(b, len(labels) - 1)), bool(labels[a])) for a, b in zip(starts, ends)]


def _settle(labels: np.ndarray, points: np.ndarray, min_length_m: float) -> np.ndarray:
    """Labels with every run shorter than ``min_length_m`` given to its neighbours, shortest first,
    while more than one run is left; an end run counts half its length (a skeleton's end hooks off
    the line it ends)."""
    labels = labels.copy()
    seg = np.r_[np.linalg.norm(np.diff(points, axis=0), axis=1), 0.0]
    while True:
        runs = _runs(labels)
        if len(runs) <= 1:
            return labels
        lengths = [float(seg[a:b].sum()) * (0.5 if k in (0, len(runs) - 1) else 1.0)
                   for k, (a, b, _) in enumerate(runs)]
        k = int(np.argmin(lengths))
        if lengths[k] >= min_length_m:
            return labels
        a, b, value = runs[k]
        labels[a:b + 1] = not value  # b, the next run's first point, has that label already
