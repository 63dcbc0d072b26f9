"""findings.gpkg: each frame's capture time as a GeoPackage DATETIME, to the millisecond.

The frames layer wrote ``capture_time_utc`` as TEXT "2025-06-02T09:30:05+00:00": whole seconds, so the
demo's 55 frames (2.5 a second) had 24 distinct times and QGIS could not tell which of three frames
came first; and TEXT, not the GeoPackage DATETIME ("YYYY-MM-DDTHH:MM:SS.SSSZ", OGC 12-128 table
"GeoPackage Data Types"), so QGIS read it as a string (no temporal controller, no date filter)."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyogrio
from gs_fixtures import FLY_HEIGHT_M, crack_on_face, face_surface, instance_for, pose_at, write_record

from groundstation.pipeline import process

T0_S = 1.7e9
STEP_S = 0.4  # 2.5 frames a second, as the demo flies


def test_frame_capture_times_are_geopackage_datetimes_to_the_millisecond(tmp_path: Path) -> None:
    crack = crack_on_face(0.2, FLY_HEIGHT_M)
    frames = []
    for k in range(6):
        pose = pose_at(np.array([k * 0.1, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0, t=T0_S + k * STEP_S)
        frames.append((pose, [instance_for(pose, crack)]))
    out = tmp_path / "out"
    process(write_record(tmp_path / "flight", frames), out, face_surface(), progress=False)

    gpkg = out / "findings.gpkg"
    with sqlite3.connect(gpkg) as con:
        types = {row[1]: row[2] for row in con.execute('PRAGMA table_info("frames")')}
        stored = [r[0] for r in con.execute('SELECT capture_time_utc FROM frames ORDER BY frame_index')]
    assert types["capture_time_utc"] == "DATETIME"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s) for s in stored), stored
    want = [datetime.fromtimestamp(T0_S + k * STEP_S, tz=timezone.utc) for k in range(6)]
    got = [datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc) for s in stored]
    assert len(set(got)) == 6
    assert max(abs((g - w).total_seconds()) for g, w in zip(got, want)) < 1e-3
    df = pyogrio.read_dataframe(gpkg, layer="frames")  # GDAL (QGIS) reads a date-time, not text
    assert str(df["capture_time_utc"].dtype).startswith("datetime64")


def test_the_face_view_frames_carry_the_same_capture_times(tmp_path: Path) -> None:
    """face_frames, the footprints an engineer sees on a vertical face, had no capture time at all."""
    frames = []
    for k in range(4):
        pose = pose_at(np.array([k * 0.1, 0.0, -FLY_HEIGHT_M]), 90.0, 0.0, t=T0_S + k * STEP_S)
        frames.append((pose, []))
    out = tmp_path / "out"
    process(write_record(tmp_path / "flight", frames), out, face_surface(), progress=False)
    with sqlite3.connect(out / "findings.gpkg") as con:
        types = {row[1]: row[2] for row in con.execute('PRAGMA table_info("face_frames")')}
        face = dict(con.execute("SELECT frame_index, capture_time_utc FROM face_frames"))
        plan = dict(con.execute("SELECT frame_index, capture_time_utc FROM frames"))
    assert types.get("capture_time_utc") == "DATETIME"
    assert len(face) == 4 and face == plan
