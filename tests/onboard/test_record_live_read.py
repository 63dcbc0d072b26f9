"""The ground station reading a flight record while onboard still writes it (SQLite WAL readers)."""

from __future__ import annotations

from pathlib import Path

from test_record_disk_full import CAMERA, _add

from skyinspect.record import FlightRecordReader, FlightRecordWriter


def test_a_frame_committed_during_a_read_comes_with_its_detections_or_not_at_all(tmp_path: Path) -> None:
    # frames() read the instances, then the frames, each in its own snapshot: a frame the writer
    # committed between the two came back with 0 detections (its crack lost from that read).
    writer = FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64)
    for i in (1, 2, 3):
        _add(writer, i)
    reader = FlightRecordReader(tmp_path / "rec")
    committed: list[int] = []

    def commit_between_the_reads(sql: str) -> None:  # SQLite calls this as each statement starts
        if "FROM frames" in sql and not committed:
            committed.append(4)
            _add(writer, 4)

    reader._db.set_trace_callback(commit_between_the_reads)
    first = [(f.frame_index, len(f.instances)) for f in reader.frames()]
    reader._db.set_trace_callback(None)
    assert committed == [4]
    assert first == [(1, 1), (2, 1), (3, 1)]  # one snapshot: frame 4 is not there yet
    assert [(f.frame_index, len(f.instances)) for f in reader.frames()] == [(i, 1) for i in (1, 2, 3, 4)]
    # a read left half-done holds no snapshot open (the writer's WAL could not be checkpointed)
    it = reader.frames()
    next(it)
    assert not reader._db.in_transaction
    _add(writer, 5)
    writer.close()
    reader.close()


def test_a_second_writer_on_the_same_record_is_refused(tmp_path: Path) -> None:
    # Before: both opened; a second live run with the same --out (its RTSP camera and UDP link shared
    # with the first) numbered frames from the same last one, and each replaced the other's rows.
    import pytest

    from skyinspect.errors import RecordError

    first = FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64)
    _add(first, 1)
    with pytest.raises(RecordError, match="being written by another process"):
        FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64)
    _add(first, 2)
    first.close()
    with FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64) as again:  # free once the first closed
        assert again.recorded_indices() == {1, 2}


def test_a_writer_refused_on_opening_does_not_keep_the_record_locked(tmp_path: Path) -> None:
    # The lock was taken before the record's format was checked and kept when the writer refused it:
    # the process then held it until exit, and its next writer on the record was told another process
    # was writing it.
    import sqlite3

    import pytest

    from skyinspect.errors import RecordError
    from skyinspect.record.format import FORMAT_VERSION

    FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64).close()
    with sqlite3.connect(tmp_path / "rec" / "record.sqlite") as con:
        con.execute("UPDATE meta SET value = '999' WHERE key = 'format_version'")
    with pytest.raises(RecordError, match="cannot be appended to"):
        FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64)
    with sqlite3.connect(tmp_path / "rec" / "record.sqlite") as con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (str(FORMAT_VERSION),))
    with FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64) as writer:
        assert writer.recorded_indices() == set()


def test_process_on_a_record_still_being_written_says_so_not_that_the_run_died(tmp_path: Path) -> None:
    # A live record reads 'did not finish (killed, crashed or lost power)' from its first frame on, so that
    # a SIGKILL or a power cut leaves it saying so. `skyinspect process` run on it mid-flight (loopback
    # vehicle, 52 frames in) warned 'The onboard run that wrote this record did not finish (killed, crashed
    # or lost power)' of a run that was recording fine. The writer's lock says whether one still writes.
    from groundstation.pipeline import record_notes
    from onboard.ending import DID_NOT_FINISH, ended_meta
    from skyinspect.record.writer import being_written

    writer = FlightRecordWriter(tmp_path / "rec", CAMERA, "m", "0" * 64)
    writer.set_meta("ended", ended_meta(DID_NOT_FINISH))
    for i in (1, 2, 3):
        _add(writer, i)
    with FlightRecordReader(tmp_path / "rec") as reader:
        meta = reader.meta
    assert being_written(tmp_path / "rec")
    [note] = record_notes(meta, 3, tmp_path / "rec")
    assert "still being written" in note and "3 frames" in note and "killed" not in note, note
    writer.close()  # the run ended without rewriting 'ended' (as a kill would leave it): it did not finish
    assert not being_written(tmp_path / "rec")
    [note] = record_notes(meta, 3, tmp_path / "rec")
    assert "did not finish" in note
