"""The receiver's geoid separation N (ellipsoidal - MSL height) kept in the flight record.

Telemetry heights are MSL; findings.geojson needs ellipsoidal ones (RFC 7946), and no geoid grid is
installed. The receiver knows N: MAVLink GPS_RAW_INT.alt_ellipsoid beside alt (0 when not sent:
ArduPilot fills it only when its receiver reports the undulation), PX4's vehicle_gps_position
alt_ellipsoid. The replay read neither and the record kept only MSL, so the ground station could
never state ellipsoidal heights. Expected values are read here with pymavlink / pyulog directly."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from onboard_helpers import DJI_DIR, FACADE_TLOG, PLANE_DIR, PX4_ULOG, make_frames

from onboard.replay import run_replay
from onboard.telemetry.buffer import TelemetryBuffer
from onboard.telemetry.sources import load_buffer
from skyinspect.camera import CameraModel


def _tlog_separations(path: Path) -> np.ndarray:
    from pymavlink import mavutil

    log, out = mavutil.mavlink_connection(str(path)), []
    while (m := log.recv_match(type="GPS_RAW_INT")) is not None:
        if m.fix_type >= 3 and m.alt_ellipsoid != 0:
            out.append((m.alt_ellipsoid - m.alt) * 1e-3)
    return np.asarray(out)


def test_a_real_px4_flight_gives_its_receivers_separation() -> None:
    from pyulog import ULog

    gps = next(d.data for d in ULog(str(PX4_ULOG)).data_list if d.name == "vehicle_gps_position" and d.multi_id == 0)
    ok = gps["fix_type"] >= 3
    n = (gps["alt_ellipsoid"][ok].astype(float) - gps["alt"][ok]) * 1e-3
    sep = load_buffer(PX4_ULOG).geoid_separation()
    assert sep is not None and sep["samples"] == int(ok.sum()) > 10
    assert sep["n_m"] == pytest.approx(float(np.median(n)), abs=1e-3) and 39 < sep["n_m"] < 41  # 39.95 m
    assert (sep["min_m"], sep["max_m"]) == pytest.approx((n.min(), n.max()), abs=1e-3)
    assert "alt_ellipsoid" in str(sep["source"])


def test_the_sitl_facade_tlog_states_zero_and_logs_without_it_state_nothing() -> None:
    want = _tlog_separations(FACADE_TLOG)
    sep = TelemetryBuffer.from_tlog(FACADE_TLOG).geoid_separation()
    assert sep is not None and sep["samples"] == len(want) > 900  # SITL's Earth: ellipsoid = MSL
    assert sep["n_m"] == 0.0 and "GPS_RAW_INT" in str(sep["source"])
    assert len(_tlog_separations(PLANE_DIR / "flight_window.tlog")) == 0  # ArduPlane 2016 sent alt_ellipsoid 0
    assert TelemetryBuffer.from_tlog(PLANE_DIR / "flight_window.tlog").geoid_separation() is None
    assert load_buffer(DJI_DIR).geoid_separation() is None  # DJI XMP: AbsoluteAltitude only


def test_the_replay_records_it_in_the_meta(tmp_path: Path, segmenter) -> None:  # type: ignore[no-untyped-def]
    frames = make_frames(tmp_path / "frames", 57)
    run_replay(frames, FACADE_TLOG, tmp_path / "rec", segmenter, CameraModel.from_fov(64, 48, 60.0), progress=False)
    with sqlite3.connect(tmp_path / "rec" / "record.sqlite") as con:
        meta = dict(con.execute("SELECT key, value FROM meta"))
    stored = json.loads(meta["geoid_separation"])
    assert stored["n_m"] == 0.0 and stored["samples"] == len(_tlog_separations(FACADE_TLOG))
