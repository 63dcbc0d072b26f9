"""JSON forms of the stage outputs (out/stages/*.json) and the resumable-stage helper.

A stage file holds ``{"stage", "fingerprint", "data"}``. A rerun reuses it when the fingerprint
of the stage's inputs matches (ODM-style); NaN is stored as null because JSON has no NaN.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from groundstation.georef import FrameGeoref, Georeferenced
from skyinspect.atomic import write_atomic
from skyinspect.errors import RecordError, describe
from skyinspect.findings import Detection, Finding, Measurement
from skyinspect.surfaces import surface_from_dict

T = TypeVar("T")
STAGE_FORMAT_VERSION = 27  # 3: fused centroid from the exact union, image-based crack width; 4: width bounds
# (low/high); 5: crack centroid on its centreline (fuse), crack length over all fine frames with branches (measure);
# 6: a joint-like line through a crack reported apart (measure, groundstation.joint_split), crack frames laid
# along the crack by their ends (crack_length); 7: a crack's centroid from its bridged outline (fuse); 8: no
# negative crack width, no 0-to-infinity width bound (measure: both "not measurable"); 9: joint-like lines
# not counted for crack spacing (grade); 10: outlines in degrees and covariances stored with every digit (6
# decimals of a degree are ~0.1 m: a rerun that reused the stage published outlines off by up to 5 cm); 11: a
# footprint past a face's end cut at the end (georef), not at the last border sample that hit; 12: on the
# default ground plane the camera's vertical GNSS error is the point's own (georef covariances); 13: align solves
# each pass's range and records the frames tie points tied (tied_frames), which fusion's pass vote leaves alone;
# 14: tied_frames also when the tie points linked passes and moved none; 15: a detection's GSD is what its
# pixels span on the surface (georef.local_gsd_m), not range / fx / cos(incidence); 16: a crack's mask pixels
# are its own bridged components, not whatever crack pixels its outline encloses (crack_pixels, measure); 17: each
# frame's camera corrected by tie points after the passes (align), crack width +- with the one-sided deficit
# (measure), a split-off joint line flagged with wisps beside it (publish reads findings as measured); 18: a
# frame whose centre looks just past a face's end is placed by the part of it that sees the face (georef); 19:
# passes on a bounded face aligned as on a plane (align's tie points, fusion's vote); 20: a crack's widest stretch
# (max_width_mm) with its own bound and +- (crackwidth), not the mean's; 21: the widest stretch runs 1.5 times
# its width along the crack, not over a pore (crackwidth); 22: a detection's area is its mask's pixels on the
# surface (georef: Instance.area_px x pixel_scale.pixel_area_m2), not the area inside its pixel-centre outline; 23: a
# crack's centre lines drawn along the smoothed links its length counts (crack_length, skeleton_trails); 24: a
# crack's interior read from a plateau only when it is wider than a blurred line's round bottom (crackwidth); 25:
# nor when its level makes the crack wider than each profile's own darkest point allows (crackwidth); 26: shading
# centred on a crack in the width's +- and out of a bound's lower end (crackwidth, image-profile-8); 27: a crack
# and the line split off it each with the views that show it and its own best view (joint_split.part_views)


def _f(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _nf(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _arr(a: np.ndarray | None, decimals: int | None = 6) -> list[Any] | None:
    """Metres to the micrometre; ``decimals=None`` keeps every digit (degrees, where 6 decimals are ~0.1 m,
    and covariances in m^2, where RTK's are ~1e-5): JSON floats round-trip exactly."""
    if a is None:
        return None
    arr = np.asarray(a, dtype=np.float64)
    arr = arr.round(decimals) if decimals is not None else arr
    if arr.ndim == 1:
        return [float(v) if math.isfinite(v) else None for v in arr]
    return [[float(v) if math.isfinite(v) else None for v in row] for row in arr]


def _unarr(a: list[Any] | None, cols: int = 3) -> np.ndarray | None:
    return None if a is None else np.asarray(a, dtype=np.float64).reshape(-1, cols)


def detection_to_dict(d: Detection) -> dict[str, Any]:
    return {"frame_index": d.frame_index, "instance_index": d.instance_index, "class_id": d.class_id,
            "score": d.score, "outline_ned_m": _arr(d.outline_ned_m), "centroid_ned_m": _arr(d.centroid_ned_m),
            "skeleton_ned_m": _arr(d.skeleton_ned_m), "area_m2": _f(d.area_m2), "gsd_m": _f(d.gsd_m),
            "range_m": _f(d.range_m), "incidence_deg": _f(d.incidence_deg), "sigma_h_m": _f(d.sigma_h_m),
            "sigma_v_m": _f(d.sigma_v_m), "cov_ned_m2": _arr(d.cov_ned_m2, None), "surface_name": d.surface_name}


def detection_from_dict(x: dict[str, Any]) -> Detection:
    return Detection(int(x["frame_index"]), int(x["instance_index"]), int(x["class_id"]), float(x["score"]),
                     _unarr(x["outline_ned_m"]), np.asarray(x["centroid_ned_m"], dtype=np.float64),  # type: ignore[arg-type]
                     _unarr(x["skeleton_ned_m"]), _nf(x["area_m2"]), _nf(x["gsd_m"]), _nf(x["range_m"]),
                     _nf(x["incidence_deg"]), _nf(x["sigma_h_m"]), _nf(x["sigma_v_m"]),
                     _unarr(x.get("cov_ned_m2")), str(x.get("surface_name", "")))


def georeferenced_to_dict(g: Georeferenced) -> dict[str, Any]:
    frames = [{"frame_index": f.frame_index, "capture_time_utc_s": f.capture_time_utc_s, "status": f.status,
               "camera_ned_m": [_f(v) for v in f.camera_ned_m], "footprint_ned_m": _arr(f.footprint_ned_m),
               "gsd_m": _f(f.gsd_m), "range_m": _f(f.range_m), "image_path": f.image_path,
               "notes": list(f.notes), "surface_name": f.surface_name} for f in g.frames]
    return {"surface": g.surface.to_dict(), "frames": frames,
            "detections": [detection_to_dict(d) for d in g.detections], "surface_from_flight": g.from_flight,
            "tied_frames": list(g.tied_frames)}


def georeferenced_from_dict(x: dict[str, Any]) -> Georeferenced:
    surface = surface_from_dict(x["surface"])
    frames = tuple(FrameGeoref(int(f["frame_index"]), float(f["capture_time_utc_s"]), f["status"],
                               np.array([_nf(v) for v in f["camera_ned_m"]]), _unarr(f["footprint_ned_m"]),
                               _nf(f["gsd_m"]), _nf(f["range_m"]), f["image_path"], tuple(f["notes"]),
                               str(f.get("surface_name", "")))
                   for f in x["frames"])
    return Georeferenced(surface, frames, tuple(detection_from_dict(d) for d in x["detections"]),
                         bool(x.get("surface_from_flight", False)), tuple(int(i) for i in x.get("tied_frames", [])))


def finding_to_dict(f: Finding) -> dict[str, Any]:
    return {"finding_id": f.finding_id, "class_id": f.class_id, "class_name": f.class_name,
            "lat_deg": f.lat_deg, "lon_deg": f.lon_deg, "alt_msl_m": f.alt_msl_m,
            "outline_wgs84": _arr(f.outline_wgs84, None), "centroid_ned_m": _arr(f.centroid_ned_m), "score": f.score,
            "views": [list(v) for v in f.views], "best_view": list(f.best_view),
            "measurements": {k: {"value": _f(m.value) if m.value is not None else None,
                                 "sigma": _f(m.sigma) if m.sigma is not None else None,
                                 "unit": m.unit, "note": m.note,
                                 "low": _f(m.low), "high": _f(m.high)}  # type: ignore[arg-type]
                             for k, m in f.measurements.items()},
            "ce90_m": _f(f.ce90_m), "le90_m": _f(f.le90_m), "severity": f.severity,
            "outline_ned_m": _arr(f.outline_ned_m), "skeleton_ned_m": _arr(f.skeleton_ned_m),
            "gsd_m": _f(f.gsd_m), "range_m": _f(f.range_m), "incidence_deg": _f(f.incidence_deg),
            "surface_name": f.surface_name, "cov_ned_m2": _arr(f.cov_ned_m2, None),
            "centrelines_ned_m": [_arr(c) for c in f.centrelines_ned_m]}


def finding_from_dict(x: dict[str, Any]) -> Finding:
    return Finding(
        x["finding_id"], int(x["class_id"]), x["class_name"], float(x["lat_deg"]), float(x["lon_deg"]),
        float(x["alt_msl_m"]), _unarr(x["outline_wgs84"]), np.asarray(x["centroid_ned_m"], dtype=np.float64),  # type: ignore[arg-type]
        float(x["score"]), tuple(tuple(v) for v in x["views"]), tuple(x["best_view"]),  # type: ignore[arg-type]
        {k: Measurement(m["value"], m["sigma"], m["unit"], m["note"], m.get("low"), m.get("high"))
         for k, m in x["measurements"].items()},
        _nf(x["ce90_m"]), _nf(x["le90_m"]), x["severity"], _unarr(x["outline_ned_m"]),
        _unarr(x["skeleton_ned_m"]), _nf(x["gsd_m"]), _nf(x["range_m"]), _nf(x["incidence_deg"]),
        str(x.get("surface_name", "")), _unarr(x.get("cov_ned_m2")),
        tuple(_unarr(c) for c in x.get("centrelines_ned_m", [])))  # type: ignore[misc]


def fingerprint(*parts: object) -> str:
    """sha256 over the reprs/JSON of the parts (inputs of a stage)."""
    h = hashlib.sha256(str(STAGE_FORMAT_VERSION).encode())
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, default=repr).encode())
    return h.hexdigest()


def write_json_atomic(path: Path, data: object) -> str:
    """Write ``data`` as compact JSON (temporary file, then renamed); returns the text written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, separators=(",", ":"))
    write_atomic(path, text)
    return text


def run_stage(path: Path, name: str, fp: str, compute: Callable[[], T], to_json: Callable[[T], Any],
              from_json: Callable[[Any], T], rerun: bool) -> tuple[T, bool]:
    """Load the stage output at ``path`` when its fingerprint matches, else compute and store it, and
    return it as stored. Returns (value, reused)."""
    if not rerun and path.is_file():
        try:
            stored = json.loads(path.read_text())
            if stored.get("stage") == name and stored.get("fingerprint") == fp:
                return from_json(stored["data"]), True
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            pass  # a damaged or old stage file is recomputed, never trusted
    stored = {"stage": name, "fingerprint": fp, "data": to_json(compute())}
    try:
        text = write_json_atomic(path, stored)
    except OSError as exc:
        raise RecordError(describe(path, f"cannot write stage output ({exc})",
                                   "Check that the output folder is writable and has space")) from exc
    del stored  # the text written is all that is passed on (peak memory at 1,000 frames)
    # passed on as a rerun will read it back (metres stored to the micrometre): a run killed after this
    # stage and run again then publishes the same bytes as one run through
    return from_json(json.loads(text)["data"]), False


# what other tools keep in a results folder naming findings by id (F-0005): the review app's audit
# trail and training export, change detection's report and defect ids
BY_FINDING_ID = ("review", "change.json", "change.csv", "defects.json")


def findings_identity(findings: list[Finding]) -> str:
    """Which findings carry which ids: id, class and position (to 1 cm). Not the stage fingerprint: a
    new version or a file copied back changes that while the findings, and a review of them, stay."""
    return json.dumps(sorted((f.finding_id, f.class_name, round(f.lat_deg, 7), round(f.lon_deg, 7),
                              round(f.alt_msl_m, 2)) for f in findings))


def stored_findings_identity(path: Path) -> str | None:
    """``findings_identity`` of the measure stage output at ``path``; None when there is none or it
    is unreadable."""
    try:
        return findings_identity([finding_from_dict(x) for x in json.loads(path.read_text())["data"]])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def set_aside_stale(out: Path, findings_before: str | None, findings_now: str) -> Path | None:
    """Move what names the old findings by id out of the way when the findings changed (another flight,
    surface, model or version processed into the same folder): a review rejection of the old F-0005 had
    dropped the new F-0005's work order. Moved into ``superseded-<UTC time>/``, never deleted (an audit
    trail is a record). Returns that folder, or None when nothing was moved."""
    from datetime import datetime, timezone

    stale = [out / name for name in BY_FINDING_ID if (out / name).exists()]
    if findings_before == findings_now or not stale:
        return None
    aside = out / f"superseded-{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}"
    try:
        aside.mkdir()
        for path in stale:
            os.replace(path, aside / path.name)
    except OSError as exc:
        raise RecordError(describe(out, f"cannot move the previous findings' review and change files aside "
                                        f"({exc})", "Check that the results folder is writable")) from exc
    return aside
