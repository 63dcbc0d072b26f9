"""Schema of the flight record, shared by the writer and the reader.

A flight record is a folder::

    FLIGHT/
      record.sqlite        SQLite in WAL mode: tables meta, frames, instances
      images/000123.jpg    the frame as captured (written atomically: tmp + fsync + rename)
      masks/000123.tif     the class-id mask (0 background, 1 crack, 2 corrosion), optional: 8-bit grey,
                           TIFF with PackBits (older records: PNG; the row's mask_file names it)

Table ``frame_stats`` (added within format version 1; absent in older records, which read as
"no statistics") holds each frame's input statistics for the drift check (skyinspect/drift.py).

A frame counts as recorded once its row in ``frames`` is committed; its files are written and
synced before that transaction, so a crash leaves at worst an orphan file, never a row without
its image. See docs/flight-record.md for the full description.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skyinspect.pose import GimbalFrame, Pose
from skyinspect.segmentation import Instance

FORMAT_NAME = "skyinspect-flight-record"
FORMAT_VERSION = 1
DB_NAME = "record.sqlite"
IMAGES_DIR = "images"
MASKS_DIR = "masks"

POSE_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Pose))

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS frames (
    frame_index INTEGER PRIMARY KEY,
    capture_time_utc_s REAL NOT NULL,
    image_file TEXT,
    mask_file TEXT,
    width_px INTEGER NOT NULL,
    height_px INTEGER NOT NULL,
    model_id TEXT,
    written_utc_s REAL NOT NULL,
    {", ".join(f"pose_{name} {'TEXT' if name in ('gimbal_frame', 'source', 'status') else 'REAL'}"
               for name in POSE_FIELDS)}
);
CREATE TABLE IF NOT EXISTS instances (
    frame_index INTEGER NOT NULL REFERENCES frames(frame_index),
    instance_index INTEGER NOT NULL,
    class_id INTEGER NOT NULL,
    score REAL NOT NULL,
    area_px REAL NOT NULL,
    polygon_px TEXT NOT NULL,
    skeleton_px TEXT,
    PRIMARY KEY (frame_index, instance_index)
);
CREATE TABLE IF NOT EXISTS frame_stats (
    frame_index INTEGER PRIMARY KEY REFERENCES frames(frame_index),
    brightness REAL, contrast REAL, sharpness REAL, mean_confidence REAL
);
"""


@dataclass(frozen=True, eq=False)
class FrameRecord:
    """One recorded frame: metadata, pose and detections as stored (image loaded on demand)."""

    frame_index: int
    capture_time_utc_s: float
    width_px: int
    height_px: int
    pose: Pose
    instances: tuple[Instance, ...]
    image_path: Path | None
    mask_path: Path | None
    model_id: str | None


def pose_to_row(pose: Pose) -> list[object]:
    row: list[object] = []
    for name in POSE_FIELDS:
        value = getattr(pose, name)
        if isinstance(value, GimbalFrame):
            value = value.value
        elif isinstance(value, float) and not math.isfinite(value):
            value = None  # SQLite has no NaN
        row.append(value)
    return row


def pose_from_row(values: dict[str, object]) -> Pose:
    kwargs: dict[str, object] = {}
    for f in dataclasses.fields(Pose):
        value = values[f"pose_{f.name}"]
        if f.name == "gimbal_frame":
            value = GimbalFrame(value)
        elif f.name == "fix_type":
            value = int(value) if value is not None else 0
        elif f.name in ("source", "status"):
            value = str(value)
        else:
            value = float("nan") if value is None else float(value)  # type: ignore[arg-type]
        kwargs[f.name] = value
    return Pose(**kwargs)  # type: ignore[arg-type]


def points_to_json(points: np.ndarray | None) -> str | None:
    """``[[x,y],...]`` rounded to 0.01 px, as ``json.dumps`` writes it (floats by repr). Whole-pixel
    points (a skeleton's) are written as ``%d.0`` and half-pixel ones (an outline on the pixels' edges,
    models.postprocess._edge_midpoints) as ``%.1f``, the same text: repr per float was half of this
    step's CPU on the onboard recording thread."""
    if points is None:
        return None
    xy = np.round(np.asarray(points, dtype=np.float64), 2)
    if xy.ndim == 2 and xy.shape[1:] == (2,) and len(xy) and bool(np.all(np.abs(xy) < 1e15)):  # NaN, inf fail
        # repr writes a multiple of 0.5 below 1e16 as its digits and ".0" or ".5", as %.1f does
        whole = xy.astype(np.int64)
        # %d.0 is the quicker; -0.0 keeps its sign in repr and %.1f, not in %d
        if np.array_equal(whole, xy) and not np.signbit(xy[whole == 0]).any():
            return "[" + ("[%d.0,%d.0]," * len(xy))[:-1] % tuple(whole.ravel().tolist()) + "]"
        if np.array_equal(np.round(xy * 2.0), xy * 2.0):
            return "[" + ("[%.1f,%.1f]," * len(xy))[:-1] % tuple(xy.ravel().tolist()) + "]"
    return json.dumps(xy.tolist(), separators=(",", ":"))


def points_from_json(text: str | None) -> np.ndarray | None:
    if text is None:
        return None
    return np.asarray(json.loads(text), dtype=np.float64).reshape(-1, 2)
