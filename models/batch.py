"""Segment a folder (or list) of inspection photos: what `skyinspect segment` runs.

Per image it writes, at the image's own resolution: ``<stem>_mask.png`` (class ids: 0 background,
1 crack, 2 corrosion), ``<stem>_overlay.jpg`` (defects tinted on the photo) and ``<stem>.json``
(the instances: class, score, area, polygon and crack skeleton in pixels, the segmenter's settings,
and ``no_data_px``: the photo's transparent pixels, where nothing is found, ``models/no_data.py``);
the CLI then writes ``summary.csv`` / ``summary.html`` over the photos
(``models/photo_summary.py``). A georeferenced GeoTIFF also gets ``<stem>_mask.tif`` and ``<stem>.geojson``
in map coordinates (``models/geo_outputs.py``). Evaluation uses the same ``Segmenter.segment`` path.

A folder of drone photos takes hours post-flight (~70 s a 4000x2250 photo with the default passes on 2 cores), so a run is
resumable: each output is written whole (a ``.part`` file renamed), the JSON last, and a photo whose
JSON records the same photo (by the sha256 of its bytes, wherever it is read from), model and
settings is not segmented again. Outputs are named by stem, so two photos of one name (DJI cameras
restart their numbering) are refused, not written over (``models/photo_inputs.py``: which files are photos).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import tempfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from models.geo_outputs import geo_outputs_missing, write_geo_outputs
from models.no_data import has_transparency, transparent_pixels, without_no_data
from models.photo_checks import check_images, check_overlay_sizes
from models.work_plan import PhotoProgress
from skyinspect import atomic
from skyinspect.drift import FrameStats, frame_stats, stats_from_row
from skyinspect.errors import ImageError, InputError, describe
from skyinspect.photo import cv_imread, read_bgr, read_file_bytes
from skyinspect.segmentation import CLASS_NAMES, CORROSION, CRACK, Segmentation, Segmenter, segment_each, settings_of

_TINT_BGR = {CRACK: (0, 0, 255), CORROSION: (0, 200, 255)}


@dataclass(frozen=True)
class SegmentedImage:
    source: Path
    instances: int
    pixels_by_class: dict[str, int]
    skipped: bool = False  # segmented by an earlier run with the same model and settings
    # the drift check's statistics (None: a record kept from before them); NaN in them: not compared
    frame_stats: FrameStats | None = field(default=None, compare=False)


def overlay(image_bgr: np.ndarray, seg: Segmentation, alpha: float = 0.5) -> np.ndarray:
    out = image_bgr.copy()
    for class_id, colour in _TINT_BGR.items():
        mask = seg.class_map == class_id
        out[mask] = (out[mask] * (1 - alpha) + np.array(colour) * alpha).astype(np.uint8)
    return out


def instances_json(seg: Segmentation, source: Path, flips: int = 1, settings: dict[str, object] | None = None,
                   source_sha256: str | None = None) -> dict[str, object]:
    """The record of one photo's instances; ``source_sha256``: that of the bytes segmented (default: the file's now)."""
    # absolute: a path as typed ('photos/a.jpg') was read against a later run's working folder
    return {"source": str(Path(source).absolute()), "source_sha256": source_sha256 or photo_sha256(source), "model_id": seg.model_id,
            "flips": flips,
            "settings": settings or {},
            "height_px": seg.shape[0], "width_px": seg.shape[1],
            "instances": [{"class": CLASS_NAMES[i.class_id], "score": round(float(i.score), 4),
                           "area_px": float(i.area_px), "polygon_px": np.round(i.polygon_px, 1).tolist(),
                           "skeleton_px": None if i.skeleton_px is None else np.round(i.skeleton_px, 1).tolist()}
                          for i in seg.instances]}


def photo_sha256(path: Path) -> str:
    """The photo's identity: the sha256 of its bytes (a card mounted elsewhere is the same photo,
    another card's DJI_0001.JPG is not). Cached by path, size and modification time."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _SHA_CACHE[key] = digest.hexdigest()
    return _SHA_CACHE[key]


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def _earlier_record(path: Path, out: Path) -> dict[str, object] | None:
    """The JSON ``out`` holds for this photo's name from an earlier run (None: none, or torn)."""
    try:
        data = json.loads((out / f"{path.stem}.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _same_photo(record: dict[str, object], path: Path) -> bool:
    if "source_sha256" in record:
        return record["source_sha256"] == photo_sha256(path)
    return Path(str(record.get("source"))).resolve() == path.resolve()  # written before session 16


def already_segmented(path: Path, out: Path, settings: dict[str, object]) -> dict[str, object] | None:
    """The JSON record ``out`` holds for this photo when its three outputs are there from a segmenter
    with these settings (the JSON, written last, says so), else None: a rerun after an interruption
    picks up where it stopped."""
    if not ((out / f"{path.stem}_mask.png").is_file() and (out / f"{path.stem}_overlay.jpg").is_file()):
        return None
    record = _earlier_record(path, out)
    if record is None or record.get("settings") != settings or not _same_photo(record, path):
        return None
    if geo_outputs_missing(record, path, out):  # a GeoTIFF's (models/geo_outputs.py)
        return None
    # a record without no_data_px is from before transparent pixels were no data (models/no_data.py)
    return record if "no_data_px" in record or not has_transparency(path) else None


def refuse_overwriting(images: list[Path], out: Path) -> None:
    """Refuse, before anything is written, to replace the results of *another* photo of the same
    name that ``out`` holds from an earlier run (another card's DJI_0001.JPG; by content, so the
    same photo read from another folder is not refused), and to write into a folder the photos come
    from (its masks and overlays would be taken for photos the next time)."""
    if Path(out).exists() and not Path(out).is_dir():  # mkdir would raise FileExistsError: a traceback
        raise InputError(describe(out, "is a file; expected a folder for the masks, overlays and JSON",
                                  "give --out a new folder (or an earlier run's)"))
    if any(p.parent.resolve() == Path(out).resolve() for p in images):
        raise InputError(describe(out, "holds the photos being segmented", "give --out a folder of its own"))
    name_max = _name_max(Path(out))
    for path in images:  # else a traceback after the photo's mask was written, its overlay not
        longest = len(os.fsencode(f"{path.stem}{_LONGEST_OUTPUT}"))
        if longest > name_max:
            raise InputError(describe(path, f"name is too long for its outputs: {path.stem}{_LONGEST_OUTPUT} "
                                            f"would be {longest} bytes, the file system allows {name_max}",
                                      f"rename the photo (a name of at most {name_max - len(_LONGEST_OUTPUT)} "
                                      "bytes before its suffix)"))
    for path in images:
        record = _earlier_record(path, out)  # an unreadable one: a torn earlier output, replaced
        if record is not None and record.get("source") is not None and not _same_photo(record, path):
            if Path(str(record["source"])).resolve() == path.resolve():  # edited, or another card mounted there
                stem = path.stem
                raise InputError(describe(path, f"{out} holds the results of this photo as it was before it "
                                                "changed (edited since, or another card where this one was)",
                                          f"delete {stem}.json, {stem}_mask.png and {stem}_overlay.jpg in {out} "
                                          "to segment it again there, or segment into another --out folder"))
            raise InputError(describe(path, f"{out} holds the results of another photo of this name "
                                            f"({record.get('source')})", "segment into another --out folder"))


def check_writable(out: Path, fix: str = "give --out a folder you can write") -> None:
    """Refuse an ``out`` where no file can be created (a read-only card or mount, another user's folder),
    before any photo is decoded or segmented: found only when the first photo's mask was written, after
    every photo was decoded and the first segmented (~70 s a 9-MPx photo with segment's passes). Probed
    with a temporary file in ``out``, or in its nearest existing parent when it is not there yet (it is
    made later); the probe leaves nothing behind. An ``out`` that is a file is refused by name in
    ``refuse_overwriting``."""
    out = Path(out)
    folder = next((p for p in (out, *out.absolute().parents) if p.is_dir()), None)
    if folder is None or out.exists() and not out.is_dir():
        return
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        where = "in it" if folder == out else f"in {folder}"
        raise InputError(describe(out, f"no file can be created {where} ({exc.strerror or exc})", fix)) from exc


_LONGEST_OUTPUT = "_overlay.jpg.part"  # the longest name written for a photo: its stem and this


def _name_max(out: Path) -> int:
    """The longest file name the file system of ``out`` (or of its nearest existing parent) takes."""
    folder = next((p for p in (out, *out.absolute().parents) if p.is_dir()), Path("."))
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # not on this system (Windows): the common limit
        return 255


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all, through ``<name>.part`` (``_LONGEST_OUTPUT``; a kill mid-write
    leaves that, never a torn output; the disk full or Ctrl-C, nothing)."""
    atomic.write_atomic(path, data, tmp_name=path.name + ".part")


def write_output(path: Path, data: bytes) -> None:
    """``write_atomic`` for segment's outputs: a write-protected folder or the disk full mid-run is said
    (a traceback before), and a rerun redoes the photo (its JSON, written last, is not there)."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise InputError(describe(path, f"cannot be written ({exc.strerror or exc})",
                                  "free space on its disk or give --out a folder you can write; a rerun "
                                  "picks up where this one stopped")) from exc


def _encoded(ext: str, image: np.ndarray, params: list[int] | None = None) -> bytes:
    ok, buf = cv2.imencode(ext, image, params or [])
    if not ok:
        raise ImageError(describe(ext, "OpenCV could not encode the output"))
    return buf.tobytes()


def done_before(images: list[Path], out: Path, settings: dict[str, object], rerun: bool = False
                ) -> dict[Path, dict[str, object]]:
    """The photos ``out`` holds from a segmenter with these ``settings`` (``already_segmented``), with their
    records; none with ``rerun``. Worked out before the photos are checked, so that a rerun decodes only
    those it segments (it decoded every photo up front, minutes for a card, those it kept among them)."""
    if rerun:
        return {}
    kept = {}
    for path in images:
        try:
            record = already_segmented(path, out, settings)
        except OSError:  # gone or unreadable since its outputs were written: check_images names it
            record = None
        if record is not None:
            kept[path] = record
    return kept


def segment_images(images: list[Path], out: Path, segmenter: Segmenter, checked: bool = False,
                   on_done: Callable[[SegmentedImage], None] | None = None,
                   rerun: bool = False, on_progress: Callable[[float], None] | None = None,
                   kept: dict[Path, dict[str, object]] | None = None) -> list[SegmentedImage]:
    """Segment every image into ``out`` (unless ``checked``, the caller has run :func:`check_writable`,
    :func:`check_images`, :func:`check_overlay_sizes` on those it segments and :func:`refuse_overwriting` on them
    all), with the segmenter's parallel workers where it has them; ``on_done`` after each image (progress). A photo
    whose outputs ``out`` already holds from the same model and settings is skipped unless ``rerun`` (its result is
    read back from its JSON and mask; ``kept``: those photos as :func:`done_before` gave them, worked out by the
    caller); each output file is written whole. ``on_progress(photos done)`` as the work
    goes on, within a photo too (a float up to ``len(images)``: a photo's share is the model input pixels
    passed over those planned, models.work_plan), from the segmenter's threads, where it can say so
    (``watch_progress``), else per photo."""
    settings = settings_of(segmenter)
    earlier = kept if kept is not None else done_before(images, out, settings, rerun)
    todo = [p for p in images if p not in earlier]
    if not checked:
        check_writable(out)
        check_overlay_sizes(todo, check_images(todo))
        refuse_overwriting(images, out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a parent that is a file, no permission
        raise InputError(describe(out, f"cannot create the output folder ({exc.strerror or exc})",
                                  "give --out a folder you can write")) from exc
    done: list[SegmentedImage] = []
    progress = PhotoProgress(on_progress or (lambda _photos: None), len(images))
    for path, record in earlier.items():  # done before: count it from its outputs
        mask = cv_imread(out / f"{path.stem}_mask.png", cv2.IMREAD_UNCHANGED)
        n = len(record.get("instances", []))  # type: ignore[arg-type]
        done.append(SegmentedImage(path, n, _pixels_by_class(mask), skipped=True,
                                   frame_stats=_kept_stats(record.get("frame_stats"))))
        if on_done is not None:
            on_done(done[-1])
        progress.photo_done()
    # decoded once, for the model and then the overlay, in order, with where the photo is transparent and
    # the sha256 of its bytes: the file read once, and all three taken from those bytes, so that the record
    # names the photo segmented, were the file replaced or removed meanwhile (a card synced or pulled mid-run)
    loaded: deque[tuple[np.ndarray, np.ndarray | None, str]] = deque()

    def load(path: Path) -> np.ndarray:
        data = read_file_bytes(path)  # gone since it was checked: refused by name, saying why
        image = read_bgr(path, data=data)
        loaded.append((image, transparent_pixels(path, image.shape, data), hashlib.sha256(data).hexdigest()))
        return image

    watch = getattr(segmenter, "watch_progress", None) if on_progress is not None else None
    # closed on the way out of an error or Ctrl-C here, so that the photos in flight stop at once
    with contextlib.closing(segment_each(segmenter, todo, load)) as results, contextlib.ExitStack() as stack:
        if watch is not None:
            watch(progress.frame_progress)
            stack.callback(watch, None)
        for path, seg in results:
            image, transparent, sha256 = loaded.popleft()
            if isinstance(seg, Exception):
                raise seg
            if transparent is not None:  # an orthophoto tile's no data (models/no_data.py)
                seg = without_no_data(seg, transparent, getattr(segmenter, "min_area", None))
            stem = path.stem
            write_output(out / f"{stem}_mask.png", _encoded(".png", seg.class_map))
            write_output(out / f"{stem}_overlay.jpg", _encoded(".jpg", overlay(image, seg),
                                                              [cv2.IMWRITE_JPEG_QUALITY, 90]))
            record = instances_json(seg, path, getattr(segmenter, "flips", 1), settings, sha256)
            record["no_data_px"] = 0 if transparent is None else int(np.count_nonzero(transparent))
            # the drift check's statistics, as onboard records them per frame (an ortho's collar left out):
            # the folder is checked after
            stats = frame_stats(image, seg.confidence, transparent)
            record["frame_stats"] = {k: (v if math.isfinite(v) else None) for k, v in stats.as_dict().items()}
            # a GeoTIFF's: in map coordinates too, its no data marked as such
            georeference = write_geo_outputs(out, seg, path, write_output, transparent)
            if georeference is not None:
                record["georeference"] = georeference
            write_output(out / f"{stem}.json", json.dumps(record).encode())  # last: marks the photo done
            done.append(SegmentedImage(path, len(seg.instances), _pixels_by_class(seg.class_map),
                                       frame_stats=stats))
            if on_done is not None:
                on_done(done[-1])
            progress.photo_done(image)
    return done


def _kept_stats(values: object) -> FrameStats | None:
    """A kept record's ``frame_stats`` (null: NaN); None where it holds none (written before them) or not numbers."""
    if not isinstance(values, dict):
        return None
    try:
        return stats_from_row(values)
    except (TypeError, ValueError):  # edited by hand
        return None


def _pixels_by_class(class_map: np.ndarray) -> dict[str, int]:
    counts = np.bincount(class_map.ravel(), minlength=len(CLASS_NAMES))
    return {name: int(counts[i]) for i, name in enumerate(CLASS_NAMES)}
