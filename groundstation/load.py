"""Stage 1, load: read a flight record into memory; skip untagged frames but count them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from skyinspect.camera import CameraModel
from skyinspect.drift import FrameStats, check_drift
from skyinspect.errors import InputError, describe
from skyinspect.geodesy import LocalFrame
from skyinspect.record import FlightRecordReader, FrameRecord


@dataclass(frozen=True, eq=False)
class LoadedFlight:
    """The tagged frames of one flight and what was left out."""

    folder: Path
    camera: CameraModel
    model_id: str
    meta: dict[str, str]
    frames: tuple[FrameRecord, ...]  # tagged frames only, in frame order
    frames_total: int
    untagged: tuple[tuple[int, str], ...]  # (frame_index, pose status) of every skipped frame
    origin: LocalFrame  # local NED frame for all arithmetic
    home_alt_msl_m: float  # alt_msl - alt_rel of the first tagged frame (take-off altitude)
    fingerprint: str  # sha256 over everything later stages depend on
    drift: dict[str, object] | None = None  # skyinspect.drift.DriftReport.as_dict(); None: not checkable
    images_missing: int = 0  # tagged frames whose recorded image file is not in the folder, or is cut short
    masks_missing: int = 0  # tagged frames whose recorded class mask is not in the folder
    # meta geoid_separation: N = ellipsoidal - MSL height (m) as the flight's receiver gave it, with
    # its spread, sample count and source; None when the flight did not say (publish/gis.py)
    geoid_separation: dict[str, object] | None = None

    @property
    def frames_tagged(self) -> int:
        return len(self.frames)


def load_flight(folder: Path) -> LoadedFlight:
    """Read ``folder`` (a flight record). Raises InputError when no frame is tagged."""
    folder = Path(folder)
    with FlightRecordReader(folder) as reader:
        camera = reader.camera
        meta = dict(reader.meta)
        all_frames = list(reader.frames())
        stats = reader.frame_stats()
    tagged = tuple(f for f in all_frames if f.pose.is_tagged)
    # A record copied without its images/ or masks/ (the database alone): the detections still
    # georeference, but widths, pictures and tie points need the files. Missing ones are treated as
    # never saved (the later stages know that case) and counted, so that process says it once.
    images = {f.frame_index: _whole_image(f.image_path) for f in tagged}
    missing = sum(1 for f in tagged if f.image_path is not None and images[f.frame_index] is None)
    masks = {f.frame_index: _present(f.mask_path) for f in tagged}
    masks_missing = sum(1 for f in tagged if f.mask_path is not None and masks[f.frame_index] is None)
    tagged = tuple(dataclasses.replace(f, image_path=images[f.frame_index], mask_path=masks[f.frame_index])
                   for f in tagged)
    untagged = tuple((f.frame_index, f.pose.status) for f in all_frames if not f.pose.is_tagged)
    if not tagged:
        raise InputError(describe(folder, f"none of its {len(all_frames)} frames has a pose (expected at "
                                          "least one tagged frame)",
                                  "Re-tag the frames from the telemetry log before processing"))
    first = tagged[0].pose
    origin = _meta_origin(meta, folder) or LocalFrame(first.lat_deg, first.lon_deg, first.alt_msl_m)
    home = first.alt_msl_m - first.alt_rel_m if math.isfinite(first.alt_rel_m) else first.alt_msl_m
    return LoadedFlight(folder, camera, meta.get("model_id", ""), meta, tagged, len(all_frames), untagged,
                        origin, home, _fingerprint(camera, tagged, origin), _drift(meta, stats), missing,
                        masks_missing, _meta_geoid_separation(meta, folder))


def _present(path: Path | None) -> Path | None:
    return path if path is not None and Path(path).is_file() else None


def _whole_image(path: Path | None) -> Path | None:
    """``path`` when its file is there and, for a JPEG, not cut short (a record copied while it was
    being written: OpenCV reads the missing part grey, and widths, crops and tie points used it)."""
    from skyinspect.jpeg import EOI, JPEG_SUFFIXES, jpeg_cut_short

    if _present(path) is None:
        return None
    if Path(path).suffix.lower() not in JPEG_SUFFIXES:  # type: ignore[arg-type]
        return path
    try:
        with open(path, "rb") as fh:  # type: ignore[arg-type]
            if fh.seek(0, 2) >= 2 and fh.seek(-2, 2) and fh.read(2) == EOI:
                return path  # ends on its end-of-image marker: whole (the record's own JPEGs always do)
            fh.seek(0)
            return None if jpeg_cut_short(fh.read()) else path
    except OSError:
        return None


def _drift(meta: dict[str, str], stats: dict[int, FrameStats]) -> dict[str, object] | None:
    """The flight's input-drift verdict against its model's training reference: recomputed from the
    per-frame statistics when the model's reference is installed, else the one stored onboard."""
    from models.runtime import load_drift_reference  # torch-free; the reference ships with the model

    reference = load_drift_reference(meta.get("model_id", ""))
    if reference is not None and stats:
        return check_drift(stats.values(), reference).as_dict()
    stored = meta.get("input_drift")
    try:
        return json.loads(stored) if stored else None
    except ValueError:
        return None


def _meta_origin(meta: dict[str, str], folder: Path) -> LocalFrame | None:
    """The record's ``origin`` meta entry: {"lat_deg", "lon_deg", "alt_msl_m"} or [lat, lon, alt]."""
    if "origin" not in meta:
        return None
    try:
        data = json.loads(meta["origin"])
        if isinstance(data, dict):
            return LocalFrame(float(data["lat_deg"]), float(data["lon_deg"]), float(data.get("alt_msl_m", 0.0)))
        lat, lon, *alt = (float(v) for v in data)
        return LocalFrame(lat, lon, alt[0] if alt else 0.0)
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(describe(folder, f"meta 'origin' is {meta['origin']!r}; expected "
                                          '{"lat_deg": .., "lon_deg": .., "alt_msl_m": ..}',
                                  "Fix or delete the origin entry in the record's meta table")) from exc


def _meta_geoid_separation(meta: dict[str, str], folder: Path) -> dict[str, object] | None:
    """The record's ``geoid_separation`` meta entry ({"n_m": N, ...}, N in metres), checked: it
    turns every GeoJSON height from MSL to ellipsoidal, so a wrong one is refused, not used."""
    if "geoid_separation" not in meta:
        return None
    try:
        data = json.loads(meta["geoid_separation"])
        n = float(data["n_m"])
        if not -120.0 <= n <= 100.0:
            raise ValueError(n)
        return {**data, "n_m": n}
    except (ValueError, TypeError, KeyError) as exc:
        raise InputError(describe(folder / "record.sqlite", f"meta 'geoid_separation' is "
                                  f"{meta['geoid_separation']!r}; expected {{\"n_m\": N, ...}} with the geoid "
                                  "separation N in metres between -120 and 100 (the geoid lies within -107 to +86 m)",
                                  "Fix or delete the geoid_separation entry in the record's meta table")) from exc


def _fingerprint(camera: CameraModel, frames: tuple[FrameRecord, ...], origin: LocalFrame) -> str:
    """A content hash of the inputs of every stage (not file times: copies stay reusable)."""
    h = hashlib.sha256(json.dumps(camera.to_dict(), sort_keys=True).encode())
    h.update(repr((origin.lat0_deg, origin.lon0_deg, origin.h0_m)).encode())
    for f in frames:
        h.update(repr((f.frame_index, f.capture_time_utc_s, sorted(vars(f.pose).items()))).encode())
        # which files are there: stages computed while images/ or masks/ were missing (no widths, no tie
        # points, lengths from outlines) were reused as they were after the files had been copied back
        h.update(repr((f.image_path is not None, f.mask_path is not None)).encode())
        for inst in f.instances:
            h.update(repr((inst.class_id, inst.score)).encode())
            h.update(inst.polygon_px.tobytes())
            if inst.skeleton_px is not None:
                h.update(inst.skeleton_px.tobytes())
    return h.hexdigest()
