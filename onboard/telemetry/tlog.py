"""Read a MAVLink telemetry log (.tlog) without ``mavutil``.

A .tlog is a sequence of records: an 8-byte big-endian uint64 timestamp (µs since the Unix epoch,
taken by whoever wrote the log, usually the ground station when the message arrived) followed by
one packed MAVLink 1 or MAVLink 2 frame. We walk the records ourselves (instead of ``mavutil``'s
byte stream with its module-level state) so that a corrupted record can be skipped by
re-synchronising on the next record whose timestamp is plausible and whose frame passes
pymavlink's CRC check. Each frame is decoded by ``pymavlink``'s ``parse_char`` with
``robust_parsing``; frames it returns as ``BAD_DATA`` are skipped and counted.
"""

from __future__ import annotations

import logging
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from skyinspect.errors import TelemetryError, describe

log = logging.getLogger(__name__)

_TS = struct.Struct(">Q")
_V1, _V2 = mavlink.PROTOCOL_MARKER_V1, mavlink.PROTOCOL_MARKER_V2
_V1_OVERHEAD = mavlink.HEADER_LEN_V1 + 2  # header + CRC
_V2_OVERHEAD = mavlink.HEADER_LEN_V2 + 2
_SIGNATURE_LEN = mavlink.MAVLINK_SIGNATURE_BLOCK_LEN
# A timestamp belongs to a record if it lies between 1970 and 2100 and, once a good record has been
# seen, within 3 days of it (the same window mavutil uses when it rescans after bad data).
_MAX_TIME_S = 4102444800.0
_MAX_JUMP_S = 3 * 24 * 3600.0
_FOREIGN_MAGIC = {b"ULog": "a PX4 ULog (.ulg)", b"\xa3\x95": "an ArduPilot DataFlash log (.bin)"}


@dataclass(frozen=True)
class TlogStats:
    """What a pass over a .tlog found."""

    records: int  # frames decoded into known messages
    bad_chunks: int  # runs of bytes skipped to re-synchronise (each counts once)
    bad_bytes: int
    unknown: int  # valid-looking frames of message ids this dialect does not know (skipped)


class TlogReader:
    """Iterate (tlog_time_s, message) over one .tlog file; ``stats`` is filled once iterated."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise TelemetryError(describe(self.path, "telemetry log not found",
                                          "Pass the MAVLink .tlog recorded by the ground station or companion"))
        self.stats: TlogStats | None = None

    def __iter__(self) -> Iterator[tuple[float, mavlink.MAVLink_message]]:
        data = self.path.read_bytes()
        if not data:
            raise TelemetryError(describe(self.path, "telemetry log is empty (0 bytes); expected MAVLink "
                                          ".tlog records", "Check that the log was copied completely"))
        mav = mavlink.MAVLink(None)
        mav.robust_parsing = True
        n = len(data)
        pos = 0
        last_t: float | None = None
        records = bad_chunks = bad_bytes = unknown = 0
        in_bad = False
        while pos + 8 + _V1_OVERHEAD <= n:
            t, frame_len, msg = _record_at(mav, data, pos)
            if msg is not None and not _close(t, last_t):
                # The first record, or a clock jump of days: believe it only if the next record
                # agrees, so one corrupted timestamp can neither anchor nor derail the whole log.
                t_next, _, msg_next = _record_at(mav, data, pos + 8 + frame_len)  # type: ignore[operator]
                if msg_next is not None and not _close(t_next, t):
                    msg = None
            if in_bad and isinstance(msg, mavlink.MAVLink_unknown):
                msg = None  # unknown ids carry no checkable CRC: never re-synchronise on one
            if msg is None:  # not a record boundary: slide one byte and try again
                if not in_bad:
                    bad_chunks += 1
                    in_bad = True
                bad_bytes += 1
                pos += 1
                continue
            in_bad = False
            pos += 8 + frame_len  # type: ignore[operator]
            last_t = t
            if isinstance(msg, mavlink.MAVLink_unknown):
                unknown += 1
                continue
            records += 1
            yield t, msg
        if pos < n:  # a tail too short to be a record: the log was cut off mid-write
            bad_chunks += 0 if in_bad else 1
            bad_bytes += n - pos
        self.stats = TlogStats(records, bad_chunks, bad_bytes, unknown)
        if records == 0:
            raise TelemetryError(describe(self.path, f"no MAVLink messages found in {n} bytes; expected "
                                          f".tlog records (8-byte big-endian µs timestamp + MAVLink frame)"
                                          f"{_foreign_hint(data)}",
                                          "Pass the ground station's .tlog (not a .bin/.ulg or a raw stream)"))
        if bad_chunks:
            log.warning("%s: skipped %d corrupt stretch(es) (%d bytes) and kept %d messages",
                        self.path, bad_chunks, bad_bytes, records)


def read_tlog(path: Path) -> tuple[list[tuple[float, mavlink.MAVLink_message]], TlogStats]:
    """Read a whole .tlog: the (tlog_time_s, message) list and what was skipped."""
    reader = TlogReader(path)
    messages = list(reader)
    assert reader.stats is not None
    return messages, reader.stats


def _frame_len(data: bytes, p: int) -> int | None:
    """Length of the MAVLink frame starting at ``p`` (None if ``p`` does not start one)."""
    if p + 3 > len(data):
        return None
    magic = data[p]
    if magic == _V1:
        return _V1_OVERHEAD + data[p + 1]
    if magic == _V2:
        flags = data[p + 2]
        return _V2_OVERHEAD + data[p + 1] + (_SIGNATURE_LEN if flags & mavlink.MAVLINK_IFLAG_SIGNED else 0)
    return None


def _record_at(mav: mavlink.MAVLink, data: bytes, pos: int) -> tuple[float, int | None, mavlink.MAVLink_message | None]:
    """(time, frame length, message) of the record at ``pos``; message None if there is none."""
    if pos + 8 + _V1_OVERHEAD > len(data):
        return math.nan, None, None
    t = _TS.unpack_from(data, pos)[0] * 1e-6
    frame_len = _frame_len(data, pos + 8)
    if not (0.0 < t < _MAX_TIME_S) or not frame_len or pos + 8 + frame_len > len(data):
        return t, frame_len, None
    return t, frame_len, _decode(mav, data[pos + 8:pos + 8 + frame_len])


def _close(t: float, last_t: float | None) -> bool:
    return last_t is not None and abs(t - last_t) <= _MAX_JUMP_S


def _decode(mav: mavlink.MAVLink, frame: bytes) -> mavlink.MAVLink_message | None:
    """Decode exactly one frame with pymavlink; None when it reports bad data."""
    try:
        msg = mav.parse_char(frame)
    except mavlink.MAVError:
        msg = None
    if msg is None or msg.get_type() == "BAD_DATA":
        # Clear any partial state so the next candidate starts from an empty parser buffer.
        mav.buf = bytearray()
        mav.buf_index = 0
        mav.expected_length = _V1_OVERHEAD
        return None
    return msg


def _foreign_hint(data: bytes) -> str:
    for magic, what in _FOREIGN_MAGIC.items():
        if data.startswith(magic):
            return f"; the file looks like {what}"
    return ""
