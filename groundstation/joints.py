"""Crack findings that run like a formwork or construction joint: a flag for the reviewer, not a verdict.

A concrete face carries straight, plumb or level lines that are not cracks: formwork panel joints,
construction joints, tie-rod rows. A segmentation model calls them cracks (the demo flight's four
false cracks lie on its formwork panel joints, README), and a real crack can follow a cold joint
too, so nothing is dropped or regraded here. A crack finding whose measured
centre lines (Finding.centrelines_ned_m) span at least ``MIN_SPAN_M``, stay within ``MAX_RMS_GSD``
(RMS) of one straight line and run within ``MAX_TILT_DEG`` of plumb or level on the face gets a note
saying so; real cracks wander by far more. Demo flight, shipped model: the five cracks found lie
4-78 mm RMS off their best line, three of the four false ones 0.3-0.6 mm and are flagged (the
fourth is 47 mm long, under ``MIN_SPAN_M``). Only on faces (a chart whose v axis is up): on a horizontal
surface the chart's axes are east and north, not the structure's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from skyinspect.findings import Finding
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
    centre = pts.mean(axis=0)
    _, _, axes = np.linalg.svd(pts - centre, full_matrices=False)
    span = float(np.ptp((pts - centre) @ axes[0]))
    rms = float(np.sqrt(np.mean(((pts - centre) @ axes[1]) ** 2)))
    tilt = math.degrees(math.atan2(abs(axes[0][1]), abs(axes[0][0])))  # 0 level, 90 plumb
    off = min(tilt, 90.0 - tilt)
    gsd = finding.gsd_m if math.isfinite(finding.gsd_m) and finding.gsd_m > 0 else 0.001
    if span < MIN_SPAN_M or rms > MAX_RMS_GSD * gsd or off > MAX_TILT_DEG:
        return ""
    way = "plumb" if tilt > 45.0 else "level"
    return (f"straight and {way} over {span * 1000:.0f} mm ({rms * 1000:.1f} mm RMS off a line, {off:.1f} deg off "
            f"{way}): runs like a formwork or construction joint; check it is a crack before acting on it")
