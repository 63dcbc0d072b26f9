"""Whether the other flight's frames covered a defect's place (groundstation.change).

A defect not seen again whose place no frame of this flight looked at was not looked for: "repaired" would
send someone to check a repair that never happened, so its note says it lay outside this flight's frames.
A new defect outside last flight's frames was first seen, not necessarily new. Each frame's footprint (the
``aligned`` stage, in its flight's NED frame) is a polygon on the surface; a point is in it when it lies
within ``off_plane_m`` of the footprint's plane (not a face on the structure's far side) and inside it there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from groundstation.change.lines import in_frame


def read_footprints(folder: Path) -> tuple[np.ndarray, ...] | None:
    """Each placed frame's footprint (K, 3) in the flight's NED frame from ``stages/aligned.json``; None
    when the folder does not hold it (then coverage is not told, the notes say what they said before)."""
    path = Path(folder) / "stages" / "aligned.json"
    try:
        frames = json.loads(path.read_text())["data"]["frames"]
        out = []
        for f in frames:
            fp = f.get("footprint_ned_m") if isinstance(f, dict) else None
            if fp is not None:
                a = np.asarray(fp, dtype=np.float64)
                if a.ndim == 2 and a.shape[0] >= 3 and a.shape[1] == 3 and np.isfinite(a).all():
                    out.append(a)
        return tuple(out)
    except (OSError, ValueError, KeyError, TypeError):  # missing or unlike: an aid to the note, not an input
        return None


class Coverage:
    """One flight's footprints in the comparison's NED frame, each as a 2D polygon in its own plane."""

    def __init__(self, footprints_ned_m: tuple[np.ndarray, ...], origin: Any, frame: Any, off_plane_m: float,
                 margin_m: float = 0.0) -> None:
        """``margin_m``: each footprint grown by this much in its plane."""
        self.off_plane_m = off_plane_m
        self.planes: list[tuple[np.ndarray, np.ndarray, Any]] = []  # (centre, 3x3 basis rows u, v, normal, polygon)
        centres, radii, outlines = [], [], []
        for fp in footprints_ned_m:
            pts = in_frame(fp, origin, frame)
            c = pts.mean(axis=0)
            basis = np.linalg.svd(pts - c)[2]  # rows: the two in-plane directions, then the normal
            poly = shapely.Polygon((pts - c) @ basis[:2].T)
            if poly.is_valid and poly.area > 0:
                self.planes.append((c, basis, poly.buffer(margin_m) if margin_m > 0 else poly))
                centres.append(c)
                radii.append(float(np.linalg.norm(pts - c, axis=1).max()) + margin_m)
                outlines.append(np.vstack([pts, c]))
        self.centres = np.array(centres).reshape(-1, 3)
        self.radii = np.array(radii)  # no point of a footprint lies farther from its centre
        self.outlines = outlines  # each footprint's border points and centre

    def distance(self, points: np.ndarray, within_m: float) -> np.ndarray:
        """(N,) each (N, 3) point's distance to the nearest footprint (0 inside): in its plane, and across it
        past ``off_plane_m``; exact up to ``within_m``, beyond it only known to be farther (inf). Only the
        footprints within reach are measured: all 1,000 of a large flight took 35 ms a defect."""
        points = np.atleast_2d(points)
        best = np.full(len(points), np.inf)
        mid = points.mean(axis=0)
        reach = float(np.linalg.norm(points - mid, axis=1).max()) + within_m + self.off_plane_m
        near = np.flatnonzero(np.linalg.norm(self.centres - mid, axis=1) <= self.radii + reach)
        for j in near:
            c, basis, poly = self.planes[j]
            rel = points - c
            uv = rel @ basis[:2].T
            across = np.maximum(np.abs(rel @ basis[2]) - self.off_plane_m, 0.0)
            best = np.minimum(best, np.hypot(shapely.distance(poly, shapely.points(uv)), across))
        return best


def covered(points: np.ndarray, cover: Coverage | None, uncertainty_m: float) -> str:
    """'all', 'none' or 'part' of a defect's outline and centre (``points``) in the frames; '' unknown.
    'none' only when every point lies farther than ``uncertainty_m`` (the two flights' positions against each
    other) from every frame: a spot the frames covered must not read "not looked at" for a position error."""
    if cover is None or not len(points):
        return ""
    d = cover.distance(points, uncertainty_m)
    return "all" if (d == 0).all() else "none" if (d > uncertainty_m).all() else "part"


def looked_apart(prev: Any, cur: Any, frame: Any, shift: np.ndarray, margin_m: float) -> bool:
    """True when both flights' footprints are known and no frame of either looked within ``margin_m`` (in
    and across the surface) of the other's frames: two places (two piers, two stretches of a wall), not
    one structure inspected twice. ``shift``: the flights' offset, added to this time's positions. Each
    footprint's border points and centre are tried in the other's grown footprints: two footprints closer than
    the margin (or overlapping) have a border point of one in the other grown (the centres alone had missed
    footprints overlapping by less than half a frame's width less the margin)."""
    if prev.footprints_ned_m is None or cur.footprints_ned_m is None or prev.origin is None or cur.origin is None:
        return False
    a = Coverage(prev.footprints_ned_m, prev.origin, frame, margin_m, margin_m)
    b = Coverage(cur.footprints_ned_m, cur.origin, frame, margin_m, margin_m)
    if not len(a.centres) or not len(b.centres):
        return False
    # distance 0: inside a grown footprint and within the margin of its plane; the frames near each one only
    return not any((a.distance(p + shift, 0.0) == 0).any() for p in b.outlines) \
        and not any((b.distance(p - shift, 0.0) == 0).any() for p in a.outlines)


GONE_NOTES = {"all": "not seen this time, though this flight's frames covered its place: repaired, hidden, or missed",
              "part": "not seen this time; its place only partly in this flight's frames: repaired, hidden, missed, "
                      "or outside the frames",
              "none": "not seen this time: its place lay outside this flight's frames, so it was not looked at "
                      "(look for it next time)",
              "": "not seen this time: repaired, hidden, outside the flight, or missed"}
NEW_NOTES = {"none": "its place lay outside last flight's frames: first seen, not necessarily new",
             "part": "its place only partly in last flight's frames: perhaps there last time", "all": "", "": ""}
