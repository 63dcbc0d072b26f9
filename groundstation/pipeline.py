"""The ground-station pipeline: flight record → findings, GIS layers, map and report.

The stages, each a function from a typed input to a typed output (ODM-style, resumable):

    load          Path                      → LoadedFlight      groundstation/load.py
    georeference  LoadedFlight, surface     → Georeferenced     groundstation/georef.py
    align         LoadedFlight, Georeferenced → Georeferenced   groundstation/tiepoints.py (passes' cameras)
    fuse          Georeferenced             → list[Finding]     groundstation/fuse.py
    measure       list[Finding], detections → list[Finding]     groundstation/measure.py
    grade         list[Finding], registry   → GradeOutput       groundstation/grading/ (components, rules)
    publish       PublishInput              → product files     groundstation/publish/

Georeference, align, fuse, measure and grade store their output under ``out/stages/<stage>.json`` with a
fingerprint of their inputs; a rerun reuses an output whose fingerprint matches, unless
``rerun=True``. Products are written to a staging folder inside ``out`` and moved into place only
after all of them succeeded, so a failure never leaves a half-written product set.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from groundstation import georef as georef_mod
from groundstation.fuse import FuseParams, fuse
from groundstation.georef import Georeferenced, georeference
from groundstation.gnss_quality import gnss_notes
from groundstation.grading.coverage import covered_by_component_m2
from groundstation.grading.stage import (check_registry_site, grade_fingerprint_parts, grade_output_from_json,
                                        grade_output_to_json, run_grade)
from groundstation.joints import joint_note
from groundstation.load import LoadedFlight, load_flight
from groundstation.measure import MeasureLimits, measure
from groundstation.plane import chart_for
from groundstation.publish import PublishInput, publish
from groundstation.publish.context import covered_area_m2
from groundstation.publish.reviewed import with_review
from groundstation.stages import (BY_FINDING_ID, finding_from_dict, finding_to_dict, findings_identity, fingerprint,
                                  georeferenced_from_dict, georeferenced_to_dict, run_stage, set_aside_stale,
                                  stored_findings_identity)
from groundstation.takeoffs import takeoff_notes
from groundstation.tiepoints import TieParams, realign
from skyinspect.errors import InputError, RecordError, describe, refuse_file_in_the_way
from skyinspect.leftovers import remove_dead
from skyinspect.findings import Finding

STAGES = ("load", "georeference", "align", "fuse", "measure", "grade", "publish")


@dataclass(frozen=True)
class ProcessSummary:
    out: Path
    frames_total: int
    frames_tagged: int
    frames_untagged: int
    frames_georeferenced: int
    frames_not_georeferenced: int
    detections: int
    findings: int
    products: dict[str, Path] = field(default_factory=dict)
    stages_reused: tuple[str, ...] = ()
    seconds_by_stage: dict[str, float] = field(default_factory=dict)
    frames_realigned: int = 0  # cameras corrected by image tie points (range per pass, passes onto each other, then each frame)
    max_realign_m: float = 0.0
    not_georeferenced_reasons: tuple[str, ...] = ()  # one per frame not georeferenced
    images_missing: int = 0  # tagged frames whose image file is not in the flight folder
    masks_missing: int = 0  # tagged frames whose class mask is not in the flight folder
    every_camera_behind: bool = False  # no frame georeferenced, each camera behind every plane surface
    level_without_gimbal: bool = False  # no frame georeferenced, the log had no gimbal and no mount was given
    extent_hints: tuple[str, ...] = ()  # a face's u_range_m mirrored, with the range to write (extent_hint.py)
    level_on_ground: str = ""  # most frames met the default ground plane nearly level: a facade without --surface
    default_ground: bool = False  # no surface given: the ground plane at the take-off altitude
    record_notes: tuple[str, ...] = ()  # what the flight record says about itself (its photos' clock)
    superseded: Path | None = None  # where the earlier findings' review and change files were moved

    def why_not_georeferenced(self) -> str:
        """The commonest reason frames were not georeferenced, and the fix when it is plain: every
        camera behind a plane surface (``every_camera_behind``, from the geometry) almost always means
        its normal points into the structure."""
        if not self.not_georeferenced_reasons:
            return ""
        shapes = [re.sub(r"-?\d+(?:\.\d+)?", "#", r) for r in self.not_georeferenced_reasons]  # numbers aside
        shape, n = Counter(shapes).most_common(1)[0]
        example = self.not_georeferenced_reasons[shapes.index(shape)]
        text = f"{n} of them: {example}" if n < len(self.not_georeferenced_reasons) else f"all: {example}"
        if self.every_camera_behind and self.default_ground:
            text += ("; every camera is below the take-off altitude, where the default ground plane lies (the flight "
                     "stayed below where it took off, or its heights sank): pass --surface with what the camera "
                     "looked at (a DEM GeoTIFF of the ground, or a plane or face JSON of the structure)")
        elif self.every_camera_behind:
            text += ("; every camera is behind the surface, so its normal points into the structure: it must "
                     "point out of the face, towards the drone (flip the sign of normal_enu in the surface file)")
        if self.level_without_gimbal:
            text += ("; the log has no gimbal attitude, so each camera was taken as level along the nose: a camera "
                     "fixed to the airframe needs its mount stated when the flight is recorded (`skyinspect onboard "
                     "... --mount-pitch-deg -90` for one looking straight down)")
        for hint in self.extent_hints:
            text += f"; {hint}"
        return text

    @property
    def gpkg_path(self) -> Path:
        return self.out / "findings.gpkg"

    @property
    def findings_geojson_path(self) -> Path:
        return self.out / "findings.geojson"

    @property
    def map_path(self) -> Path:
        return self.out / "map.html"

    @property
    def report_html_path(self) -> Path:
        return self.out / "report.html"

    @property
    def report_pdf_path(self) -> Path:
        return self.out / "report.pdf"


def process(flight: Path, out: Path, surface: Any = None, progress: bool = True,
            rerun: bool = False, fuse_params: FuseParams = FuseParams(), tie_params: TieParams = TieParams(),
            limits: MeasureLimits = MeasureLimits(), grading_profile: str | None = None,
            registry: Path | None = None, asset_id: str | None = None,
            rules_dir: Path | None = None) -> ProcessSummary:
    """Run every stage on the flight record ``flight``, writing products into ``out``.
    ``surface``: any skyinspect surface (PlaneSurface, FaceSurface, CylinderSurface, DemSurface,
    SurfaceSet) or None for the ground plane at the take-off altitude. ``grading_profile``: a profile
    of groundstation/grading/rules/profiles.yaml (None: its default); ``registry``: an asset registry
    GeoPackage (groundstation/registry) to assign findings to components, ``asset_id`` the asset in it;
    ``rules_dir`` a folder of grading rules + profiles.yaml replacing the shipped ones."""
    out = Path(out)
    stages_dir = out / "stages"
    timings: dict[str, float] = {}
    reused: list[str] = []
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 4)
        clock = now

    loaded = load_flight(Path(flight))  # before creating `out`: bad input must leave nothing behind
    here, record = out.resolve(), Path(flight).resolve()
    if here == record or record in here.parents:  # `onboard --overwrite` of the record would delete them
        raise InputError(describe(out, f"is inside the flight record {flight}; expected a folder of its own",
                                  "Give --out a folder outside the flight record (e.g. beside it)"))
    _read_dems(surface)  # a DEM file is read when first bound: a bad one left an empty results folder
    if registry is not None:  # before anything is written
        check_registry_site(registry, asset_id, loaded.origin.lat0_deg, loaded.origin.lon0_deg, Path(flight))
    lap("load")
    refuse_file_in_the_way(out, "a results folder (new, or one `skyinspect process` wrote)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RecordError(describe(out, f"cannot create output folder ({exc})")) from exc
    # whose findings the folder's review and change files name (read only when there are such files)
    findings_before = (stored_findings_identity(stages_dir / "findings.json")
                       if any((out / name).exists() for name in BY_FINDING_ID) else None)

    geo_fp = fingerprint("georeference", loaded.fingerprint, surface_inputs(surface),
                         georef_mod.DEFAULT_H_ACC_M, georef_mod.DEFAULT_V_ACC_M, georef_mod.MAX_INCIDENCE_DEG,
                         georef_mod.GIMBAL_SIGMA_DEG)
    geo, hit = run_stage(stages_dir / "detections.json", "georeference", geo_fp,
                         lambda: georeference(loaded, surface, progress), georeferenced_to_dict,
                         georeferenced_from_dict, rerun)
    reused += ["georeference"] if hit else []
    lap("georeference")

    # each pass's cameras corrected by image tie points (its range, then onto the other passes), georeferenced again
    raw_geo = geo
    align_fp = fingerprint("align", geo_fp, dataclasses.asdict(tie_params))
    geo, hit = run_stage(stages_dir / "aligned.json", "align", align_fp,
                         lambda: realign(loaded, geo, tie_params, progress=progress)[0], georeferenced_to_dict,
                         georeferenced_from_dict, rerun)
    reused += ["align"] if hit else []
    lap("align")
    moves = camera_moves_m(raw_geo, geo)
    basis = chart_for(geo.surface, loaded.origin)

    fuse_fp = fingerprint("fuse", align_fp, dataclasses.asdict(fuse_params))
    fused, hit = run_stage(stages_dir / "fused.json", "fuse", fuse_fp,
                           lambda: fuse(geo, loaded.origin, basis, fuse_params), _findings_to_json,
                           _findings_from_json, rerun)
    reused += ["fuse"] if hit else []
    lap("fuse")

    limits = limits.for_model(loaded.model_id)  # the repeatability of the model that drew the masks
    measure_fp = fingerprint("measure", fuse_fp, dataclasses.asdict(limits))
    findings, hit = run_stage(stages_dir / "findings.json", "measure", measure_fp,
                              lambda: measure(fused, geo.detections, basis, limits, loaded, geo.surface,
                                              {f.frame_index: f.footprint_ned_m for f in geo.frames
                                               if f.footprint_ned_m is not None}, progress=progress),
                              _findings_to_json, _findings_from_json, rerun)
    reused += ["measure"] if hit else []
    lap("measure")
    superseded = set_aside_stale(out, findings_before, findings_identity(findings))

    covered = round(covered_area_m2(PublishInput(loaded, geo, tuple(findings), basis)), 3)  # stable on reuse
    grade_fp = fingerprint("grade", measure_fp, covered, *grade_fingerprint_parts(grading_profile, registry, asset_id, rules_dir))
    graded, hit = run_stage(stages_dir / "grades.json", "grade", grade_fp,
                            lambda: run_grade(findings, covered, grading_profile, registry, asset_id, rules_dir,
                                              frozenset(f.finding_id for f in findings if joint_note(f, basis)),
                                              lambda reg, aid: covered_by_component_m2(
                                                  [f.footprint_ned_m for f in geo.frames if f.footprint_ned_m
                                                   is not None], basis, loaded.origin, reg, aid)),
                            grade_output_to_json, grade_output_from_json, rerun)
    reused += ["grade"] if hit else []
    lap("grade")

    notes = record_notes(loaded.meta, loaded.frames_total, Path(flight)) + takeoff_notes(loaded, surface is None)
    quality = alignment_notes(moves) + gnss_notes(loaded.frames, [f.ce90_m for f in findings])
    # the review app's decisions on these findings (kept when the findings are: set_aside_stale) apply
    products = _publish_atomically(with_review(PublishInput(loaded, geo, tuple(findings), basis, graded.grades,
                                                            graded.assignments, graded.asset_id, graded.profile,
                                                            quality + notes), out, rules_dir,
                                                 graded.rules, graded.profile_rules), out, progress=progress)
    lap("publish")
    summary = _summary(out, loaded, geo, findings, products, tuple(reused), timings)
    return dataclasses.replace(summary, frames_realigned=len(moves), max_realign_m=max(moves.values(), default=0.0),
                               superseded=superseded, default_ground=surface is None, record_notes=notes)


def _read_dems(surface: Any) -> None:
    """Read every DEM of ``surface`` (a set's members too) now, so that a missing or unreadable file is
    refused before the results folder is created."""
    if surface is None:
        return
    for member in getattr(surface, "surfaces", None) or ():
        _read_dems(member)
    if hasattr(surface, "load_grid"):
        surface.load_grid()


def surface_inputs(surface: Any) -> object:
    """What the georeference stage depends on in ``surface``: its description and, for each DEM, a hash
    of the heights read (its description holds only the path: a DSM written over the old file was
    reused from the stage files by every rerun). Called after ``_read_dems``."""
    if surface is None:
        return None
    digests = _dem_digests(surface)
    return [surface.to_dict(), digests] if digests else surface.to_dict()


def _dem_digests(surface: Any) -> list[str]:
    members = getattr(surface, "surfaces", None)
    if members:
        return [d for m in members for d in _dem_digests(m)]
    grid = getattr(surface, "grid", None)
    if grid is None:
        return []
    h = hashlib.sha256(np.ascontiguousarray(grid.z).tobytes())
    h.update(repr((grid.z.shape, grid.transform, grid.crs_wkt)).encode())
    return [h.hexdigest()]


def camera_moves_m(before: Georeferenced, after: Georeferenced) -> dict[int, float]:
    """frame index → how far the align stage moved its camera (only frames that moved > 1 mm)."""
    import numpy as np

    was = {f.frame_index: np.asarray(f.camera_ned_m) for f in before.frames}
    out = {}
    for f in after.frames:
        a, b = was.get(f.frame_index), np.asarray(f.camera_ned_m)
        if a is not None and np.isfinite(a).all() and np.isfinite(b).all():
            d = float(np.linalg.norm(b - a))
            if d > 1e-3:
                out[f.frame_index] = d
    return out


def record_notes(meta: dict[str, str], frames_total: int = 0, folder: Path | None = None) -> tuple[str, ...]:
    """The flight record's own caveats for the report and the command line: the onboard run that wrote
    it did not finish (meta ``ended``: killed, crashed or out of power, so frames it had not reached are
    missing, which read as a whole flight of fewer frames) or, when ``folder``'s writer still holds it, is
    still recording, and photos timed by the camera's local clock (meta ``dji_photo_time``: every time in it
    off by the camera's UTC offset, under 'Date (UTC)')."""
    from skyinspect.record.writer import being_written

    notes = []
    ended, photo_time = _meta_json(meta, "ended"), _meta_json(meta, "dji_photo_time")
    how = str(ended.get("how", "")) if isinstance(ended, dict) else ""
    if how.startswith("did not finish") and folder is not None and being_written(folder):
        notes.append(f"The onboard run writing this record was still recording when it was processed (the record "
                     f"is still being written): it held {frames_total} frames then; process it again once the "
                     "flight has ended.")
    elif how.startswith(("did not finish", "failed")):
        notes.append(f"The onboard run that wrote this record {how.split(':')[0]}: it holds {frames_total} frames, "
                     "and any it had not reached are missing from this inspection.")
    if isinstance(photo_time, dict) and photo_time.get("note"):
        notes.append(f"Frame times: {photo_time['note']}.")
    return tuple(notes)


def _meta_json(meta: dict[str, str], key: str) -> object:
    try:
        return json.loads(meta.get(key, "null") or "null")
    except ValueError:
        return None


def alignment_notes(moves: dict[int, float]) -> tuple[str, ...]:
    """The report's data-quality lines about the align stage."""
    if not moves:
        return ()
    return (f"{len(moves)} frames' camera positions were corrected by image tie points (by "
            f"{min(moves.values()):.2f}-{max(moves.values()):.2f} m): each pass's GNSS error along the surface's "
            "normal (its range) from its own overlapping frames, and the passes' differences in the surface's plane. "
            "The flight keeps its reference pass's absolute error in the plane (CE90).",)


def _findings_to_json(findings: list[Finding]) -> list[dict[str, object]]:
    return [finding_to_dict(f) for f in findings]


def _findings_from_json(data: list[dict[str, object]]) -> list[Finding]:
    return [finding_from_dict(x) for x in data]


def _publish_atomically(inp: PublishInput, out: Path, progress: bool = False) -> dict[str, Path]:
    _remove_dead_staging(out)
    staging = out / f".staging-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        written = publish(inp, staging, progress)
        final = {}
        for name, path in written.items():
            os.replace(path, out / name)  # same filesystem: each move is atomic
            final[name] = out / name
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove_dead_staging(out: Path) -> None:
    """Remove the staging folders of runs that were killed while publishing (``finally`` never ran): each
    stayed in the results folder, hidden, with whatever products it held. A folder named by a process
    still running is another run's and is kept; one named before the pid was in the name is stale."""
    def pid_of(folder: Path) -> int | None:  # .staging-<pid>-<hex>
        parts = folder.name.split("-")
        return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None

    remove_dead(out.glob(".staging-*"), pid_of)


def _summary(out: Path, loaded: LoadedFlight, geo: Georeferenced, findings: list[Finding],
             products: dict[str, Path], reused: tuple[str, ...], timings: dict[str, float]) -> ProcessSummary:
    from groundstation.extent_hint import level_on_default_ground, mirrored_extent_hints

    ok = sum(1 for f in geo.frames if f.is_georeferenced)
    why = tuple(f.status.removeprefix("not georeferenced: ") for f in geo.frames if not f.is_georeferenced)
    return ProcessSummary(out, loaded.frames_total, loaded.frames_tagged, len(loaded.untagged), ok,
                          len(geo.frames) - ok, len(geo.detections), len(findings), products, reused, timings,
                          not_georeferenced_reasons=why, images_missing=loaded.images_missing,
                          masks_missing=loaded.masks_missing,
                          every_camera_behind=ok == 0 and _every_camera_behind(geo, loaded.origin),
                          level_without_gimbal=ok == 0 and _level_without_gimbal(loaded.meta),
                          extent_hints=mirrored_extent_hints(loaded, geo),
                          level_on_ground=level_on_default_ground(geo, loaded.origin))


def _level_without_gimbal(meta: dict[str, str]) -> bool:
    """True when the record says its log had no gimbal attitude and no fixed mount was stated, so every
    camera was tagged with the default level, forward-looking gimbal."""
    telemetry = _meta_json(meta, "telemetry_time")
    return isinstance(telemetry, dict) and "gimbal_source" in telemetry and telemetry["gimbal_source"] is None \
        and "camera_mount" not in meta


def _every_camera_behind(geo: Georeferenced, origin: Any) -> bool:
    """True when the flight has cameras and each lies on the back of every plane of the surface."""
    from skyinspect.surfaces.base import BoundPlane

    planes = [m for m in geo.surface.bind(origin).surfaces() if isinstance(m, BoundPlane)]
    cams = np.array([f.camera_ned_m for f in geo.frames if np.all(np.isfinite(f.camera_ned_m))]).reshape(-1, 3)
    return bool(planes) and len(cams) > 0 and all(
        bool(np.all((cams - p.chart_.origin_ned_m) @ p.chart_.n_ned <= 0)) for p in planes)
