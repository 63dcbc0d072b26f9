"""Reading .tlogs without mavutil: agreement with mavutil, and corruption handling."""

from __future__ import annotations

import logging
import struct
from collections import Counter
from pathlib import Path

import pytest
from onboard_helpers import FACADE_TLOG, PLANE_DIR
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboard.telemetry.tlog import TlogReader, read_tlog
from skyinspect.errors import TelemetryError


def test_facade_matches_mavutil() -> None:
    from pymavlink import mavutil  # the one allowed use: as the reference reader

    messages, stats = read_tlog(FACADE_TLOG)
    conn = mavutil.mavlink_connection(str(FACADE_TLOG))
    ref_types, ref_times = Counter(), []
    while (msg := conn.recv_msg()) is not None:
        ref_types[msg.get_type()] += 1
        ref_times.append(msg._timestamp)
    conn.close()
    assert ref_types.pop("BAD_DATA", 0) == 0
    assert Counter(m.get_type() for _, m in messages) == ref_types
    assert [t for t, _ in messages] == ref_times
    assert stats.records == 27055 and stats.bad_chunks == 0  # message_counts.txt: 27055 messages
    assert ref_types["CAMERA_FEEDBACK"] == 57 and ref_types["GLOBAL_POSITION_INT"] == 2045


def test_mixed_mavlink1_and_2_real_log() -> None:
    messages, stats = read_tlog(PLANE_DIR / "flight_window.tlog")
    markers = Counter(m.get_msgbuf()[0] for _, m in messages)
    assert stats.records == 1383 and stats.bad_chunks == 0
    assert set(markers) <= {0xFE, 0xFD} and markers[0xFD] > 0


@pytest.mark.parametrize("content, needle", [(None, "not found"), (b"", "empty"),
                                             (b"\x00" * 500, "no MAVLink messages"),
                                             (b"ULog\x01\x12" + b"\x00" * 300, "PX4 ULog")])
def test_unusable_files_raise(tmp_path: Path, content: bytes | None, needle: str) -> None:
    path = tmp_path / "x.tlog"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TelemetryError, match=needle) as info:
        read_tlog(path)
    assert str(path) in str(info.value)


_SAMPLE = FACADE_TLOG.read_bytes()[:40_000]  # the first ~1,000 records: fast enough for Hypothesis


def _reference() -> list[bytes]:
    return [bytes(m.get_msgbuf()) for _, m in read_tlog(FACADE_TLOG)[0]]


_REF = _reference()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=len(_SAMPLE)))
def test_truncated_copies(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "cut.tlog"
    path.write_bytes(_SAMPLE[:cut])
    try:
        messages, stats = read_tlog(path)
    except TelemetryError as exc:  # nothing usable left: a clear error naming the file
        assert str(path) in str(exc)
        return
    got = [bytes(m.get_msgbuf()) for _, m in messages]
    assert got == _REF[:len(got)]  # a clean prefix, nothing invented
    assert stats.bad_bytes <= 8 + 280  # at most the one cut-off record is skipped


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.integers(min_value=0, max_value=len(_SAMPLE) * 8 - 1), min_size=1, max_size=8))
def test_bit_flipped_copies(tmp_path: Path, flips: list[int]) -> None:
    data = bytearray(_SAMPLE)
    for bit in flips:
        data[bit // 8] ^= 1 << (bit % 8)
    path = tmp_path / "flipped.tlog"
    path.write_bytes(bytes(data))
    messages, stats = read_tlog(path)
    reference = set(_REF)
    got = [bytes(m.get_msgbuf()) for _, m in messages]
    n_clean = len(read_tlog_bytes(_SAMPLE, tmp_path))
    # Every frame returned passed pymavlink's CRC, so it is one of the original frames. Each flipped
    # bit loses its own record and, at worst, the next one: after a corrupt record the reader
    # re-syncs and drops a record whose timestamp the following one does not confirm (Hypothesis
    # found this at the start of the file, flips=[240]).
    assert all(g in reference for g in got)
    assert len(got) >= n_clean - 2 * len(flips)
    if len(got) < n_clean:
        assert stats.bad_chunks >= 1


def read_tlog_bytes(data: bytes, tmp_path: Path) -> list:
    path = tmp_path / "clean.tlog"
    path.write_bytes(data)
    return read_tlog(path)[0]


def test_corruption_warns_with_count(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = bytearray(_SAMPLE)
    data[1000:1010] = b"\xff" * 10  # garble one stretch
    path = tmp_path / "garbled.tlog"
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        reader = TlogReader(path)
        messages = list(reader)
    assert reader.stats is not None and reader.stats.bad_chunks >= 1
    assert messages and "corrupt stretch" in caplog.text and str(path) in caplog.text


def test_timestamps_are_big_endian_microseconds(tmp_path: Path) -> None:
    messages, _ = read_tlog(FACADE_TLOG)
    first_t = struct.unpack(">Q", FACADE_TLOG.read_bytes()[:8])[0] * 1e-6
    assert messages[0][0] == pytest.approx(first_t)
